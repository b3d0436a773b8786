"""Anchoring the audit trail outside the database: a seal.

Each case's events are hash-chained (engine/audit.py), so an edited, removed or reordered event
breaks its chain — unless whoever edits it rewrites the whole chain after it, which anyone who
can write to the database can do, since the hash has no key. A seal closes that door: it lists
every case's chain head (case number, last event's sequence number and hash), folds them into
one Merkle root, and is signed with an Ed25519 key the operator keeps outside the database. The
signed seal is published on the public site and archived by auditors; later, any sealed event
that was altered, removed or reordered no longer leads to the sealed head, and
``check_against`` names the case and the event.

This module is pure: the signing itself is a port (``Signer``/``verify`` given by the adapter),
the chains come from the caller.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from engine.audit import rewritten, verify_chain
from engine.errors import InvalidAction
from engine.model import AuditEvent

FORMAT = "sunshine-seal/1"


@dataclass(frozen=True)
class Head:
    """One case's chain head at sealing time."""

    case: str  # the case number
    seq: int
    hash: str


class Signer(Protocol):
    """Signs bytes with the operator's key (kept outside the database)."""

    public_key: bytes  # raw Ed25519 public key, 32 bytes

    def sign(self, message: bytes) -> bytes: ...


def _leaf(head: Head) -> bytes:
    return hashlib.sha256(b"\x00" + f"{head.case}\n{head.seq}\n{head.hash}".encode()).digest()


def merkle_root(heads: Sequence[Head]) -> str:
    """RFC 6962 Merkle tree hash over the heads in the given order (leaves prefixed 0x00, nodes
    0x01, split at the largest power of two below n); the empty tree is SHA-256 of nothing."""
    def tree(leaves: Sequence[bytes]) -> bytes:
        if not leaves:
            return hashlib.sha256(b"").digest()
        if len(leaves) == 1:
            return leaves[0]
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return hashlib.sha256(b"\x01" + tree(leaves[:k]) + tree(leaves[k:])).digest()
    return tree([_leaf(h) for h in heads]).hex()


@dataclass
class Seal:
    """What an auditor archives: the heads, their root, when, and the signature over them."""

    sealed_at: datetime
    heads: list[Head]
    root: str
    public_key: str = ""  # base64 of the raw Ed25519 public key
    signature: str = ""  # base64
    format: str = FORMAT
    notes: list[str] = field(default_factory=list)

    @property
    def key_id(self) -> str:
        """A short fingerprint of the signing key (first 16 hex of its SHA-256), to compare
        with the one the operator published."""
        return hashlib.sha256(base64.b64decode(self.public_key)).hexdigest()[:16]

    @property
    def events(self) -> int:
        return sum(h.seq for h in self.heads)

    def body(self) -> bytes:
        """The signed bytes: canonical JSON of everything but the signature."""
        doc = self.to_dict()
        doc.pop("signature")
        return json.dumps(doc, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format, "sealed_at": self.sealed_at.isoformat(),
            "cases": len(self.heads), "events": self.events, "root": self.root,
            "heads": [[h.case, h.seq, h.hash] for h in self.heads],
            "public_key": self.public_key, "key_id": self.key_id if self.public_key else "",
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Seal:
        """Read a seal file's content; anything malformed is refused with what is wrong."""
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            raise InvalidAction(f"not a Sunshine seal (expected \"format\": \"{FORMAT}\")",
                                field="seal")
        try:
            heads = [Head(str(c), int(s), str(h)) for c, s, h in doc["heads"]]
            seal = cls(sealed_at=datetime.fromisoformat(doc["sealed_at"]), heads=heads,
                       root=str(doc["root"]), public_key=str(doc["public_key"]),
                       signature=str(doc["signature"]))
            base64.b64decode(seal.public_key, validate=True)
            base64.b64decode(seal.signature, validate=True)
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidAction(f"the seal file is damaged: {err}", field="seal") from None
        return seal


def make_seal(heads: Iterable[Head], at: datetime, signer: Signer) -> Seal:
    """Seal these heads (sorted by case number, so the same trail gives the same root)."""
    ordered = sorted(heads, key=lambda h: h.case)
    seal = Seal(sealed_at=at, heads=ordered, root=merkle_root(ordered),
                public_key=base64.b64encode(signer.public_key).decode())
    seal.signature = base64.b64encode(signer.sign(seal.body())).decode()
    return seal


Verify = Callable[[bytes, bytes, bytes], bool]  # (public key, signature, message) → valid


def check_seal(seal: Seal, verify: Verify, trusted_key: bytes | None = None) -> list[str]:
    """Problems with the seal itself: signature, root, key. [] when sound."""
    problems = []
    key = base64.b64decode(seal.public_key)
    if trusted_key is not None and key != trusted_key:
        problems.append(f"the seal was signed with key {seal.key_id}, not with the published key "
                        f"{hashlib.sha256(trusted_key).hexdigest()[:16]}")
    if not verify(key, base64.b64decode(seal.signature), seal.body()):
        problems.append("the seal's signature does not match its content: the file was altered "
                        "after it was signed, or signed with another key")
    if merkle_root(seal.heads) != seal.root:
        problems.append("the seal's heads do not give its root: the list of heads was altered")
    return problems


def check_against(seal: Seal, chains: Mapping[str, Sequence[AuditEvent]]) -> list[str]:
    """Every sealed event must still be there, unaltered and in order: the stored chain of each
    sealed case must be intact up to the sealed event and reach the sealed hash there. Events
    added after the seal are not covered by it (the next seal covers them)."""
    problems = []
    for head in seal.heads:
        events = chains.get(head.case)
        if not events:
            problems.append(f"case {head.case}: sealed with {head.seq} events, now it has none "
                            f"(the case or its whole trail was deleted)")
            continue
        sealed = [e for e in events if e.seq <= head.seq]
        # an event of version 1 erased since the seal is vouched for by the later erasure event
        for problem in verify_chain(sealed, vouched=rewritten(events)):
            problems.append(f"case {head.case}: {problem}")
        at = next((e for e in sealed if e.seq == head.seq), None)
        if at is None:
            problems.append(f"case {head.case}: event {head.seq}, the last one sealed, is gone")
        elif at.hash != head.hash:
            problems.append(f"case {head.case}: event {head.seq} is not the one sealed — the "
                            f"trail up to it was rewritten since {seal.sealed_at:%Y-%m-%d %H:%M}")
    return problems
