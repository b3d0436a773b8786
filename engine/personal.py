"""Personal data (个人信息) in a case's records: which values are personal, and how they are
erased when the retention period ends while the audit trail still verifies.

A value is personal when its key is one of ``PERSONAL_KEYS`` or ends with one of
``PERSONAL_SUFFIXES`` — wherever it sits in case data, step data, the workflow's data or an
audit event's payload (the whole ``applicant_id`` and ``contact`` objects, an agent's phone, a
form field ``legal_phone`` …). The applicant's name is not: it is the party of the record, and
the decision naming it is public (行政许可法 Art. 40).

Erasing a value replaces it with a commitment, ``erased:<sha256 hex>`` of the event's salt, the
value's path and its JSON. An audit event of hash version 2 (engine/audit.py) is hashed over its
payload with every personal value already in that form, so the erased event hashes as it did
when it was written: its chain, the case's head and the signed seals (engine/anchoring.py) still
verify. The salt is random per event and is erased with the values, so a commitment cannot be
tested against guessed phone or ID numbers afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

PERSONAL_KEYS = frozenset({"applicant_id", "contact", "id_number", "phone", "mobile", "email",
                           "address", "tel", "telephone"})
PERSONAL_SUFFIXES = ("_phone", "_mobile", "_id_number", "_email", "_address", "_tel")
ERASED = "erased:"  # the prefix of an erased value (a commitment, or "erased:" alone)
# why a notice still waiting when its case's personal data is erased is never sent
NOT_SENT = "个人信息已按保存期限删除，未送达 (recipient erased, its retention over: not sent)"


def is_personal(key: str) -> bool:
    k = key.lower()
    return k in PERSONAL_KEYS or k.endswith(PERSONAL_SUFFIXES)


def is_erased(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(ERASED)


def _holds(value: Any) -> bool:
    """Whether a personal key's value is data (not empty, not erased already)."""
    return value not in (None, "") and not is_erased(value)


def has_personal(tree: Any, holds: Callable[[Any], bool] = _holds) -> bool:
    """Whether ``tree`` holds a personal value not erased (``holds`` says which values count)."""
    if isinstance(tree, dict):
        return any((is_personal(str(k)) and holds(v)) or has_personal(v, holds)
                   for k, v in tree.items())
    if isinstance(tree, list):
        return any(has_personal(v, holds) for v in tree)
    return False


def committed(tree: Any, salt: str, path: str = "") -> Any:
    """``tree`` with every personal value replaced by its commitment (erased values as they are).

    This is the form an audit event of hash version 2 is hashed in, and the form it is stored in
    once erased: the two are the same, which is what keeps an erased chain verifying.
    """
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            here = f"{path}/{k}"
            out[k] = (commitment(v, salt, here) if is_personal(str(k)) and _holds(v)
                      else committed(v, salt, here))
        return out
    if isinstance(tree, list):
        return [committed(v, salt, f"{path}/{i}") for i, v in enumerate(tree)]
    return tree


def commitment(value: Any, salt: str, path: str) -> str:
    body = json.dumps([salt, path, value], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), default=str)
    return ERASED + hashlib.sha256(body.encode("utf-8")).hexdigest()


def blanked(tree: Any) -> tuple[Any, int]:
    """``tree`` with every personal value replaced by ``"erased:"`` (where nothing is hashed:
    case data, step data, the workflow's data), and how many values were erased."""
    if isinstance(tree, dict):
        out, n = {}, 0
        for k, v in tree.items():
            if is_personal(str(k)) and _holds(v):
                out[k], n = ERASED, n + 1
            else:
                out[k], m = blanked(v)
                n += m
        return out, n
    if isinstance(tree, list):
        items = [blanked(v) for v in tree]
        return [v for v, _ in items], sum(m for _, m in items)
    return tree, 0


def mask(value: str) -> str:
    """A recipient as the outbox table shows it (and keeps it once erased): 138****5678,
    z***@example.cn, 北京市东城区***; a masked value stays as it is."""
    v = value.strip()
    if "*" in v:
        return v
    if "@" in v:
        user, _, domain = v.partition("@")
        return f"{user[:1]}***@{domain}"
    if sum(c.isdigit() for c in v) >= 7 and all(c.isdigit() or c in "-+ ()" for c in v):
        return v[:3] + "****" + v[-4:]
    return v[:6] + "***" if len(v) > 6 else v
