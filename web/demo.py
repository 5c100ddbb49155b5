"""The demo tenant `make run` creates on its first run, so a newcomer can log in at once."""

from __future__ import annotations

import secrets

from sqlmodel import select

from web import audit
from web.auth.passwords import hash_password
from web.db import session_scope
from web.models import Account, Tenant
from web.settings import Settings

DEMO_DOMAIN = "demo.pbx.localhost"
DEMO_ADMIN = "admin@demo.example.com"
OPERATOR = "operator@pbx.localhost"


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def ensure_demo(engine, settings: Settings) -> list[tuple[str, str, str]]:
    """Create the operator and the demo tenant with its admin if the database has no tenant yet.

    Returns (role, login, one-time password) for each account made, to print; the passwords must be
    changed at first login."""
    made = []
    with session_scope(engine, audit.SYSTEM) as db:
        if db.exec(select(Tenant.id)).first() is not None:
            return made
        tenant = Tenant(name="Demo Company", sip_domain=DEMO_DOMAIN, timezone="Europe/Amsterdam", language="en",
                        company_number="+31201234567")
        db.add(tenant)
        db.flush()
        for email, role, tenant_id, first, last in (
            (OPERATOR, "operator", None, "Platform", "Operator"),
            (DEMO_ADMIN, "admin", tenant.id, "Anna", "de Vries"),
        ):
            if db.exec(select(Account.id).where(Account.email == email)).first() is not None:
                continue
            password = one_time_password()
            db.add(Account(email=email, role=role, tenant_id=tenant_id, first_name=first, last_name=last,
                           language="en", password_hash=hash_password(settings, password), must_change_password=True))
            made.append((role, email, password))
    return made
