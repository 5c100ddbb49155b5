"""Counters and one-time things of the login hold under real parallel requests (a running server, on
SQLite and PostgreSQL): wrong passwords are each counted and stop at the limit, the lockout falls at
exactly its count, a TOTP code, a recovery code, a reset link and a welcome link each work once."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from tests.web.concurrency import at_once, clients, serving
from tests.web.helpers import PASSWORD, make_account, make_tenant
from web import clock
from web.auth import ratelimit
from web.auth.tokens import digest, new_token
from web.models import Account, LoginAttempt, OneTimeLink, RecoveryCode

RACERS = 12


@pytest.fixture
def server(app):
    with serving(app) as base_url:
        yield base_url


def _account(db, email="anna@acme.test"):
    with db() as session:
        return session.exec(select(Account).where(Account.email == email)).one()


def _attempts(db, reason):
    with db() as session:
        return len(session.exec(select(LoginAttempt.id).where(LoginAttempt.reason == reason)).all())


def _statuses(answers) -> list[int]:
    return sorted(answer.status_code for answer in answers)


def test_parallel_wrong_passwords_are_each_counted_and_stop_at_the_limit(server, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "anna@acme.test")
    with clients(server, RACERS) as racers:
        answers = at_once(racers, lambda c, n: c.post("/api/auth/login", json={"email": "anna@acme.test",
                                                                                "password": f"wrong {n}"}))
    statuses = _statuses(answers)
    assert statuses == [401] * ratelimit.PER_ACCOUNT + [429] * (RACERS - ratelimit.PER_ACCOUNT), statuses
    assert _account(db).failed_logins == ratelimit.PER_ACCOUNT
    assert _attempts(db, "wrong_password") == ratelimit.PER_ACCOUNT


def test_parallel_wrong_passwords_lock_the_account_at_exactly_its_count(server, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "anna@acme.test", failed_logins=ratelimit.LOCKOUT_AFTER - 2)
    with clients(server, RACERS) as racers:
        answers = at_once(racers, lambda c, n: c.post("/api/auth/login", json={"email": "anna@acme.test",
                                                                                "password": f"wrong {n}"}))
    statuses = _statuses(answers)
    assert statuses.count(401) == 2 and set(statuses) <= {401, 403, 429}, statuses
    account = _account(db)
    assert account.failed_logins == ratelimit.LOCKOUT_AFTER and account.locked_at is not None
    assert _attempts(db, "wrong_password") == 2
    clock.advance(ratelimit.WINDOW.total_seconds() + 1)
    with clients(server, 1) as (late,):
        refused = late.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "account_locked"


def _two_factor_account(db, settings) -> tuple[str, list[str]]:
    tenant = make_tenant(db)
    secret = pyotp.random_base32(32)
    account = make_account(db, settings, tenant.id, "anna@acme.test", totp_secret=secret, totp_enabled=True,
                           primary_factor="totp")
    codes = [f"abcde-fgh{n}k" for n in range(2, 4)]
    with db() as session:
        for code in codes:
            session.add(RecoveryCode(account_id=account.id, tenant_id=tenant.id, code_hash=digest(code)))
    return secret, codes


def _pending_logins(racers):
    for client in racers:
        answer = client.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD})
        assert answer.status_code == 200 and answer.json()["stage"] == "2fa", answer.text
        client.headers["x-csrf-token"] = answer.json()["csrf_token"]


def test_one_totp_code_finishes_exactly_one_of_many_racing_logins(server, db, settings):
    secret, _ = _two_factor_account(db, settings)
    with clients(server, 10) as racers:
        _pending_logins(racers)
        code = pyotp.TOTP(secret).at(clock.timestamp())
        answers = at_once(racers, lambda c, n: c.post("/api/auth/second-factor", json={"code": code}))
        assert _statuses(answers) == [200] + [401] * 9, [a.text for a in answers]
        winner = next(c for c, a in zip(racers, answers) if a.status_code == 200)
        assert winner.get("/api/auth/me").json()["stage"] == "full"
        assert [c.get("/api/auth/me").json()["stage"] for c in racers if c is not winner] == ["2fa"] * 9


def test_one_recovery_code_finishes_exactly_one_of_many_racing_logins(server, db, settings):
    _, codes = _two_factor_account(db, settings)
    with clients(server, 10) as racers:
        _pending_logins(racers)
        answers = at_once(racers, lambda c, n: c.post("/api/auth/second-factor", json={"recovery_code": codes[0]}))
    assert _statuses(answers) == [200] + [401] * 9, [a.text for a in answers]
    with db() as session:
        used = session.exec(select(RecoveryCode).where(RecoveryCode.used_at != None)).all()  # noqa: E711
    assert [row.code_hash for row in used] == [digest(codes[0])]


@pytest.mark.parametrize("purpose", ["reset", "welcome"])
def test_a_link_sets_a_password_exactly_once_under_parallel_requests(server, db, settings, purpose):
    tenant = make_tenant(db)
    account = make_account(db, settings, tenant.id, "anna@acme.test", password=None if purpose == "welcome" else PASSWORD)
    raw = new_token()
    with db() as session:
        session.add(OneTimeLink(account_id=account.id, tenant_id=tenant.id, purpose=purpose, token_hash=digest(raw),
                                expires_at=clock.now() + timedelta(hours=1)))
    with clients(server, RACERS) as racers:
        answers = at_once(racers, lambda c, n: c.post("/api/auth/password-reset/confirm", json={
            "token": raw, "new_password": f"a fresh passphrase number {n} for anna"}))
    statuses = _statuses(answers)
    assert statuses == [204] + [400] * (RACERS - 1), statuses
    winner = next(n for n, answer in enumerate(answers) if answer.status_code == 204)
    with clients(server, 1) as (check,):
        logged_in = check.post("/api/auth/login", json={"email": "anna@acme.test",
                                                         "password": f"a fresh passphrase number {winner} for anna"})
    assert logged_in.status_code == 200, logged_in.text
    assert _attempts(db, f"{purpose}_link_used") == 1
