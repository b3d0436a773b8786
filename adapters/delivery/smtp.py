"""E-mail delivery (电子邮件送达) with smtplib: a UTF-8 message whose subject is the notice's
title and case number and whose body is its plain-text form (engine/documents.render_text).

STARTTLS is used when configured (SUNSHINE_SMTP_STARTTLS, on by default) and a login when a
user is set. Any failure (connection refused, timeout, a refused recipient, a TLS or login
error) is raised as it is; the delivery service records it and retries later.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from engine.documents import Document, email_subject, render_text


@dataclass(frozen=True)
class SmtpSender:
    """A ``Sender`` (engine/ports.py) over an SMTP server."""

    host: str
    port: int = 25
    sender: str = ""  # the From address
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True
    timeout: float = 30.0
    clock: Any = field(default=None, compare=False)  # the Date header; None: the server adds it

    def message(self, document: Document, recipient: str, key: str = "") -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = email_subject(document)
        msg["From"] = self.sender
        msg["To"] = recipient
        if self.clock is not None:
            msg["Date"] = format_datetime(self.clock.now())
        # the notice's own identity when it has one: a message sent again after a lost answer
        # keeps its Message-ID, by which mail servers and readers drop the repeat
        ident = hashlib.sha256(key.encode()).hexdigest()[:32] if key else uuid.uuid4().hex
        msg["Message-ID"] = f"<{ident}@{self.sender.rpartition('@')[2] or 'sunshine'}>"
        msg.set_content(render_text(document), charset="utf-8")
        return msg

    def send(self, document: Document, recipient: str, *, key: str = "") -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(self.message(document, recipient, key))
