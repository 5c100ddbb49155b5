"""Outgoing mail through the configured SMTP relay."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from web.settings import Settings

log = logging.getLogger("web.mail")


def send_mail(settings: Settings, to: str, subject: str, text: str) -> bool:
    """Send a plain-text mail; False (and a log line) when the relay refuses or is down."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.warning("could not send mail to %s through %s:%s", to, settings.smtp_host, settings.smtp_port, exc_info=True)
        return False
