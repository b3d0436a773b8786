"""How a case's workflow state is stored: JSON, deflated against a preset dictionary.

A SpiffWorkflow state is mostly the same keys and shapes in every case ("typename", "internal_
data", "last_state_change" …); deflating it against a dictionary made of one typical state (with
its ids blanked) halves the stored bytes (≈990 → ≈560 B for a food-licence case at 审核), which
is most of an open case's size at rest.

The dictionary is part of the storage format: ``state_zdict_1.json`` must never change. A better
dictionary gets the next number and its own prefix; rows keep the format they were written in.
Rows written before the dictionary (plain zlib, first byte 0x78) still read.
"""

from __future__ import annotations

import json
import zlib
from functools import cache
from pathlib import Path
from typing import Any

_PREFIX = b"Z1"
_LEVEL = 6


@cache
def _dictionary() -> bytes:
    return (Path(__file__).with_name("state_zdict_1.json")).read_bytes()


def encode(state_json: str) -> bytes:
    """The state's JSON text (as the case made it), deflated for storage."""
    raw = state_json.encode()
    deflate = zlib.compressobj(_LEVEL, zdict=_dictionary())
    return _PREFIX + deflate.compress(raw) + deflate.flush()


def decode(blob: bytes) -> dict[str, Any]:
    data = bytes(blob)
    if data.startswith(_PREFIX):
        inflate = zlib.decompressobj(zdict=_dictionary())
        raw = inflate.decompress(data[len(_PREFIX):]) + inflate.flush()
    else:  # written before the dictionary
        raw = zlib.decompress(data)
    return json.loads(raw)  # type: ignore[no-any-return]
