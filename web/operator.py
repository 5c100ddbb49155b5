"""`python -m web.operator EMAIL`: a platform operator account with a one-time password, printed.

`make run` makes one (with the demo) on its first run; an installation started otherwise (compose.yaml:
`docker compose exec web python -m web.operator you@example.com`) has none until this runs. Run again for
an operator who lost the password: it prints a new one-time password. Either way the password works
once: the operator chooses an own one at login, as the demo's accounts do."""

from __future__ import annotations

import sys

from sqlmodel import select

from web.auth.passwords import hash_password
from web.db import make_engine, session_scope
from web.demo import one_time_password
from web.domain import audit
from web.models import Account
from web.settings import Settings, get_settings
from callplan.text import email_address


def make_operator(engine, settings: Settings, email: str) -> tuple[str, str]:
    """Create the operator `email`, or give that operator a new one-time password (and lift a lockout
    after wrong passwords); returns (login, password). Raises ValueError for an address that is not one,
    or that a company's account uses."""
    email = email_address(email)
    password = one_time_password()
    with session_scope(engine, audit.SYSTEM) as db:
        account = db.exec(select(Account).where(Account.email == email, Account.tenant_id.is_(None))).first()
        company = db.exec(select(Account).where(Account.email == email, Account.tenant_id.is_not(None))).first()
        if account is None and company is not None:
            raise ValueError(f"{email} is an account of a company ({company.role}), not an operator")
        if account is None:
            account = Account(email=email, role="operator", tenant_id=None, first_name="Platform",
                              last_name="Operator", language="en")
        account.password_hash = hash_password(settings, password)
        account.must_change_password = True
        account.failed_logins, account.locked_at = 0, None
        db.add(account)
    return email, password


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m web.operator EMAIL", file=sys.stderr)
        return 2
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        login, password = make_operator(engine, settings, argv[0])
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"operator  login: {login}   one-time password: {password}")
    print(f"Log in at {settings.public_base_url}/login and choose your own password.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
