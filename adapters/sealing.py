"""The operator's sealing key (Ed25519, `cryptography`) and the seal files.

The private key lives in a PEM file outside the database (mode 0600; docs/operations.md says
where to keep it and how to publish the public key). Seal files are JSON, written whole or not
at all, named by their time: ``seal-20260302T020000Z.json``, with ``latest.json`` beside them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.anchoring import Seal
from engine.errors import ConfigError, InvalidAction, SunshineError


class KeySigner:
    """Signs with an Ed25519 private key read from a PEM file."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = key.public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def generate_key(private_path: str | Path, public_path: str | Path) -> str:
    """Write a new key pair; refuses to overwrite an existing key. Returns the public key as
    base64 (what the operator publishes)."""
    private_path, public_path = Path(private_path), Path(public_path)
    for path in (private_path, public_path):
        if path.exists():
            raise ConfigError(f"{path} exists: a sealing key is never overwritten (seals signed "
                              f"with it could no longer be checked); choose another path")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public = base64.b64encode(KeySigner(key).public_key).decode()
    public_path.write_text(public + "\n", encoding="ascii")
    return public


def load_signer(path: str | Path) -> KeySigner:
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise ConfigError(f"no sealing key at {path}: create one with `sunshine audit keygen`"
                          ) from None
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{path} is not a PEM private key: {err}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 key (seals are signed with Ed25519)")
    return KeySigner(key)


def read_public_key(path: str | Path) -> bytes:
    text = Path(path).read_text(encoding="ascii", errors="replace").strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ConfigError(f"{path} does not hold an Ed25519 public key (32 bytes in base64, as "
                          f"`sunshine audit keygen` writes it)")
    return raw


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def write_seal(seal: Seal, directory: str | Path) -> Path:
    """Write the seal under its time, and as latest.json; each file appears whole or not at all."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = seal.sealed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(seal.to_dict(), ensure_ascii=False, indent=1)
    target = directory / f"seal-{stamp}.json"
    for path in (target, directory / "latest.json"):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".seal-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    return target


def read_seal(path: str | Path) -> Seal:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no seal file at {path}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidAction(f"{path} is not a seal file (not JSON: {err})", field="seal") from None
    return Seal.from_dict(doc)


def last_sealed_at(directory: str | Path) -> datetime | None:
    """When the newest seal in the directory was made (None: none yet)."""
    names = sorted(Path(directory).glob("seal-*.json")) if Path(directory).is_dir() else []
    if not names:
        return None
    return datetime.strptime(names[-1].stem[5:], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


SEAL_NAME = re.compile(r"seal-\d{8}T\d{6}Z\.json")


def published_seals(directory: str | Path, limit: int = 400) -> list[tuple[str, Seal | str]]:
    """The seal files in ``directory``, newest first: (file name, the seal or why it cannot be
    read), for the public page that lists them (adapters/web/routes_public.py)."""
    folder = Path(directory)
    names = sorted((p.name for p in folder.glob("seal-*.json") if SEAL_NAME.fullmatch(p.name)),
                   reverse=True) if folder.is_dir() else []
    out: list[tuple[str, Seal | str]] = []
    for name in names[:limit]:
        try:
            out.append((name, read_seal(folder / name)))
        except SunshineError as err:
            out.append((name, str(err)))
    return out
