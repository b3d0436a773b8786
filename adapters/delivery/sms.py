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

    ``send_text(phone, text)`` delivers ``text`` (UTF-8, at most 500 characters; the gateway
    splits long messages as the carrier requires) to ``phone`` (as the applicant gave it,
    digits with an optional +86). It returns once the gateway has accepted the message and
    raises any exception otherwise: the notice is then retried with a growing pause (1 min,
    5 min, 30 min, 2 h …, at most eight attempts). It must be safe to call again with the same
    message after a failure (a gateway that accepted the message but whose answer was lost
    may deliver it twice; pass the message's identity on if the gateway can drop duplicates).
    """

    def send_text(self, phone: str, text: str) -> None: ...


class LoggingSmsGateway:
    """Appends one JSON line per message to ``path`` instead of sending it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send_text(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"phone": phone, "text": text}, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


class SmsSender:
    """A ``Sender`` (engine/ports.py): the notice's short text through a gateway."""

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    def send(self, document: Document, recipient: str) -> None:
        self.gateway.send_text(recipient, sms_text(document)[:500])
