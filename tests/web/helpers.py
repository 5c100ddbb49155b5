"""Arranging tenants, accounts and logins for API tests."""

from __future__ import annotations

import base64
import hashlib
import re

import pyotp

from web import clock
from web.auth.passwords import hash_password
from web.auth.tokens import digest, new_api_token
from web.models import Account, ApiToken, Tenant

PASSWORD = "correct horse battery staple"


def make_tenant(db, name="Acme", sip_domain="acme.pbx.test", **fields) -> Tenant:
    with db() as session:
        tenant = Tenant(name=name, sip_domain=sip_domain, **fields)
        session.add(tenant)
        session.flush()
        return tenant


def make_account(db, settings, tenant_id, email, role="admin", password=PASSWORD, **fields) -> Account:
    with db() as session:
        account = Account(tenant_id=tenant_id, email=email, role=role, language="en",
                          password_hash=hash_password(settings, password) if password else None, **fields)
        session.add(account)
        session.flush()
        return account


def make_token(db, account) -> str:
    raw = new_api_token()
    with db() as session:
        session.add(ApiToken(account_id=account.id, tenant_id=account.tenant_id, name="test", prefix=raw[:10],
                             token_hash=digest(raw)))
    return raw


def login(client, email, password=PASSWORD, expect_stage="full"):
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    client.headers["x-csrf-token"] = body["csrf_token"]
    if expect_stage is not None:
        assert body["stage"] == expect_stage, body
    return body


def enrol_totp(client, password=PASSWORD) -> tuple[str, list[str]]:
    """Turn on the authenticator for the logged-in client; returns (secret, recovery codes)."""
    started = client.post("/api/account/second-factors/totp", json={"password": password})
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = client.post("/api/account/second-factors/totp/confirm", json={"code": code_at(secret)})
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["codes"]


def code_at(secret: str, steps_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.timestamp() + 30 * steps_from_now)


def used_i18n_keys(paths) -> tuple[set[str], set[str]]:
    """(literal keys, prefixes of keys built at run time) that pages and scripts use: every quoted
    "ui.…" string (data-i18n attributes, t("…") calls, tables of keys), a quoted one ending in "." and a
    template literal `ui.…${` being a prefix; comment lines are not read."""
    import re

    literal, prefixes = set(), set()
    for path in paths:
        # comment lines document keys (the toolkit's examples), they do not use them
        text = "\n".join(line for line in path.read_text().splitlines()
                         if not line.lstrip().startswith(("//", "* ", "/*")))
        for key in re.findall(r'"(ui\.[a-z0-9_.]+)"', text):
            (prefixes if key.endswith(".") else literal).add(key)
        prefixes.update(re.findall(r'`(ui\.[a-z0-9_.]+)\$\{', text))
    return literal, prefixes


def menu_entries() -> list[dict]:
    """The portal menu as static/js/layout.js declares it (one entry a line), in its order: dicts with
    href, text, roles (a set; None: everyone), ready, agent, kind and group (its text key; None at the top)."""
    import re

    from web.settings import REPO_ROOT

    text = (REPO_ROOT / "static" / "js" / "layout.js").read_text()
    block = text[text.index("export const MENU = ["):]
    block = block[:block.index("\n];")]
    entries, group = [], None
    for line in block.splitlines():
        started = re.search(r'\{ group: "(ui\.nav\.[a-z_.]+)"', line)
        if started:
            group = started.group(1)
        entry = re.search(r'\{ href: "([^"]+)", text: "(ui\.nav\.[a-z_]+)"(.*?)\},?$', line.strip())
        if entry:
            rest = entry.group(3)
            roles = re.search(r'roles: \[([^\]]*)\]', rest)
            kind = re.search(r'kind: "([a-z_]+)"', rest)
            entries.append({
                "href": entry.group(1), "text": entry.group(2), "group": group,
                "roles": set(re.findall(r'"([a-z]+)"', roles.group(1))) if roles else None,
                "ready": "ready: true" in rest, "agent": "agent: true" in rest, "kind": kind.group(1) if kind else None,
            })
        if line.strip().startswith("] },"):
            group = None
    return entries


def switch_client(app):
    """A TestClient calling from 127.0.0.1, as FreeSWITCH does (its endpoints answer loopback only unless
    configured otherwise; a TestClient's own peer, "testclient", is no address)."""
    from starlette.testclient import TestClient

    return TestClient(app, client=("127.0.0.1", 50000))


def page_policy_of(html: str) -> str:
    """The Content-Security-Policy a portal page must come with: the shell's, letting in nothing inline but
    the page's one import map (by its hash; web/pages.py)."""
    from web import pages

    maps = re.findall(r'<script type="importmap">([^<]*)</script>', html)
    assert len(maps) == 1, maps
    digest = base64.b64encode(hashlib.sha256(maps[0].encode()).digest()).decode()
    policy = pages.SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src" not in policy
    return policy.replace("default-src 'self';", f"default-src 'self'; script-src 'self' 'sha256-{digest}';")
