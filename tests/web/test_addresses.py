"""An e-mail address is one account per company, not one on the platform: a company's admin cannot learn
that another company has an account with some address. One person with accounts in two companies logs
in with the address and the password of the account meant (two accounts of one address never share
a password), and a reset mails a link for each, naming its company."""

from __future__ import annotations

import re

from sqlmodel import select

from tests.web.helpers import login, make_account, make_tenant, make_token
from web.models import Account, LoginAttempt

ADDRESS = "piet@example.nl"
PASSWORD_A, PASSWORD_B = "lantern harbour quietly 71", "copper meadow gently 39"


def _two_companies(db, settings):
    acme = make_tenant(db, name="Acme", sip_domain="acme.pbx.test")
    beta = make_tenant(db, name="Beta", sip_domain="beta.pbx.test")
    make_account(db, settings, acme.id, ADDRESS, role="user", password=PASSWORD_A)
    make_account(db, settings, beta.id, ADDRESS, role="admin", password=PASSWORD_B)
    return acme, beta


def _account(db, tenant_id) -> Account:
    with db() as session:
        return session.exec(select(Account).where(Account.email == ADDRESS, Account.tenant_id == tenant_id)).one()


def _link_token(message) -> str:
    return re.search(r"/set-password#token=([\w-]+)", message.get_content()).group(1)


def test_another_companys_address_answers_like_a_free_one(app, client, db, settings, mailbox):
    from starlette.testclient import TestClient

    acme = make_tenant(db, name="Acme", sip_domain="acme.pbx.test")
    beta = make_tenant(db, name="Secret Corp", sip_domain="beta.pbx.test")
    make_account(db, settings, beta.id, ADDRESS, role="user")
    boss = make_account(db, settings, acme.id, "boss@acme.test")
    admin = TestClient(app, headers={"authorization": f"Bearer {make_token(db, boss)}"})
    theirs = admin.post("/api/accounts", json={"email": ADDRESS, "role": "user"})
    nobodys = admin.post("/api/accounts", json={"email": "nobody@example.nl", "role": "user"})
    assert theirs.status_code == nobodys.status_code == 201, theirs.text
    assert set(theirs.json()) == set(nobodys.json()) and "Secret Corp" not in theirs.text
    assert theirs.json()["tenant_id"] == acme.id
    # within the company an address is one account's
    again = admin.post("/api/accounts", json={"email": ADDRESS.upper(), "role": "user"})
    assert again.status_code == 409 and again.json()["code"] == "email_taken"
    assert len(mailbox.to(ADDRESS)) == 1  # Acme's welcome mail, naming Acme
    assert "Acme" in mailbox.to(ADDRESS)[0].get_content()

    make_account(db, settings, None, "op@platform.test", role="operator")
    login(client, "op@platform.test")
    made = client.post("/api/tenants", json={"name": "Gamma", "sip_domain": "gamma.pbx.test", "admin_email": ADDRESS})
    assert made.status_code == 201, made.text


def test_one_address_logs_into_the_company_its_password_belongs_to(client, db, settings):
    acme, beta = _two_companies(db, settings)
    assert login(client, ADDRESS, PASSWORD_A)["tenant_name"] == "Acme"
    client.post("/api/auth/logout")
    assert login(client, ADDRESS, PASSWORD_B)["tenant_name"] == "Beta"
    client.post("/api/auth/logout")
    wrong = client.post("/api/auth/login", json={"email": ADDRESS, "password": "not either of them"})
    unknown = client.post("/api/auth/login", json={"email": "ghost@example.nl", "password": "not either of them"})
    assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()
    with db() as session:
        good = session.exec(select(LoginAttempt).where(LoginAttempt.success == True).order_by(LoginAttempt.id)).all()  # noqa: E712
    assert [attempt.tenant_id for attempt in good] == [acme.id, beta.id]  # each company's login history


def test_a_guess_counts_towards_each_account_and_a_right_one_only_towards_none(client, db, settings):
    acme, beta = _two_companies(db, settings)
    for _ in range(3):
        assert client.post("/api/auth/login", json={"email": ADDRESS, "password": "a wrong guess"}).status_code == 401
    assert (_account(db, acme.id).failed_logins, _account(db, beta.id).failed_logins) == (3, 3)
    login(client, ADDRESS, PASSWORD_A)
    assert (_account(db, acme.id).failed_logins, _account(db, beta.id).failed_logins) == (0, 3)


def test_two_accounts_of_one_address_never_share_a_password(client, db, settings, mailbox):
    acme, beta = _two_companies(db, settings)
    assert client.post("/api/auth/password-reset", json={"email": ADDRESS}).status_code == 202
    mails = {("Acme" if "Acme" in m.get_content() else "Beta"): m for m in mailbox.to(ADDRESS)}
    assert set(mails) == {"Acme", "Beta"}  # one link for each account, naming its company
    shared = client.post("/api/auth/password-reset/confirm", json={"token": _link_token(mails["Beta"]), "new_password": PASSWORD_A})
    assert shared.status_code == 422 and shared.json()["code"] == "password_of_another_account"
    assert shared.json()["errors"][0]["pointer"] == "/new_password"
    own = client.post("/api/auth/password-reset/confirm", json={"token": _link_token(mails["Beta"]),
                                                                 "new_password": "saffron lighthouse slowly 52"})
    assert own.status_code == 204  # the refused password did not spend the link
    assert login(client, ADDRESS, "saffron lighthouse slowly 52")["tenant_name"] == "Beta"
    changed = client.post("/api/auth/password", json={"current_password": "saffron lighthouse slowly 52",
                                                      "new_password": PASSWORD_A})
    assert changed.status_code == 422 and changed.json()["code"] == "password_of_another_account"
