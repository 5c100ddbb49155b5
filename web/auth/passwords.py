"""argon2id password hashes, through argon2-cffi directly."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from web.settings import Settings


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)


def hash_password(settings: Settings, password: str) -> str:
    return hasher(settings).hash(password)


def verify_password(settings: Settings, stored_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no stored hash a dummy hash is checked, so an unknown
    account takes as long to refuse as a wrong password (no account discovery by timing)."""
    ph = hasher(settings)
    target = stored_hash or _dummy_hash(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    try:
        ph.verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def needs_rehash(settings: Settings, stored_hash: str) -> bool:
    return hasher(settings).check_needs_rehash(stored_hash)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("not a password anyone has")
