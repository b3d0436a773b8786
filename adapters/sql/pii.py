"""Personal data at rest (个人信息): sealed with the operator's data key, so that a database dump
does not show ID numbers, phones, e-mail or postal addresses in clear.

The key is a file the operator keeps outside the database (``SUNSHINE_DATA_KEY=/path/key``;
``sunshine data-key generate``): 32 random bytes, base64, one line. Two keys are derived from it
(HKDF-SHA256): one for AES-256-GCM, one for HMAC-SHA256 lookups. Its id (``kid``, the first 8 hex
digits of the SHA-256 of the key bytes) is written with each sealed value, so a value sealed under
another key is named as such instead of failing obscurely.

What is sealed, where the SQL adapter writes it (adapters/sql/case_repository.py, outbox.py,
repositories.py read them back):
- in the case's ``data`` JSON, a step's ``data`` and an audit event's ``payload``: the value of
  every key named in ``PERSONAL_KEYS`` or ending in one of ``PERSONAL_SUFFIXES`` (the whole
  ``applicant_id`` and ``contact`` objects, an agent's phone, a form field ``legal_phone`` …),
  as ``enc:v1:<kid>:<base64 nonce+ciphertext>`` of the value's JSON;
- the case's SpiffWorkflow state (which holds the application's form data) as a whole:
  ``b"enc:v1:<kid>:" + nonce + ciphertext`` of the deflated state;
- a notice's recipient (phone, e-mail, postal address): the ``recipient`` column keeps a masked
  form (138****5678), the document JSON the sealed value;
- the applicant of a 失信 flag: ``hmac:v1:<hex>`` of the certificate key, so flags are still found
  by applicant but the number is not in the table.

The audit chain hashes the plain payload (engine/audit.py): the repository opens the payload
before anything verifies it, so chains and seals (engine/anchoring.py) verify as before. An
event's ``salt`` (the salt of its personal values' commitments) is sealed as a value too: with it
and the event's hash, a guessed phone number could be tested.

Which keys are personal, and how values are erased when their retention ends, is
engine/personal.py.

A value with no ``enc:`` prefix is plain (rows written before the key, or with
``SUNSHINE_DATA_KEY=none``) and reads as it is; ``sunshine data-key encrypt-existing`` seals them.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.personal import has_personal, is_erased, is_personal, mask  # noqa: F401 - mask: re-exported

PREFIX = "enc:v1:"
BLOB_PREFIX = PREFIX.encode()
LOOKUP_PREFIX = "hmac:v1:"
NONE = "none"  # SUNSHINE_DATA_KEY=none: plain storage, for installations with no real data
DOCS = "docs/operations.md, 个人信息 Personal data"
_AAD = b"sunshine personal data v1"


def _derive(master: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class DataKey:
    """The operator's data key (数据密钥), loaded from its file."""

    kid: str
    _aead: Any = field(repr=False)
    _mac: bytes = field(repr=False)
    # keys used before this one (SUNSHINE_DATA_KEY_PREVIOUS): read with, never written with,
    # until `sunshine data-key rotate` has re-sealed what they sealed
    previous: tuple[DataKey, ...] = field(default=(), repr=False)

    def with_previous(self, keys: tuple[DataKey, ...]) -> DataKey:
        return dataclasses.replace(self, previous=tuple(k for k in keys if k.kid != self.kid))

    def _key(self, kid: str) -> DataKey:
        if kid == self.kid:
            return self
        for key in self.previous:
            if key.kid == kid:
                return key
        known = ", ".join(k.kid for k in self.previous)
        raise ConfigError(f"personal data in the database was sealed with data key {kid}, but "
                          f"SUNSHINE_DATA_KEY is key {self.kid}"
                          + (f" and SUNSHINE_DATA_KEY_PREVIOUS holds {known}" if known else "")
                          + f" — configure the key file this database was written with (the "
                          f"old one in SUNSHINE_DATA_KEY_PREVIOUS while rotating) ({DOCS})")

    def is_stale(self, sealed: str | bytes) -> bool:
        """Whether a sealed value or state was sealed under another key than this one."""
        if isinstance(sealed, str):
            return sealed[len(PREFIX):].partition(":")[0] != self.kid
        return bytes(sealed[len(BLOB_PREFIX):len(BLOB_PREFIX) + 8]).decode("ascii", "replace") \
            != self.kid

    def lookups(self, text: str) -> list[str]:
        """The keyed hashes of a personal value under this key and the previous ones."""
        return [self.lookup(text), *(k.lookup(text) for k in self.previous)]

    @classmethod
    def from_bytes(cls, master: bytes) -> DataKey:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(master) != 32:
            raise ConfigError(f"the data key must be 32 bytes, this one has {len(master)} — make "
                              f"one with `sunshine data-key generate --out FILE` ({DOCS})")
        return cls(hashlib.sha256(master).hexdigest()[:8],
                   AESGCM(_derive(master, b"sunshine pii aead")),
                   _derive(master, b"sunshine pii lookup"))

    @classmethod
    def from_file(cls, path: str | Path, setting: str = "SUNSHINE_DATA_KEY") -> DataKey:
        p = Path(path)
        try:
            text = p.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise ConfigError(f"{setting}={path}: no such file — restore the key file from "
                              f"its backup, or make a new one with `sunshine data-key generate "
                              f"--out {path}` for a new installation ({DOCS})") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{setting}={path}: cannot read the key file ({err}) "
                              f"({DOCS})") from None
        try:
            master = base64.b64decode(text, validate=True)
        except ValueError:
            raise ConfigError(f"{setting}={path} is not a data key (one line of base64 "
                              f"made by `sunshine data-key generate`) ({DOCS})") from None
        return cls.from_bytes(master)

    # -- values ---------------------------------------------------------------------------------

    def seal(self, value: Any) -> str:
        """``enc:v1:<kid>:<base64 nonce+ciphertext>`` of the value's JSON."""
        nonce = os.urandom(12)
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = nonce + self._aead.encrypt(nonce, plain, _AAD)
        return f"{PREFIX}{self.kid}:{base64.b64encode(sealed).decode()}"

    def open(self, text: str) -> Any:
        kid, _, body = text[len(PREFIX):].partition(":")
        raw = base64.b64decode(body)
        return json.loads(self._key(kid)._decrypt(raw[:12], raw[12:]))

    def seal_bytes(self, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return BLOB_PREFIX + self.kid.encode() + b":" + nonce + self._aead.encrypt(nonce, data, _AAD)

    def open_bytes(self, blob: bytes) -> bytes:
        rest = blob[len(BLOB_PREFIX):]
        kid, body = rest[:8].decode("ascii", "replace"), rest[9:]
        return self._key(kid)._decrypt(body[:12], body[12:])

    def lookup(self, text: str) -> str:
        """A keyed hash to find rows by a personal value without storing it."""
        return LOOKUP_PREFIX + hmac.new(self._mac, text.encode(), hashlib.sha256).hexdigest()

    def _decrypt(self, nonce: bytes, ciphertext: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return bytes(self._aead.decrypt(nonce, ciphertext, _AAD))
        except InvalidTag:
            raise ConfigError(f"a sealed personal value does not open with data key {self.kid}: "
                              f"it was altered in the database ({DOCS})") from None


def generate(out: str | Path) -> DataKey:
    """Write a new key file (mode 0600); an existing file is never overwritten."""
    p = Path(out)
    master = secrets.token_bytes(32)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{p} exists: a data key is never overwritten (the data sealed with it "
                          f"could not be read again) — choose another file") from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(base64.b64encode(master).decode() + "\n")
    return DataKey.from_bytes(master)


def load(setting: str, previous: str = "") -> DataKey | None:
    """The key the setting names (a file path, or None for ``none`` and unset), with the keys
    used before it (``SUNSHINE_DATA_KEY_PREVIOUS``: key files, comma-separated) to read with."""
    value = setting.strip()
    if not value or value.lower() == NONE:
        if previous.strip():
            raise ConfigError(f"SUNSHINE_DATA_KEY_PREVIOUS is set but SUNSHINE_DATA_KEY is not: "
                              f"set the new key in SUNSHINE_DATA_KEY ({DOCS})")
        return None
    older = tuple(DataKey.from_file(p.strip(), "SUNSHINE_DATA_KEY_PREVIOUS")
                  for p in previous.split(",") if p.strip())
    return DataKey.from_file(value).with_previous(older)


def from_settings(settings: Any) -> DataKey | None:
    """The installation's key (SUNSHINE_DATA_KEY) with the previous ones it reads with."""
    return load(settings.data_key, settings.data_key_previous)


def refuse_without_key(setting: str, mode: str) -> None:
    """Production serves real applicants: the web and the worker do not start storing their ID
    numbers and phones in clear unless the operator said so (``SUNSHINE_DATA_KEY=none``)."""
    if mode == "production" and not setting.strip():
        raise ConfigError(
            "未配置个人信息数据密钥：身份证号、电话等将以明文存入数据库。请用 `sunshine data-key generate "
            "--out /etc/sunshine/data.key` 生成密钥并设置 SUNSHINE_DATA_KEY=该文件（并另行备份），"
            f"见 {DOCS} (no data key: set SUNSHINE_DATA_KEY to a key file, or "
            "SUNSHINE_DATA_KEY=none for plain storage, not for real data)")


# -- the key of a database engine (set by the composition root, adapters/bootstrap.py) -----------

_KEYS: weakref.WeakKeyDictionary[Any, DataKey | None] = weakref.WeakKeyDictionary()


def attach(engine: Any, key: DataKey | None) -> None:
    _KEYS[engine] = key


def key_for(conn: Any) -> DataKey | None:
    return _KEYS.get(conn.engine)


# -- trees of JSON ------------------------------------------------------------------------------


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def protect(tree: Any, key: DataKey | None) -> Any:
    """A copy of ``tree`` with the value of every personal key sealed (plain without a key;
    a value sealed already stays as it is)."""
    if key is None:
        return tree
    if isinstance(tree, dict):
        return {k: (key.seal(v) if is_personal(str(k)) and _plain(v) else protect(v, key))
                for k, v in tree.items()}
    if isinstance(tree, list):
        return [protect(v, key) for v in tree]
    return tree


def reseal(tree: Any, key: DataKey) -> Any:
    """A copy of ``tree`` with plain personal values sealed and values sealed under a previous
    key sealed again under ``key`` (rotation)."""
    if isinstance(tree, str):
        return key.seal(key.open(tree)) if is_sealed(tree) and key.is_stale(tree) else tree
    if isinstance(tree, dict):
        return {k: (key.seal(v) if is_personal(str(k)) and _plain(v) else reseal(v, key))
                for k, v in tree.items()}
    if isinstance(tree, list):
        return [reseal(v, key) for v in tree]
    return tree


def needs_reseal(tree: Any, key: DataKey) -> bool:
    """Whether ``reseal`` would change ``tree``."""
    if isinstance(tree, str):
        return is_sealed(tree) and key.is_stale(tree)
    if isinstance(tree, dict):
        return any((is_personal(str(k)) and _plain(v)) or needs_reseal(v, key)
                   for k, v in tree.items())
    if isinstance(tree, list):
        return any(needs_reseal(v, key) for v in tree)
    return False


def seal_value(value: str | None, key: DataKey | None) -> str | None:
    """One value sealed (an audit event's salt), plain without a key."""
    return key.seal(value) if key is not None and value else value


def reveal(tree: Any, key: DataKey | None) -> Any:
    """A copy of ``tree`` with every sealed value opened (plain values as they are)."""
    if isinstance(tree, str):
        return _open(tree, key) if tree.startswith(PREFIX) else tree
    if isinstance(tree, dict):
        return {k: reveal(v, key) for k, v in tree.items()}
    if isinstance(tree, list):
        return [reveal(v, key) for v in tree]
    return tree


def has_sealed(tree: Any) -> bool:
    if isinstance(tree, str):
        return tree.startswith(PREFIX)
    if isinstance(tree, dict):
        return any(has_sealed(v) for v in tree.values())
    if isinstance(tree, list):
        return any(has_sealed(v) for v in tree)
    return False


def has_plain_personal(tree: Any) -> bool:
    """Whether a tree holds a personal value not sealed yet (encrypt-existing's question)."""
    return has_personal(tree, _plain)


def _plain(value: Any) -> bool:
    """A personal value stored as it is: not empty, not sealed, not erased (engine/personal.py)."""
    return value not in (None, "") and not is_sealed(value) and not is_erased(value)


def _open(text: str, key: DataKey | None) -> Any:
    if key is None:
        raise ConfigError(f"the database holds personal data sealed with a data key, and no key "
                          f"is configured — set SUNSHINE_DATA_KEY to the key file ({DOCS})")
    return key.open(text)


def seal_blob(data: bytes, key: DataKey | None) -> bytes:
    return key.seal_bytes(data) if key is not None else data


def open_blob(data: bytes, key: DataKey | None) -> bytes:
    if not data.startswith(BLOB_PREFIX):
        return data
    if key is None:
        raise ConfigError(f"the database holds case states sealed with a data key, and no key is "
                          f"configured — set SUNSHINE_DATA_KEY to the key file ({DOCS})")
    return key.open_bytes(data)


def lookups(applicant: str, key: DataKey | None) -> list[str]:
    """Every way a flag may name its applicant: under the key, the previous keys, or plain."""
    return [*(key.lookups(applicant) if key is not None else ()), applicant]


def lookup(applicant: str, key: DataKey | None) -> str:
    """How an applicant flag names its applicant in the table."""
    return key.lookup(applicant) if key is not None else applicant
