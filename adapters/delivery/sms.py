"""SMS delivery (短信告知): a short text with the case number and query code
(engine/documents.sms_text), sent through the operator's SMS gateway.

The real gateway is the operator's contract (a county uses its province's government SMS
platform or a carrier's): implement :class:`SmsGateway` for it and name its factory in
``SUNSHINE_SMS_GATEWAY=package.module:factory`` (called with the Settings, returns the gateway).
``SUNSHINE_SMS_GATEWAY=log`` uses :class:`LoggingSmsGateway`, which only appends what would be
sent to a file (for training and tests: nothing reaches a phone). With no gateway configured,
SMS notices wait in the outbox.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

from engine.documents import Document, sms_text


class SmsGateway(Protocol):
    """The interface an operator's SMS gateway implements.

    ``send_text(phone, text, key)`` delivers ``text`` (UTF-8, at most 500 characters; the gateway
    splits long messages as the carrier requires) to ``phone`` (as the applicant gave it,
    digits with an optional +86). It returns once the gateway has accepted the message and
    raises any exception otherwise: the notice is then retried with a growing pause (1 min,
    5 min, 30 min, 2 h …, at most eight attempts). It must be safe to call again with the same
    message after a failure. ``key`` is the notice's identity: the same notice sent again (the
    gateway accepted it but the worker was killed before it recorded that) comes with the same
    key, and the gateway must drop the repeat — pass it on as the platform's client message id
    (most government and carrier SMS platforms take one for exactly this).
    """

    def send_text(self, phone: str, text: str, key: str) -> None: ...


class LoggingSmsGateway:
    """Appends one JSON line per message to ``path`` instead of sending it; a message whose key
    is in the file already is dropped, as a real platform drops a repeated client message id."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _sent(self, key: str) -> bool:
        if not key or not self.path.exists():
            return False
        with open(self.path, encoding="utf-8") as f:
            return any(json.loads(line).get("key") == key for line in f if line.strip())

    def send_text(self, phone: str, text: str, key: str = "") -> None:
        if self._sent(key):
            return  # accepted before: the answer was lost, the message is not sent twice
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"phone": phone, "text": text, "key": key}, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


class SmsSender:
    """A ``Sender`` (engine/ports.py): the notice's short text through a gateway."""

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    def send(self, document: Document, recipient: str, *, key: str = "") -> None:
        self.gateway.send_text(recipient, sms_text(document)[:500], key)
