"""One factory per tenant-owned table that an API route addresses by id.

The isolation test creates a row of tenant B with these and checks tenant A cannot reach it through any
route; a route whose table has no factory fails that test, so new tables must add one. Factories live
beside the tests of their feature in tests/web/factories_<feature>.py (each exporting FACTORIES), and
are merged here."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

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

for _info in pkgutil.iter_modules([str(Path(__file__).parent)]):
    if _info.name.startswith("factories_"):
        FACTORIES.update(importlib.import_module(f"tests.web.{_info.name}").FACTORIES)
