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

from adapters.publish.card import CJKFontNotFound, write_card
from adapters.publish.common import NotPublic
from adapters.publish.export import ExportResult, export_all
from adapters.publish.filing import write_filing
from adapters.publish.site import write_site

__all__ = [
    "write_site", "write_card", "write_filing", "export_all", "ExportResult", "NotPublic",
    "CJKFontNotFound",
]
