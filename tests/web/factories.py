"""One factory per tenant-owned table that an API route addresses by id.

The isolation test creates a row of tenant B with these and checks tenant A cannot reach it through any
route; a route whose table has no factory here fails that test, so later tables must add one."""

from __future__ import annotations

from tests.web.helpers import make_account, make_token
from web.models import Account, ApiToken


def _account(db, settings, tenant_id, owner) -> int:
    return make_account(db, settings, tenant_id, f"someone{tenant_id}@b.test", role="user").id


def _api_token(db, settings, tenant_id, owner) -> int:
    make_token(db, owner)
    from sqlmodel import select

    with db() as session:
        return session.exec(select(ApiToken.id).where(ApiToken.account_id == owner.id)).first()


FACTORIES = {
    Account: _account,
    ApiToken: _api_token,
}
