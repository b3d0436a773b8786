"""Delivery adapters: the senders of notices to applicants, one per channel
(engine/documents.Channel): the print queue (PDF files), e-mail (SMTP) and SMS (a gateway).

``build_senders(settings)`` makes the senders the settings allow and says, in ``notes``, which
channels have none (their notices wait in the outbox). ReportLab is imported only here and by
the verbs that deliver.
"""

from __future__ import annotations

import importlib
from typing import Any

from adapters.config import Settings
from engine.documents import Channel
from engine.errors import ConfigError


def build_senders(settings: Settings, clock: Any = None) -> tuple[dict[Channel, Any], list[str]]:
    """The senders the settings allow (``clock`` dates the e-mails), and a note per channel
    that has none."""
    from adapters.delivery.print_queue import PrintQueue
    from adapters.delivery.sms import LoggingSmsGateway, SmsSender
    from adapters.delivery.smtp import SmtpSender

    senders: dict[Channel, Any] = {Channel.PRINT: PrintQueue(settings.print_dir)}
    notes: list[str] = []
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpSender(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
            user=settings.smtp_user, password=settings.smtp_password,
            starttls=settings.smtp_starttls, clock=clock)
    else:
        notes.append("no SMTP server configured (SUNSHINE_SMTP_HOST): e-mail notices wait in "
                     "the outbox")
    gateway = settings.sms_gateway
    if gateway == "log":
        senders[Channel.SMS] = SmsSender(LoggingSmsGateway(settings.sms_log))
    elif gateway:
        module, _, name = gateway.partition(":")
        try:
            factory = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as err:
            raise ConfigError(f"SUNSHINE_SMS_GATEWAY={gateway!r}: cannot load it ({err}); give "
                              f"log or package.module:factory") from None
        senders[Channel.SMS] = SmsSender(factory(settings))
    else:
        notes.append("no SMS gateway configured (SUNSHINE_SMS_GATEWAY): SMS notices wait in the "
                     "outbox")
    return senders, notes
