"""Sealing the audit trail (engine/anchoring.py) and checking it against a seal.

Sealing is the operator's: whoever holds the signing key (kept outside the database) seals;
the worker seals once a day when a key is configured. Checking needs only the seal file and
the key the operator published.
"""

from __future__ import annotations

from datetime import datetime

from engine.anchoring import Head, Seal, Signer, Verify, check_against, check_seal, make_seal
from engine.services.context import Env

BATCH = 500  # cases read per transaction when checking


def seal(env: Env, signer: Signer, *, now: datetime | None = None) -> Seal:
    """Seal every case's chain head as it stands now (one consistent read)."""
    at = env.now(now).astimezone(env.calendar().tz)
    with env.uow() as uow:
        heads = [Head(*h) for h in uow.audit.heads()]
    return make_seal(heads, at, signer)


def check(env: Env, sealed: Seal, verify: Verify, *, trusted_key: bytes | None = None) -> list[str]:
    """Every problem with the seal and with the stored trail against it; [] when the trail
    still holds every sealed event unaltered and in order."""
    problems = check_seal(sealed, verify, trusted_key)
    for start in range(0, len(sealed.heads), BATCH):
        part = Seal(sealed.sealed_at, sealed.heads[start:start + BATCH], sealed.root)
        with env.uow() as uow:
            chains = uow.audit.for_numbers([h.case for h in part.heads])
        problems += check_against(part, chains)
    return problems
