"""TOTP (RFC 6238) second factor with pyotp: 30-second steps, one step of clock skew either way, and
every code accepted at most once (the step it matched must be later than the last one accepted)."""

from __future__ import annotations

import pyotp
import segno

STEP_SECONDS = 30
SKEW_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account_email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as an inline SVG document."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def matching_step(secret: str, code: str, at_timestamp: float, last_step: int) -> int | None:
    """The time step `code` belongs to, if it is valid now and newer than `last_step`; else None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(at_timestamp // STEP_SECONDS)
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if step > last_step and pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
