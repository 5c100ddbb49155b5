"""Asking for the caller's own password again before a secret is shown or a login factor changes.

Each try is a counted guess (web.auth.ratelimit.take_guess): it counts towards the same limits as the
login's, before the password is checked, so parallel tries cannot slip past the limit. Through an API
token the tries count against the token instead: a script (or a thief) holding a token that fails
here slows itself down, never the owner's own logins."""

from __future__ import annotations

from web.auth import ratelimit
from web.auth.passwords import verify_password


def confirm_password(ctx, password: str) -> bool:
    """True when `password` is the caller's; a wrong one stays counted (commit it: answer, don't raise)."""
    account = ctx.account
    attempt = ratelimit.take_guess(ctx, account.email, "reauth_wrong_password", account,
                                   api_token_id=ctx.api_token.id if ctx.api_token is not None else None)
    if not verify_password(ctx.settings, account.password_hash, password):
        return False
    ratelimit.settle(ctx, attempt, True, "reauth_ok")
    return True
