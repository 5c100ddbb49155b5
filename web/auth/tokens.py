"""Random secrets that are stored only as their SHA-256: session cookies, API tokens, one-time links,
recovery codes. They carry 128+ bits (recovery codes 50), so a fast hash is enough; passwords, which
people choose, get argon2 instead."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_TOKEN_PREFIX = "cpt_"


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_recovery_code() -> str:
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def normalise_recovery_code(code: str) -> str:
    chars = "".join(ch for ch in code.lower() if ch.isalnum())
    return f"{chars[:5]}-{chars[5:]}"
