"""The vendored browser code is exactly what its package published (adapters/web/static/vendor)."""

from __future__ import annotations

import hashlib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "adapters" / "web" / "static" / "vendor"
HTMX = "htmx-2.0.11.min.js"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_vendored_htmx_has_the_checksum_written_in_vendor_md() -> None:
    data = (VENDOR / HTMX).read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256
    assert b'version:"2.0.11"' in data
    listed = (VENDOR / "VENDOR.md").read_text(encoding="utf-8")
    assert HTMX in listed and HTMX_SHA256 in listed


def test_vendored_htmx_comes_with_its_licence() -> None:
    assert "Zero-Clause BSD" in (VENDOR / "htmx-LICENSE").read_text(encoding="utf-8")


BPMN_JS = VENDOR / "bpmn-js"
BPMN_JS_VERSION = "18.31.1"
# file (under bpmn-js/) → sha256, as VENDOR.md lists them
BPMN_JS_FILES = {
    "bpmn-modeler.production.min.js":
        "052e46d09a88d301de4ec0b5f3f1f2b56840c455ee85a29068bd5bf6167e99ac",
    "assets/diagram-js.css": "73f990dcd6cd2ed696aa63a3c73822a97f0ea69a221d76ebe6cf24b01111df21",
    "assets/bpmn-js.css": "a1add5dca479c779a54adda507f26796f4d61a5ae15f6cc14a1b017ff65b4015",
    "assets/bpmn-font/css/bpmn.css":
        "fc426b4a5586e4b99149fa3232afc03302cb1d44cb307b7bae7e6c62e59d8016",
    "assets/bpmn-font/font/bpmn.eot":
        "3c6a141e80cda5dfc973e1fffc97359af45bb0bee5f9649e0326adc115cca48d",
    "assets/bpmn-font/font/bpmn.svg":
        "7ceeb3c3934d47d9c42a2848372533c367c9d651af7a8ccf23f39727f2c897f7",
    "assets/bpmn-font/font/bpmn.ttf":
        "dc0ed1bbe9a4ec02aefc12d63948caa3896f61928c676bf3724ad13b3ed4a8be",
    "assets/bpmn-font/font/bpmn.woff":
        "47230fa23929798dd5ec8b4a59bf23f96024804572b36c7db4888af6723d7e76",
    "assets/bpmn-font/font/bpmn.woff2":
        "3cb77a7fa2461bb23b2e1af4cc70133fe1e3377ca73ff827394439b6b9335848",
    "LICENSE": "5788cf8bd61481776cee1c943595525499a1355c045e9244f92e6c8092c06770",
}


def test_vendored_bpmn_js_is_exactly_the_published_18_x_with_checksums_in_vendor_md() -> None:
    listed = (VENDOR / "VENDOR.md").read_text(encoding="utf-8")
    assert f"bpmn-js@{BPMN_JS_VERSION}" in listed
    for name, digest in BPMN_JS_FILES.items():
        assert hashlib.sha256((BPMN_JS / name).read_bytes()).hexdigest() == digest, name
        assert f"`bpmn-js/{name}`" in listed and digest in listed, name
    banner = (BPMN_JS / "bpmn-modeler.production.min.js").read_bytes()[:200]
    assert f"bpmn-modeler v{BPMN_JS_VERSION}".encode() in banner
    # nothing else in the folder: every file served is one the table accounts for
    served = {str(p.relative_to(BPMN_JS)) for p in BPMN_JS.rglob("*") if p.is_file()}
    assert served == set(BPMN_JS_FILES)


def test_vendored_bpmn_js_comes_with_its_licence_and_its_watermark_clause() -> None:
    licence = (BPMN_JS / "LICENSE").read_text(encoding="utf-8")
    assert "Camunda Services GmbH" in licence
    assert "watermark must stay fully visible" in licence
