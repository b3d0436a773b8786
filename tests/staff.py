"""The staff of the test county, and applicants with valid certificate numbers.

``tests/fixtures/staff.json`` lists every person the tests act as, with the roles and posts (in
their unit) that the permission table asks of what they do in the tests. End-to-end tests
register them with `sunshine user import`; service-level tests act as ``A(login)``, the same
``Actor`` the identity port would resolve. Tests about refusals name people whose roles or
posts do not fit (a clerk approving, a handler deciding his own extension …).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from engine.applicants import Applicant, id_card_check
from engine.identity import Actor, Role

STAFF_FILE = Path(__file__).resolve().parent / "fixtures" / "staff.json"


@cache
def roster() -> dict[str, dict]:
    return {row["login"]: row for row in json.loads(STAFF_FILE.read_text(encoding="utf-8"))}


def A(login: str) -> Actor:  # noqa: N802 - reads as "as 李窗口" in the tests
    """The actor for a login of the test county's staff."""
    row = roster()[login]
    return Actor(login=row["login"], name=row["name"], unit=row["unit"],
                 roles=frozenset(Role(r) for r in row["roles"]),
                 posts=frozenset(row.get("posts", ())), leads=frozenset(row.get("leads", ())))


def id_number(name: str) -> str:
    """A valid resident ID number (GB 11643 check digit) made from a name: the same name gives
    the same number, so one test's applicant stays one applicant."""
    digest = int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16)
    first17 = f"330102{1970 + digest % 40:04d}{1 + digest // 40 % 12:02d}" \
              f"{1 + digest // 480 % 28:02d}{digest // 13440 % 1000:03d}"
    return first17 + id_card_check(first17)


def person(name: str, *, number: str | None = None, phone: str = "",
           email: str = "") -> Applicant:
    return Applicant(name, "身份证", number or id_number(name), phone=phone, email=email)


CLERK = "收件员"  # who receives applications in tests that do not care who
