"""Publishing (公开): the public catalogue site, service guides, A4 cards, and the filing list.

Everything here is drawn from the deployed BPMN definitions and their ``sunshine:power``
metadata, never by hand, so what is published is what runs. Each CLI verb is one call:

- ``sunshine publish site OUTDIR``      → ``write_site(entries, OUTDIR)``
- ``sunshine publish card CODE -o F``   → ``write_card(power, tree_or_bytes, F)``
- ``sunshine publish all OUTDIR``       → ``export_all(entries, OUTDIR, progress=bar)``
- ``sunshine publish filing -o F``      → ``write_filing(entries_or_powers, F)``

``entries`` are (Power, BPMN bytes or parsed tree) pairs. Non-public powers (备案事项) never
reach public output: the site and the export drop them, ``write_card`` refuses them
(``NotPublic``), and only ``write_filing`` lists them, for the supervising office.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.publish.card import CJKFontNotFound, write_card
    from adapters.publish.common import NotPublic
    from adapters.publish.export import ExportResult, export_all
    from adapters.publish.filing import write_filing
    from adapters.publish.site import write_site

__all__ = [
    "write_site", "write_card", "write_filing", "export_all", "ExportResult", "NotPublic",
    "CJKFontNotFound",
]

# Loaded on first use (PEP 562), so that importing one submodule (the site, the filing list)
# does not import ReportLab for the cards: the CLI's verbs import only what they run.
_WHERE = {
    "write_site": "site", "write_card": "card", "write_filing": "filing", "export_all": "export",
    "ExportResult": "export", "NotPublic": "common", "CJKFontNotFound": "card",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
