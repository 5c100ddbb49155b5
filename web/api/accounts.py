"""A tenant admin's view of the tenant's portal accounts (seed 001 section 9)."""

from __future__ import annotations

from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.auth import links
from web.models import Account
from web.models.account import AccountCreate, AccountPublic, AccountUpdate
from web.scoping import get_owned, scoped
from web.updates import apply_update


def _email_taken(ctx, email: str) -> bool:
    # Within the company only: whether another company has an account with this address is not this
    # company's to learn (logging in tells such accounts apart by their passwords: web/api/auth.py).
    return ctx.db.exec(scoped(Account, ctx.tenant_id).where(Account.email == email)).first() is not None


def _other_admins(ctx, account: Account) -> int:
    query = scoped(Account, ctx.tenant_id).where(Account.role == "admin", Account.blocked == False, Account.id != account.id)  # noqa: E712
    return len(ctx.db.exec(query).all())


def list_accounts(ctx):
    """Every portal account of the tenant."""
    return [AccountPublic.of(row) for row in ctx.db.exec(scoped(Account, ctx.tenant_id).order_by(Account.id)).all()]


def create_account(ctx, body: AccountCreate):
    """Add a portal account; with send_welcome it gets a mail with a link to choose its password."""
    if body.role == "operator":
        raise field_problem(422, "role_not_allowed", "/role", "platform operators are not created by tenants")
    if _email_taken(ctx, body.email):
        raise field_problem(409, "email_taken", "/email", "another account of this company already uses this address")
    account = Account(**body.model_dump(exclude={"send_welcome"}), tenant_id=ctx.tenant_id)
    ctx.db.add(account)
    ctx.db.flush()
    if body.send_welcome:
        links.issue(ctx, account, "welcome")
    return AccountPublic.of(account)


def get_account(ctx, id: int):
    """One account of the tenant."""
    return AccountPublic.of(get_owned(ctx.db, Account, ctx.tenant_id, id))


def update_account(ctx, body: AccountUpdate, id: int):
    """Change an account's name, role, language, or block it."""
    account = get_owned(ctx.db, Account, ctx.tenant_id, id)
    if body.role == "operator":
        raise field_problem(422, "role_not_allowed", "/role", "platform operators are not created by tenants")
    losing_admin = account.role == "admin" and ((body.role not in (None, "admin")) or body.blocked)
    if losing_admin and _other_admins(ctx, account) == 0:
        raise Problem(409, "last_admin")
    apply_update(account, body)
    ctx.db.add(account)
    return AccountPublic.of(account)


def delete_account(ctx, id: int):
    """Delete an account for good (block it instead to keep its history readable by name)."""
    from web.models.pbx_user import PbxUser

    account = get_owned(ctx.db, Account, ctx.tenant_id, id)
    if account.role == "admin" and _other_admins(ctx, account) == 0:
        raise Problem(409, "last_admin")
    # the user it was the login of stays, without a login (else every later save of it would fail on
    # an account that no longer exists)
    for user in ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.account_id == account.id)).all():
        user.account_id = None
        ctx.db.add(user)
    ctx.db.delete(account)
    return None


def unlock_account(ctx, id: int):
    """Lift a lockout after too many wrong passwords."""
    account = get_owned(ctx.db, Account, ctx.tenant_id, id)
    account.locked_at = None
    account.failed_logins = 0
    ctx.db.add(account)
    return AccountPublic.of(account)


def send_welcome(ctx, id: int):
    """Mail the account a new link to choose its password (the older link stops working)."""
    account = get_owned(ctx.db, Account, ctx.tenant_id, id)
    links.issue(ctx, account, "welcome")
    return AccountPublic.of(account)


def reset_second_factor(ctx, id: int):
    """Remove an account's second factors, the authenticator and the code by phone (a lost phone); it enrols again at its next login if required."""
    from web.models import RecoveryCode

    account = get_owned(ctx.db, Account, ctx.tenant_id, id)
    account.totp_enabled = False
    account.totp_secret = None
    account.phone_factor_number = None  # the code by phone too: a lost phone is often both
    account.phone_factor_language = None
    account.primary_factor = None
    ctx.db.add(account)
    for code in ctx.db.exec(scoped(RecoveryCode, ctx.tenant_id).where(RecoveryCode.account_id == account.id)).all():
        ctx.db.delete(code)
    return AccountPublic.of(account)


routes = [
    api("GET", "/api/accounts", list_accounts, permission="accounts.manage", response=list[AccountPublic]),
    api("POST", "/api/accounts", create_account, permission="accounts.manage", body=AccountCreate,
        response=AccountPublic, status=201),
    api("GET", "/api/accounts/{id:int}", get_account, permission="accounts.manage", response=AccountPublic, model=Account),
    api("PATCH", "/api/accounts/{id:int}", update_account, permission="accounts.manage", body=AccountUpdate,
        response=AccountPublic, model=Account),
    api("DELETE", "/api/accounts/{id:int}", delete_account, permission="accounts.manage", status=204, model=Account),
    api("POST", "/api/accounts/{id:int}/unlock", unlock_account, permission="accounts.manage",
        response=AccountPublic, model=Account),
    api("POST", "/api/accounts/{id:int}/welcome", send_welcome, permission="accounts.manage",
        response=AccountPublic, model=Account),
    api("POST", "/api/accounts/{id:int}/reset-second-factor", reset_second_factor, permission="accounts.manage",
        response=AccountPublic, model=Account),
]
