"""One's own profile: the name and language of the account that is logged in (the portal's /account/profile;
the password is changed at POST /api/auth/password, API tokens at /api/account/tokens)."""

from __future__ import annotations

from typing import Optional

from pydantic import ConfigDict
from sqlmodel import SQLModel

from web.api.routing import api
from web.models.account import AccountPublic
from web.updates import apply_update
from web.validation import Language, PersonName


class ProfileUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    first_name: Optional[PersonName] = None
    last_name: Optional[PersonName] = None
    language: Optional[Language] = None


def update_profile(ctx, body: ProfileUpdate):
    """Change one's own name or language (the portal then speaks that language)."""
    account = ctx.account
    apply_update(account, body)
    ctx.db.add(account)
    return AccountPublic.of(account)


routes = [
    api("PATCH", "/api/account", update_profile, permission="self", body=ProfileUpdate, response=AccountPublic),
]
