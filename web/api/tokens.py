"""Personal API tokens for automation: shown once, stored hashed, revocable; made from a portal login
only, and revoked all together when their owner's password changes (web.auth.sessions.end_all_sessions)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from web import clock
from web.api.problems import Problem
from web.api.routing import api
from web.auth.tokens import digest, new_api_token
from web.models import ApiToken
from web.models.auth import ApiTokenCreate, ApiTokenPublic
from web.scoping import scoped_to_account


class ApiTokenCreated(ApiTokenPublic):
    token: str  # the only time the secret is shown


def list_tokens(ctx):
    """The caller's own API tokens (never their secrets)."""
    rows = ctx.db.exec(scoped_to_account(ApiToken, ctx.account).order_by(ApiToken.id)).all()
    return [ApiTokenPublic.model_validate(row, from_attributes=True) for row in rows]


def create_token(ctx, body: ApiTokenCreate):
    """A new token acting as the caller; its secret is in this answer and nowhere else. Only from a
    portal login: a token cannot make tokens (a leaked one would otherwise outlive its own revocation
    in the copies it made)."""
    if ctx.via_token:
        raise Problem(403, "token_cannot_create_tokens")
    raw = new_api_token()
    token = ApiToken(
        account_id=ctx.account.id,
        tenant_id=ctx.account.tenant_id,
        name=body.name,
        prefix=raw[:10],
        token_hash=digest(raw),
        expires_at=clock.now() + timedelta(days=body.expires_in_days) if body.expires_in_days else None,
    )
    ctx.db.add(token)
    ctx.db.flush()
    return ApiTokenCreated(**ApiTokenPublic.model_validate(token, from_attributes=True).model_dump(), token=raw)


def revoke_token(ctx, id: int):
    """Revoke one of the caller's tokens; it stops working at once."""
    token = ctx.db.exec(scoped_to_account(ApiToken, ctx.account).where(ApiToken.id == id)).first()
    if token is None:
        raise Problem(404, "not_found")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        ctx.db.add(token)
    return None


routes = [
    api("GET", "/api/account/tokens", list_tokens, permission="self", response=list[ApiTokenPublic]),
    api("POST", "/api/account/tokens", create_token, permission="self", body=ApiTokenCreate,
        response=ApiTokenCreated, status=201),
    api("DELETE", "/api/account/tokens/{id:int}", revoke_token, permission="self", status=204, model=ApiToken),
]
