"""One-time links by mail: password reset (1 hour) and welcome (7 days, seed 001 9.2)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from web import clock, mail
from web.auth import tokens
from web.i18n import t
from web.models import Account, OneTimeLink, Tenant

LIFETIME = {"reset": timedelta(hours=1), "welcome": timedelta(days=7)}


def issue(ctx, account: Account, purpose: str) -> None:
    """Make a link for `account` and mail it once the transaction has committed.

    Older unused links of the same account are spent, so only the newest one works."""
    now = clock.now()
    for old in ctx.db.exec(
        select(OneTimeLink).where(OneTimeLink.account_id == account.id, OneTimeLink.used_at == None)  # noqa: E711
    ).all():
        old.used_at = now
        ctx.db.add(old)
    raw = tokens.new_token()
    ctx.db.add(
        OneTimeLink(
            account_id=account.id,
            tenant_id=account.tenant_id,
            purpose=purpose,
            token_hash=tokens.digest(raw),
            expires_at=now + LIFETIME[purpose],
        )
    )
    # The token rides in the fragment: it never reaches a server log or a Referer header.
    url = f"{ctx.settings.public_base_url}/set-password#token={raw}"
    lang = account.language
    subject = t(lang, f"mail.{purpose}.subject")
    # the company names which account this is: one address may have an account in several
    tenant = ctx.db.get(Tenant, account.tenant_id) if account.tenant_id is not None else None
    company = tenant.name if tenant is not None else t(lang, "mail.platform")
    body = t(lang, f"mail.{purpose}.body", email=account.email, company=company, url=url,
             hours=int(LIFETIME[purpose].total_seconds() // 3600))
    ctx.after_commit(lambda: mail.send_mail(ctx.settings, account.email, subject, body))


def usable(ctx, raw: str) -> OneTimeLink | None:
    """The link behind `raw` if it is unused and unexpired, without spending it."""
    link = ctx.db.exec(select(OneTimeLink).where(OneTimeLink.token_hash == tokens.digest(raw))).first()
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        return None
    return link


def redeem(ctx, raw: str) -> OneTimeLink | None:
    """The link behind `raw` if it is unused and unexpired, now marked used; else None. Spent in one
    conditional UPDATE: of many requests with one link, exactly one gets it."""
    now = clock.now()
    token_hash = tokens.digest(raw)
    spent = ctx.db.execute(update(OneTimeLink).where(OneTimeLink.token_hash == token_hash,
                                                     OneTimeLink.used_at == None,  # noqa: E711
                                                     OneTimeLink.expires_at > now).values(used_at=now))
    if spent.rowcount != 1:
        return None
    return ctx.db.exec(select(OneTimeLink).where(OneTimeLink.token_hash == token_hash)).one()
