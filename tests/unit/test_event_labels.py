"""Every kind of event the core writes into a case's history has a Chinese label on the case
page (adapters/web/render.py EVENT_KINDS), so a clerk never reads a code like `card_replied`."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.web.render import EVENT_KINDS

ROOT = Path(__file__).resolve().parents[2]
SHOWN_BY_THE_TEMPLATE = {"result_handed_out"}  # case.html labels it with the handing-out method


def test_every_event_the_core_writes_has_a_label() -> None:
    written = set()
    for path in (ROOT / "engine").rglob("*.py"):
        written |= set(re.findall(r'\.event\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(written) > 30  # the scan found the events
    missing = sorted(written - set(EVENT_KINDS) - SHOWN_BY_THE_TEMPLATE)
    assert missing == [], f"add a label to EVENT_KINDS in adapters/web/render.py for {missing}"
