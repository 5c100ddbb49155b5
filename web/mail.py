"""Outgoing mail through the configured SMTP relay."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Iterable, Sequence

from web import side_effects
from web.settings import Settings

log = logging.getLogger("web.mail")


def build_message(settings: Settings, to: str | Sequence[str], subject: str, text: str,
                  attachments: Iterable[tuple[str, bytes, str]] = ()) -> EmailMessage:
    """A plain-text mail; `attachments` are (file name, content, MIME type such as "audio/wav")."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message["Subject"] = subject
    message.set_content(text)
    for filename, content, mime_type in attachments:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


def deliver(settings: Settings, message: EmailMessage, timeout: float = 10) -> None:
    """Hand a message to the relay; raises OSError or smtplib.SMTPException when it cannot (the outbox
    records why and tries again)."""
    side_effects.happened("sent mail")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def send_mail(settings: Settings, to: str, subject: str, text: str) -> bool:
    """Send a plain-text mail; False (and a log line) when the relay refuses or is down."""
    try:
        deliver(settings, build_message(settings, to, subject, text))
        return True
    except (OSError, smtplib.SMTPException):
        log.warning("could not send mail to %s through %s:%s", to, settings.smtp_host, settings.smtp_port, exc_info=True)
        return False
