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
