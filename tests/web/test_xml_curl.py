"""POST /freeswitch/xml as FreeSWITCH 1.10.12 calls it: every captured request replayed (as captured,
and adapted to a tenant of ours), who may ask, tenant isolation in the directory, the tenant context
and public numbers, the generation cache, callcenter.conf, and the API flushing FreeSWITCH's directory cache
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from sqlmodel import select
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.web.helpers import make_account, make_token, switch_client
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.routes import api_routes
from web import clock
from web.db import session_scope
from web.demo import DEMO_DOMAIN, ensure_demo
from web.models.device import Device
from web.models.tenant import Tenant
from web.permissions import PERMISSIONS, ROLES
from web.xml_curl import cache, directory, endpoint
from web.xml_curl.endpoint import PATH, XmlCurlRoute

FIXTURES = Path("/work/shared/fixtures/freeswitch-1.10.12")
USER, PASSWORD = "freeswitch", "xml-curl-secret"
CAPTURED_DOMAIN, CAPTURED_USER = "127.0.0.1", "1001"


# --- the captured requests ---------------------------------------------------------------------------


def captured_requests() -> list[list[tuple[str, str]]]:
    """Every request of both capture files, as (field, value) pairs in the order FreeSWITCH sent them."""
    raw = (FIXTURES / "xml_curl_requests.txt").read_text()
    requests = [parse_qsl(body, keep_blank_values=True) for body in re.findall(r"^---- raw body:\n(.*)$", raw, re.M)]
    log = (FIXTURES / "xml_curl_requests_all.log").read_text()
    for block in re.split(r"^==== .*$", log, flags=re.M)[1:]:
        requests.append(list(json.loads(block).items()))
    return requests


REQUESTS = captured_requests()


def raw_bodies() -> list[str]:
    raw = (FIXTURES / "xml_curl_requests.txt").read_text()
    return re.findall(r"^---- raw body:\n(.*)$", raw, re.M)


def encode(pairs) -> str:
    return urlencode(pairs)


def adapted(pairs, domain: str, user: str) -> list[tuple[str, str]]:
    """The request as it would come for our tenant: its domain, its device or extension, its context."""
    out = []
    for name, value in pairs:
        if value == CAPTURED_DOMAIN and name in ("domain", "key_value", "sip_auth_realm"):
            value = domain
        elif value == CAPTURED_USER and name in ("user", "sip_auth_username"):
            value = user
        elif name in ("Caller-Context", "Hunt-Context"):
            value = domain
        out.append((name, value))
    return out


def field(pairs, name):
    return dict(pairs).get(name, "")


def basic(user=USER, password=PASSWORD) -> dict:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def settings(database_url, tmp_path):
    # this module's own settings: the endpoint refuses everything without a configured password
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), xml_curl_password=PASSWORD)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.invalidate()
    yield
    cache.invalidate()


@pytest.fixture
def fs(app):
    """FreeSWITCH's side: posts form bodies with the right credentials, parses every answer."""

    class Switch:
        client = switch_client(app)
        engine = app.state.engine

        def post(self, body, **headers):
            body = encode(body) if isinstance(body, list) else body
            return self.client.post(PATH, content=body, headers={**FORM, **basic(), **headers})

        def fetch(self, body) -> ET.Element:
            response = self.post(body)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/xml")
            return ET.fromstring(response.text)

        def dialplan(self, context: str, number: str) -> ET.Element:
            pairs = [(k, {"Caller-Context": context, "Hunt-Context": context, "Caller-Destination-Number": number,
                          "Hunt-Destination-Number": number}.get(k, v)) for k, v in dialplan_request()]
            return self.fetch(pairs)

        def directory(self, domain: str, user: str, action="sip_auth") -> ET.Element:
            pairs = register_request() if action == "sip_auth" else voicemail_request()
            return self.fetch(adapted(pairs, domain, user))

    return Switch()


def dialplan_request():
    return next(p for p in REQUESTS if field(p, "section") == "dialplan")


def register_request():
    return next(p for p in REQUESTS if field(p, "action") == "sip_auth" and field(p, "sip_auth_method") == "REGISTER")


def voicemail_request():
    return next(p for p in REQUESTS if field(p, "action") == "message-count")


def not_found(root: ET.Element) -> bool:
    return (root.tag == "document" and root.find("section").get("name") == "result"
            and root.find("section/result").get("status") == "not found")


def user_entry(root: ET.Element):
    user = root.find("section[@name='directory']/domain/user")
    if user is None:
        return None
    params = {p.get("name"): p.get("value") for p in user.iter("param")}
    variables = {v.get("name"): v.get("value") for v in user.iter("variable")}
    return user, params, variables


def extensions(root: ET.Element) -> list[str]:
    return [e.get("name") for e in root.iter("extension")]


def a1(name: str, domain: str, password: str) -> str:
    return hashlib.md5(f"{name}:{domain}:{password}".encode()).hexdigest()


def generation(db, tenant_id: int) -> int:
    with db() as session:
        return session.exec(select(Tenant.config_generation).where(Tenant.id == tenant_id)).one()


@pytest.fixture
def demo(app, db):
    ensure_demo(app)
    with db() as session:
        tenant = session.exec(select(Tenant).where(Tenant.sip_domain == DEMO_DOMAIN)).one()
        anna = session.exec(select(Device).where(Device.tenant_id == tenant.id).order_by(Device.id)).first()
        return tenant, anna


# --- replaying what FreeSWITCH sent -------------------------------------------------------------------


def test_the_captures_hold_every_kind_of_request():
    kinds = {(field(p, "section"), field(p, "action"), field(p, "sip_auth_method")) for p in REQUESTS}
    assert {("configuration", "", ""), ("directory", "sip_auth", "REGISTER"), ("directory", "sip_auth", "INVITE"),
            ("directory", "message-count", ""), ("dialplan", "", "")} <= kinds
    assert len(REQUESTS) == len(raw_bodies()) + 27


def test_every_captured_request_as_sent_answers_well_formed_xml(fs, demo):
    # none of them is for one of our tenants (domain 127.0.0.1, context "default"): all fall back,
    # except callcenter.conf, acl.conf and voicemail.conf, which are ours whoever asks
    for body in raw_bodies() + [encode(p) for p in REQUESTS]:
        root = fs.fetch(body)
        pairs = parse_qsl(body, keep_blank_values=True)
        if field(pairs, "key_value") in ("callcenter.conf", "acl.conf", "voicemail.conf"):
            assert root.find("section[@name='configuration']/configuration").get("name") == field(pairs, "key_value")
        else:
            assert not_found(root), body[:120]


def test_every_captured_request_adapted_to_the_demo_tenant(fs, demo, settings):
    tenant, anna = demo
    password = directory.open_sealed(settings.secret_key, anna.sip_password_sealed)
    seen = set()
    for pairs in REQUESTS:
        section, action = field(pairs, "section"), field(pairs, "action")
        user = "201" if action == "message-count" else anna.sip_username
        root = fs.fetch(adapted(pairs, DEMO_DOMAIN, user))
        seen.add((section, action))
        if section == "configuration":
            assert not_found(root) == (field(pairs, "key_value") not in ("callcenter.conf", "acl.conf", "voicemail.conf"))
        elif section == "directory" and action == "sip_auth":
            entry, params, variables = user_entry(root)
            assert root.find("section/domain").get("name") == DEMO_DOMAIN
            assert entry.get("id") == anna.sip_username and entry.get("cacheable") == "60000"
            assert params["a1-hash"] == a1(anna.sip_username, DEMO_DOMAIN, password)
            assert password not in ET.tostring(root, encoding="unicode")
            assert variables["user_context"] == DEMO_DOMAIN and variables["cp_extension"] == "201"
            assert variables["effective_caller_id_name"] == "Anna de Vries"
        elif section == "directory":
            entry, params, _ = user_entry(root)
            assert entry.get("id") == "201" and params["vm-enabled"] == "true"
            assert not any(name.startswith(("vm-mailto", "vm-notify")) for name in params)  # the bridge mails
            assert re.fullmatch(r"[0-9]{4,8}", params["vm-password"])
            assert params["sip-forbid-register"] == "true" and "a1-hash" not in params
        else:
            context = root.find("section[@name='dialplan']/context")
            assert context.get("name") == DEMO_DOMAIN
    assert seen == {("configuration", ""), ("directory", "sip_auth"), ("directory", "message-count"), ("dialplan", "")}


NAMES = ("section", "Hunt-Context", "Caller-Context", "domain", "user", "key", "sip_auth_realm")


@given(st.lists(st.tuples(st.sampled_from(NAMES + ("x", "Hunt-Context2", "sectio")),
                          st.text(st.characters(codec="utf-8"), max_size=12)), max_size=12),
       st.sampled_from(NAMES))
@hypothesis_settings(max_examples=300, deadline=None)
def test_the_form_finds_each_field_as_the_whole_parse_does(pairs, name):
    """endpoint.Form (a field found when first read) reads what parsing the whole body and taking each
    name's first value reads: values with "&", "=", "%", "+" and non-ASCII, a name that is another's
    start or end, a name repeated or missing, the first field of the body."""
    body = encode(pairs).encode()
    first = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        first.setdefault(key, value)
    form = endpoint.Form(body)
    assert form.get(name) == first.get(name) and form.get(name, "") == first.get(name, "")
    assert endpoint.form_fields(body, (name,)).get(name) == first.get(name)


def test_fetches_answered_before_starlette_are_the_routes_answers(app, demo, admin):
    """FreeSWITCH's plain fetch (its exact credentials) is answered before Starlette (web.app.App); the
    same body sent any other way (here the scheme spelt "basic", which the route accepts too) goes through
    the route. Both give the same status, headers and bytes, for every captured request, as sent and
    adapted to a tenant; without the route, only the plain fetch is still answered."""
    anna = admin.user("201", "Anna")
    admin.create("/api/devices", name="Anna's phone", user_id=anna["id"], sip_username="anna.phone")
    client = switch_client(app)
    plain = {**FORM, **basic()}
    spelt = {**FORM, "authorization": "basic " + basic()["authorization"].split(" ", 1)[1]}
    bodies = raw_bodies() + [encode(adapted(p, admin.tenant.sip_domain, "anna.phone")) for p in REQUESTS]
    bodies += [encode(adapted(p, DEMO_DOMAIN, demo[1].sip_username)) for p in REQUESTS]
    bodies += ["", "section=dialplan", "&&&===", "%ff%fe=%00&section=configuration&key_value=callcenter.conf%00",
               "section=directory&domain=%s&user=201&key=id&action=message-count" % admin.tenant.sip_domain]

    def seen(response):
        return response.status_code, response.headers.get("content-type"), response.headers.get("content-length"), \
            response.content

    answers = []
    for body in bodies:
        fast, routed = client.post(PATH, content=body, headers=plain), client.post(PATH, content=body, headers=spelt)
        assert seen(fast) == seen(routed), body[:120]
        assert fast.status_code == 200 and fast.headers["content-type"] == "text/xml; charset=utf-8"
        answers.append(fast.content)
    assert any(b'<user id="anna.phone"' in answer for answer in answers)  # a tenant's entry, not only "not found"
    route = next(r for r in app.router.routes if isinstance(r, XmlCurlRoute))
    app.router.routes.remove(route)
    try:
        for body, answer in zip(bodies, answers):
            assert client.post(PATH, content=body, headers=plain).content == answer
        assert client.post(PATH, content=bodies[0], headers=spelt).status_code == 404
    finally:
        app.router.routes.insert(0, route)


# --- who may ask ------------------------------------------------------------------------------------------


def test_credentials_are_required_and_refusals_say_nothing(app, fs, demo):
    body = encode(adapted(register_request(), DEMO_DOMAIN, demo[1].sip_username))
    client = switch_client(app)
    for headers in ({}, basic(password="wrong"), basic(user="admin"), basic(password=""), {"authorization": "Bearer x"},
                    {"authorization": "Basic !!notbase64"}, basic(password=PASSWORD + "x")):
        refused = client.post(PATH, content=body, headers={**FORM, **headers})
        assert refused.status_code == 401 and refused.content == b""
        assert refused.headers["www-authenticate"].startswith("Basic ")
    assert user_entry(fs.fetch(body)) is not None


def test_portal_logins_do_not_open_it(app, db, settings, demo):
    tenant, anna = demo
    body = encode(adapted(register_request(), DEMO_DOMAIN, anna.sip_username))
    for role in ROLES:
        account = make_account(db, settings, None if role == "operator" else tenant.id, f"{role}@x.test", role=role)
        client = TestClient(app, client=("127.0.0.1", 50000), headers={"authorization": f"Bearer {make_token(db, account)}"})
        assert client.post(PATH, content=body, headers=FORM).status_code == 401
    route = next(r for r in app.routes if getattr(r, "path", None) == PATH)
    assert isinstance(route, XmlCurlRoute) and route not in api_routes(app)
    assert route.permission == "freeswitch" and PERMISSIONS["freeswitch"] == frozenset()


def test_no_configured_password_refuses_everything(database_url, tmp_path):
    from web.app import create_app

    app = create_app(fast_settings(database_url, audio_dir=str(tmp_path)))  # xml_curl_password ""
    client = switch_client(app)
    for password in ("", PASSWORD):
        assert client.post(PATH, content="section=dialplan", headers={**FORM, **basic(password=password)}).status_code == 401
    app.state.engine.dispose()


def test_source_addresses(database_url, tmp_path):
    from web.app import create_app

    app = create_app(fast_settings(database_url, audio_dir=str(tmp_path), xml_curl_password=PASSWORD,
                                   xml_curl_allowed_addresses=("192.0.2.2", "10.1.0.0/16")))
    body = "section=configuration&key_value=acl.conf"
    for address, status in (("192.0.2.2", 200), ("10.1.200.3", 200), ("192.0.2.3", 403), ("testclient", 403)):
        client = TestClient(app, client=(address, 40000))
        answered = client.post(PATH, content=body, headers={**FORM, **basic()})
        assert answered.status_code == status, address
        if status == 403:  # before the credentials are even looked at, and nothing said
            assert answered.content == b"" and client.post(PATH, content=body, headers=FORM).status_code == 403
    app.state.engine.dispose()


def test_only_loopback_may_ask_unless_configured(app, fs, demo):
    from web.settings import Settings

    assert Settings.from_env({"CALLPLAN_SECRET_KEY": "x"}).xml_curl_allowed_addresses == ("127.0.0.0/8", "::1")
    assert Settings.from_env({"CALLPLAN_SECRET_KEY": "x", "CALLPLAN_XML_CURL_ALLOWED_ADDRESSES": "10.0.0.0/8, 192.0.2.7"}
                             ).xml_curl_allowed_addresses == ("10.0.0.0/8", "192.0.2.7")
    body = "section=configuration&key_value=acl.conf"
    for address, status in (("127.0.0.1", 200), ("127.3.4.5", 200), ("::1", 200), ("::ffff:127.0.0.1", 200),
                            ("192.0.2.1", 403), ("10.0.0.1", 403), ("::ffff:192.0.2.1", 403), ("testclient", 403)):
        answered = TestClient(app, client=(address, 40000)).post(PATH, content=body, headers={**FORM, **basic()})
        assert answered.status_code == status, address


def test_failed_credentials_are_throttled_per_address(app, fs, demo):
    """A guesser gets FAILURES_BURST tries, then 429 before its credentials are even looked at (the right
    ones too: they would tell it the guess was right), one more try every six seconds; another address,
    FreeSWITCH's own, is not held up; the CDR route shares the count."""
    from web.xml_curl import cdr
    from web.xml_curl.endpoint import FAILURES_BURST, FAILURES_PER_MINUTE

    body = "section=configuration&key_value=acl.conf"
    guesser = TestClient(app, client=("127.0.0.9", 40000))
    for n in range(FAILURES_BURST):
        assert guesser.post(PATH, content=body, headers={**FORM, **basic(password=f"guess{n}")}).status_code == 401
    for headers in (basic(password="guess again"), basic()):
        throttled = guesser.post(PATH, content=body, headers={**FORM, **headers})
        assert throttled.status_code == 429 and throttled.content == b"", throttled.text
        assert int(throttled.headers["retry-after"]) == 60 // FAILURES_PER_MINUTE
    assert guesser.post(cdr.PATH, content="x", headers={**FORM, **basic()}).status_code == 429
    assert fs.post(body).status_code == 200  # 127.0.0.1 is another address
    clock.advance(60 / FAILURES_PER_MINUTE)
    assert guesser.post(PATH, content=body, headers={**FORM, **basic()}).status_code == 200
    assert guesser.post(PATH, content=body, headers={**FORM, **basic(password="guess")}).status_code == 401
    assert guesser.post(PATH, content=body, headers={**FORM, **basic()}).status_code == 429


def test_errors_and_nonsense_answer_not_found(fs, demo, monkeypatch):
    for body in ("", "section=nonsense", "section=directory", "section=dialplan&Hunt-Context=nobody.test",
                 "section=directory&domain=demo.pbx.localhost&user=nobody&key=id",
                 "section=directory&domain=demo.pbx.localhost&user=201&key=mailbox",
                 "%ff%fe=%00&section=configuration&key_value=callcenter.conf%00", "&&&===",
                 "section=configuration&key_value=x" + "&y=z" * 100_000, "section=dialplan&" + "x" * 1_100_000):
        assert not_found(fs.fetch(body)), body[:80]

    def broken(*args):
        raise RuntimeError("database gone")

    monkeypatch.setattr(endpoint.dialplan, "answer", broken)
    assert not_found(fs.fetch(encode(adapted(dialplan_request(), DEMO_DOMAIN, "201"))))


# --- the directory ------------------------------------------------------------------------------------------


def test_a_crafted_domain_never_returns_another_tenants_user(fs, admin, other_admin):
    anna = admin.user("201", "Anna")
    mine = admin.create("/api/devices", name="Anna's phone", user_id=anna["id"], sip_username="shared.name")
    theirs = other_admin.create("/api/devices", name="Their phone", sip_username="only.theirs")
    same = other_admin.create("/api/devices", name="Same name", sip_username="shared.name")
    acme, other = admin.tenant.sip_domain, other_admin.tenant.sip_domain
    # Acme's own phone, by Acme's domain: Acme's credentials
    _, params, variables = user_entry(fs.directory(acme, "shared.name"))
    assert params["a1-hash"] == a1("shared.name", acme, mine["sip_password"]) and variables["cp_user_id"] == str(anna["id"])
    # the other tenant's name asked for in Acme's domain: nothing
    assert not_found(fs.directory(acme, "only.theirs"))
    # the same name in the other domain is the other tenant's device, with its own password and no user
    _, params, variables = user_entry(fs.directory(other, "shared.name"))
    assert params["a1-hash"] == a1("shared.name", other, same["sip_password"]) != a1("shared.name", other, mine["sip_password"])
    assert "cp_user_id" not in variables and variables["user_context"] == other
    # a realm or auth name that does not match the lookup, or an unknown domain: nothing
    for swap in ({"sip_auth_realm": other}, {"sip_auth_username": "only.theirs"}, {"domain": "nobody.test"}):
        pairs = [(k, swap.get(k, v)) for k, v in adapted(register_request(), acme, "shared.name")]
        assert not_found(fs.fetch(pairs)), swap
    # an extension of Acme is no SIP account: not served for sip_auth, and unusable if FreeSWITCH cached it
    assert not_found(fs.directory(acme, "201"))
    _, params, _ = user_entry(fs.directory(acme, "201", action="message-count"))
    assert params["sip-forbid-register"] == "true" and params["allow-empty-password"] == "false"
    assert theirs["sip_password"] not in str(params)


def test_directory_variables_and_dial_strings(fs, admin, db):
    admin.number("+31201234568")
    department = admin.create("/api/departments", name="Sales", caller_id_number="+31201234568")
    anna = admin.user("201", "Anna", last_name="de Vries", department_id=department["id"], caller_id_mode="department",
                      withhold_caller_id=True, language="en")
    bram = admin.user("202", "Bram ${system(id)}")
    group = admin.create("/api/pickup-groups", name="Front", members=[bram["id"], anna["id"]])
    desk = admin.create("/api/devices", name="Desk", user_id=anna["id"])
    dect = admin.create("/api/devices", name="DECT", user_id=anna["id"])
    lobby = admin.create("/api/devices", name="Lobby phone")
    domain = admin.tenant.sip_domain
    _, params, variables = user_entry(fs.directory(domain, desk["sip_username"]))
    assert variables == {
        "user_context": domain, "cp_tenant_id": str(admin.tenant.id),
        "effective_caller_id_name": "Anna de Vries", "effective_caller_id_number": "201",
        "cp_user_id": str(anna["id"]), "cp_extension": "201", "cp_outbound_cid": "+31201234568", "cp_withhold": "true",
        "cp_pickup_group": str(group["id"]), "callgroup": f"pg{group['id']}", "toll_allow": "local,domestic,mobile,international",
        "default_language": "en",  # the prompts of her own calls (her voicemail) in her language
    }
    assert params["mwi-account"] == f"201@{domain}"
    # ringing the user rings both phones; the user's own entry is no account
    _, params, _ = user_entry(fs.directory(domain, "201", action="message-count"))
    assert params["dial-string"] == ",".join(f"${{sofia_contact(*/{d['sip_username']}@{domain})}}" for d in (desk, dect))
    # user text never reaches FreeSWITCH's expander
    _, _, variables = user_entry(fs.directory(domain, admin.create("/api/devices", name="B", user_id=bram["id"])["sip_username"]))
    assert "${" not in variables["effective_caller_id_name"] and variables["cp_outbound_cid"] == ""
    # a phone of nobody registers, with the tenant's context and nothing else to go on
    _, params, variables = user_entry(fs.directory(domain, lobby["sip_username"]))
    assert "a1-hash" in params and variables == {"user_context": domain, "cp_tenant_id": str(admin.tenant.id),
                                                 "effective_caller_id_name": "Lobby phone",
                                                 "default_language": admin.tenant.language}
    assert not_found(fs.directory(domain, "nobody"))


def test_behind_the_sip_edge_phones_are_called_through_it(fs, admin, app, monkeypatch):
    """With several switches behind the SIP edge (kamailio/), a phone may have registered through any of
    them: its dial string sends the call to the edge, which knows where the phone is."""
    anna = admin.user("201", "Anna")
    desk = admin.create("/api/devices", name="Desk", user_id=anna["id"])
    dect = admin.create("/api/devices", name="DECT", user_id=anna["id"])
    domain = admin.tenant.sip_domain
    monkeypatch.setattr(app.state, "settings", dataclasses.replace(app.state.settings, sip_edge="10.0.0.5:5060"))
    cache.invalidate()
    _, params, _ = user_entry(fs.directory(domain, "201", action="message-count"))
    assert params["dial-string"] == ",".join(
        f"[sip_route_uri=sip:10.0.0.5:5060;lr]sofia/internal/{d['sip_username']}@{domain}" for d in (desk, dect))
    _, params, _ = user_entry(fs.directory(domain, desk["sip_username"]))
    assert params["dial-string"] == f"[sip_route_uri=sip:10.0.0.5:5060;lr]sofia/internal/{desk['sip_username']}@{domain}"


def test_the_sip_edge_is_never_blocked_for_its_phones_guesses():
    """Every phone behind the edge arrives from its address: the edge blocks guessers itself."""
    from web.domain import blocking
    from web.settings import Settings

    settings = Settings.from_env({"CALLPLAN_SECRET_KEY": "x", "CALLPLAN_SIP_EDGE": "192.0.2.7:5060"})
    assert settings.sip_edge == "192.0.2.7:5060"
    assert blocking.protected("192.0.2.7", settings) and not blocking.protected("192.0.2.8", settings)


def directory_listing_request(domain: str) -> list[tuple[str, str]]:
    """What mod_directory (dial by name) asks: the whole domain, named only by key_value (its request's
    own parameters are empty: no domain, no user, no action)."""
    return [("hostname", "fs1"), ("section", "directory"), ("tag_name", "domain"), ("key_name", "name"),
            ("key_value", domain), ("Event-Name", "REQUEST_PARAMS"), ("Core-UUID", "679c908e"),
            ("FreeSWITCH-Hostname", "fs1"), ("Event-Calling-File", "mod_directory.c"),
            ("Event-Calling-Function", "populate_database")]


def test_the_whole_domain_lists_the_users_for_dial_by_name(fs, admin, other_admin):
    """mod_directory searches the users of the company's domain by their names: one group with every user
    (id: the extension it transfers to, effective_caller_id_name: the name spelled), visible, and no
    entry that could register or call; another company's users are never in it."""
    admin.user("201", "Anna", last_name="de Vries")
    admin.user("202", "Bram ${system(id)}", last_name="Bakker")
    admin.create("/api/devices", name="Desk", user_id=admin.user("203", "Cor", last_name="Claes")["id"])
    other_admin.user("201", "Zoë", last_name="Other")
    root = fs.fetch(directory_listing_request(admin.tenant.sip_domain))
    (domain,) = root.findall("section[@name='directory']/domain")
    assert domain.get("name") == admin.tenant.sip_domain
    users = domain.findall("groups/group/users/user")
    names = {}
    for user in users:
        params = {p.get("name"): p.get("value") for p in user.iter("param")}
        assert params == {"directory-visible": "true", "directory-exten-visible": "true",
                          "sip-forbid-register": "true", "allow-empty-password": "false"}
        (variable,) = user.iter("variable")
        assert variable.get("name") == "effective_caller_id_name"
        names[user.get("id")] = variable.get("value")
    assert names == {"201": "Anna de Vries", "202": "Bram (system(id)) Bakker", "203": "Cor Claes"}
    assert not_found(fs.fetch(directory_listing_request("nobody.example")))


def test_call_waiting_off_counts_the_users_answered_calls(fs, admin):
    """#16 item 1: a user without call waiting is busy while on a call; what counts as one is an answered
    call of the user's phones, either way: to the user (a dial-var of the user's entry, so the leg to the
    phone has it from the start) and from the user's phones (their channel variables)."""
    anna = admin.user("201", "Anna", call_waiting=False)
    bram = admin.user("202", "Bram")
    desk = admin.create("/api/devices", name="Desk", user_id=anna["id"])
    other = admin.create("/api/devices", name="Other", user_id=bram["id"])
    domain = admin.tenant.sip_domain
    counter = f"limit hash cp_busy u{anna['id']}"
    _, params, _ = user_entry(fs.directory(domain, "201", action="message-count"))
    assert params["dial-var-execute_on_answer_cp_busy"] == counter
    _, _, variables = user_entry(fs.directory(domain, desk["sip_username"]))
    assert variables["execute_on_answer_cp_busy"] == counter
    # call waiting on (the default): nothing counted
    _, params, _ = user_entry(fs.directory(domain, "202", action="message-count"))
    _, _, variables = user_entry(fs.directory(domain, other["sip_username"]))
    assert not [name for name in [*params, *variables] if "cp_busy" in name]


def test_voicemail_conf_has_a_profile_per_longest_message(fs, admin):
    """#16 item 1: mod_voicemail takes the longest message from its profile only, so each length in use
    is a copy of the default profile (the static file's) with that length, sharing its database."""
    from callplan.objects import DEFAULT_MESSAGE_S
    from web.xml_curl import voicemail_conf

    admin.create("/api/voicemail-boxes", name="Short", extension="997", pin="1234", max_message_s=60)
    admin.create("/api/voicemail-boxes", name="Usual", extension="996", pin="1234")
    refused = admin.client.post("/api/voicemail-boxes", json={"name": "Long", "extension": "995", "pin": "1234",
                                                              "max_message_s": 1001})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/max_message_s", refused.text
    response = fs.post("section=configuration&key_value=voicemail.conf&key_name=name")
    assert response.status_code == 200, response.text
    conf = ET.fromstring(response.text).find("section[@name='configuration']/configuration[@name='voicemail.conf']")
    profiles = {p.get("name"): {q.get("name"): q.get("value") for q in p.iter("param")} for p in conf.iter("profile")}
    static = ET.parse(voicemail_conf.STATIC).getroot().find("profiles/profile[@name='default']")
    default = {q.get("name"): q.get("value") for q in static.iter("param")}
    assert default["max-record-len"] == str(DEFAULT_MESSAGE_S)
    assert profiles == {"default": default,
                        "max60": {**default, "max-record-len": "60", "dbname": "voicemail_default"}}


def test_voicemail_boxes_by_extension(fs, demo):
    _, params, _ = user_entry(fs.directory(DEMO_DOMAIN, "999", action="message-count"))
    assert params["vm-password"] == "1999" and params["vm-enabled"] == "true"
    assert "dial-string" not in params and params["sip-forbid-register"] == "true"
    # mod_voicemail sends no mail of its own: the bridge mails each message once, to both addresses
    assert not any(name.startswith(("vm-mailto", "vm-notify", "vm-email", "vm-keep")) for name in params)
    _, params, _ = user_entry(fs.directory(DEMO_DOMAIN, "205", action="message-count"))
    assert params["vm-enabled"] == "true" and "vm-mailto" not in params


def test_the_sip_password_leaves_only_through_this_endpoint(fs, admin):
    device = admin.create("/api/devices", name="Phone", user_id=admin.user()["id"])
    secret, hashed = device["sip_password"], a1(device["sip_username"], admin.tenant.sip_domain, device["sip_password"])
    _, params, _ = user_entry(fs.directory(admin.tenant.sip_domain, device["sip_username"]))
    assert params["a1-hash"] == hashed
    for route in api_routes(admin.client.app):
        if route.method == "GET" and "{" not in route.path:
            text = admin.client.get(route.path).text
            assert secret not in text and hashed not in text, route.path
    text = admin.client.get(f"/api/devices/{device['id']}").text
    assert secret not in text and hashed not in text


# --- the dialplan -------------------------------------------------------------------------------------------


def test_the_demo_tenant_context_holds_its_plan_and_the_base_dialplan(fs, demo, db):
    root = fs.dialplan(DEMO_DOMAIN, "")  # no number: the whole context
    (context,) = root.findall("section[@name='dialplan']/context")
    names = extensions(root)
    assert context.get("name") == DEMO_DOMAIN
    with db() as session:
        from web.models.call_plan import CallPlanRecord

        (plan,) = session.exec(select(CallPlanRecord).where(CallPlanRecord.tenant_id == demo[0].id)).all()
    entry = names.index(f"cp{plan.id}_entry")
    # the plan first (its E.164 number and extension), the base dialplan after, calls out last
    condition = context.find(f"extension[@name='cp{plan.id}_entry']/condition")
    assert re.search(r"\\\+31201234567", condition.get("expression")) and "200" in condition.get("expression")
    for base in ("feature_voicemail", "emergency", "user_201", "group_300", "queue_400", "menu_500", "box_999",
                 f"plan_{plan.id}", "outbound"):
        assert names.index(base) > entry, base
    assert names[-1] == "outbound" and len(names) == len(set(names))
    # routing "200", FreeSWITCH gets the extensions that can run for it, in the same order
    # (calls out: a caller who withholds the number has an extension of its own, just before)
    out = ["outbound_withheld", "outbound"]
    assert extensions(fs.dialplan(DEMO_DOMAIN, "200")) == [f"cp{plan.id}_entry", f"plan_{plan.id}", *out]
    assert extensions(fs.dialplan(DEMO_DOMAIN, "+31201234567")) == [f"cp{plan.id}_entry", *out]
    assert extensions(fs.dialplan(DEMO_DOMAIN, "201")) == ["user_201", *out]
    assert extensions(fs.dialplan(DEMO_DOMAIN, "0906123456")) == ["blocked_premium", *out]


def first_conditions(root: ET.Element) -> list[tuple[str, ET.Element]]:
    return [(e.get("name"), e.find("condition")) for e in root.iter("extension")]


def test_a_numbers_part_of_the_context_runs_as_the_whole_would(fs, demo, admin):
    """Independently of the index: the part sent for a number is every extension of the whole context
    whose first condition matches it (re.search, as PCRE does), in order, with the same content."""
    menu = admin.create("/api/ivr-menus", name="Menu", extension="500", keys={"1": {"action": "repeat"}})
    plan_on(admin, "250", steps=[{"id": "s1", "type": "ivr", "menu": menu["id"], "keys": {"*": [{"id": "s2", "type": "hang_up"}]}}])
    admin.user("201", "Anna")
    ok(admin.client.patch("/api/company", json={"release_pin": "4321", "block_international": True}))
    for domain in (DEMO_DOMAIN, admin.tenant.sip_domain):
        whole = fs.dialplan(domain, "")
        by_name = {name: ET.tostring(e) for name, e in ((e.get("name"), e) for e in whole.iter("extension"))}
        literals = set(re.findall(r"[A-Za-z0-9_+*#]+", " ".join(c.get("expression") for _, c in first_conditions(whole))))
        numbers = literals | {"", "x", "12", "112", "+4930123456", "0031612345678", "4321*0612345678", "user_201_after_",
                              "user_201_after_SUBSCRIBER_ABSENT", "cp1_s3_failed_", "cp1_s3_failed_12", "*", "#"}
        for number in sorted(numbers):
            part = fs.dialplan(domain, number)
            expected = [name for name, condition in first_conditions(whole)
                        if not number or re.search(condition.get("expression"), number)]
            assert extensions(part) == expected, number
            assert all(ET.tostring(e) == by_name[e.get("name")] for e in part.iter("extension"))
            assert part.find("section/context").get("name") == domain


def test_public_numbers_route_into_their_tenant(fs, demo, admin):
    for dialled in ("+31201234567", "0031201234567", "31201234567"):
        root = fs.dialplan("public", dialled)
        (context,) = root.findall("section[@name='dialplan']/context")
        assert context.get("name") == "public"
        (condition,) = context.findall("extension/condition")
        assert re.fullmatch(condition.get("expression"), dialled)
        assert [(a.get("application"), a.get("data")) for a in condition] == [
            ("set", f"cp_tenant_id={demo[0].id}"), ("set", f"domain_name={DEMO_DOMAIN}"),
            ("set", "cp_from_outside=true"),  # incoming call blocking screens it (callplan.blocking)
            ("transfer", f"+31201234567 XML {DEMO_DOMAIN}")]
    for nobody in ("+31209999999", "0209999999", "200", "", "+31201234567' or 1=1"):
        assert not_found(fs.dialplan("public", nobody)), nobody
    # in the tenant's context the number is the plan's; numbers routed elsewhere and unrouted ones are
    # matched before the catch-all that would dial them out again
    admin.number("+3212345678")  # another tenant's number, unrouted
    assert fs.dialplan("public", "+3212345678").find(".//action[@application='transfer']").get("data") \
        == f"+3212345678 XML {admin.tenant.sip_domain}"
    acme = fs.dialplan(admin.tenant.sip_domain, "")
    unrouted = acme.find(".//extension[@name='number_3212345678']/condition")
    assert [(a.get("application"), a.get("data")) for a in unrouted] == [("hangup", "UNALLOCATED_NUMBER")]
    assert extensions(acme).index("number_3212345678") < extensions(acme).index("outbound")
    demo_context = fs.dialplan(DEMO_DOMAIN, "")
    sales = demo_context.find(".//extension[@name='number_31201234568']/condition/action")
    assert (sales.get("application"), sales.get("data")) == ("transfer", f"300 XML {DEMO_DOMAIN}")


def test_a_number_to_a_user_keeps_the_users_rules(fs, admin):
    anna = admin.user("201", "Anna")
    admin.number("+31201110000", destination={"type": "user", "id": anna["id"]})
    group = admin.create("/api/ring-groups", name="No extension", members=[{"type": "user", "id": anna["id"]}])
    admin.number("+31201110001", destination={"type": "ring_group", "id": group["id"]})
    root = fs.dialplan(admin.tenant.sip_domain, "")
    user = root.find(".//extension[@name='number_31201110000']/condition/action")
    assert (user.get("application"), user.get("data")) == ("transfer", f"201 XML {admin.tenant.sip_domain}")
    actions = [a.get("application") for a in root.find(".//extension[@name='number_31201110001']/condition")]
    assert "bridge" in actions and actions[-1] == "hangup"


def test_a_queue_called_on_its_own_sends_the_call_on_after_the_longest_wait(fs, admin):
    """#13 item 3: by its extension or a number routed straight to it, after mod_callcenter gives up the
    call goes to the queue's after_wait; without one it is hung up, as before."""
    domain = admin.tenant.sip_domain
    box = admin.create("/api/voicemail-boxes", name="Support box", extension="999", pin="2468")
    queue = admin.create("/api/queues", name="Support", extension="400",
                         after_wait={"type": "voicemail_box", "id": box["id"]})
    plain = admin.create("/api/queues", name="Sales", extension="401")
    hidden = admin.create("/api/queues", name="No extension", after_wait={"type": "extension", "number": "400"})
    admin.number("+31201110002", destination={"type": "queue", "id": hidden["id"]})
    root = fs.dialplan(domain, "")

    def actions(name):
        return [(a.get("application"), a.get("data")) for a in root.find(f".//extension[@name='{name}']/condition")]

    steps = actions("queue_400")
    at = steps.index(("callcenter", f"q{queue['id']}@{domain}"))
    assert steps[at + 1:] == [("transfer", f"999 XML {domain}")]
    assert ("set", "continue_on_fail=true") in steps[:at]
    assert actions("queue_401")[-2:] == [("callcenter", f"q{plain['id']}@{domain}"), ("hangup", "NORMAL_CLEARING")]
    steps = actions("number_31201110002")
    at = steps.index(("callcenter", f"q{hidden['id']}@{domain}"))
    assert steps[at + 1:] == [("transfer", f"400 XML {domain}")]
    # the part FreeSWITCH gets for the number holds the same
    part = fs.dialplan(domain, "400")
    applications = [a.get("application") for a in part.find(".//extension[@name='queue_400']/condition")]
    assert applications[-2:] == ["callcenter", "transfer"]


# --- the cache --------------------------------------------------------------------------------------------


def ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def plan_on(admin, number="250", steps=None, **fields) -> dict:
    steps = steps or [{"id": "s1", "type": "hang_up"}]
    created = admin.create("/api/plans", name=f"Plan {number}", numbers=[number], steps=steps, **fields)
    assert admin.client.post(f"/api/plans/{created['id']}/publish", json={}).status_code == 200
    return created


def test_cached_until_the_generation_changes(fs, admin, db):
    tenant_id, domain = admin.tenant.id, admin.tenant.sip_domain
    anna = admin.user("201", "Anna")
    device = admin.create("/api/devices", name="Phone", user_id=anna["id"])
    plan = plan_on(admin, "250", diversions=[{"id": "d1", "name": "Away", "steps": [
        {"id": "s9", "type": "transfer", "to": {"external": "+31612345678"}}]}])

    first = ET.tostring(fs.dialplan(domain, ""))
    builds = cache.of(fs.engine).dialplans.builds
    assert ET.tostring(fs.dialplan(domain, "")) == first and cache.of(fs.engine).dialplans.builds == builds  # a hit
    fs.dialplan(domain, "250")
    assert cache.of(fs.engine).dialplans.builds == builds  # a number's part comes from the same build

    def changes(action) -> bytes:
        before = generation(db, tenant_id)
        action()
        assert generation(db, tenant_id) > before
        document = ET.tostring(fs.dialplan(domain, ""))
        assert cache.of(fs.engine).dialplans.builds == changes.builds + 1
        changes.builds += 1
        return document

    changes.builds = builds
    published = changes(lambda: plan_on(admin, "251"))
    assert published != first and f"cp{plan['id'] + 1}_entry".encode() in published
    switched = changes(lambda: ok(admin.client.post(f"/api/plans/{plan['id']}/diversions/d1/on")))
    assert switched != published and f"cp_path={plan['id']}:1:s9".encode() in switched
    assert b"s9" in ET.tostring(fs.dialplan(domain, "250"))  # the number's part follows
    renamed = changes(lambda: ok(admin.client.patch(f"/api/users/{anna['id']}", json={"extension": "209"})))
    assert b"user_209" in renamed and b"user_201" not in renamed

    # the directory follows the same generation
    _, _, variables = user_entry(fs.directory(domain, device["sip_username"]))
    assert variables["cp_extension"] == "209"
    directory_builds = cache.of(fs.engine).directories.builds
    user_entry(fs.directory(domain, device["sip_username"]))
    assert cache.of(fs.engine).directories.builds == directory_builds
    ok(admin.client.patch(f"/api/users/{anna['id']}", json={"first_name": "Anne"}))
    _, _, variables = user_entry(fs.directory(domain, device["sip_username"]))
    assert variables["effective_caller_id_name"] == "Anne" and cache.of(fs.engine).directories.builds == directory_builds + 1


def test_changes_made_by_another_process_are_seen_at_the_next_fetch(fs, admin, database_url):
    """The event loop's tenant lookup is kept on SQLite until anything is committed (web.xml_curl.cache
    ._Readers): a change another process commits past the API (a renamed user, a moved SIP domain) is in
    the next answer, and a domain that was nobody's is found once it is somebody's."""
    domain = admin.tenant.sip_domain
    anna = admin.user("201", "Anna")
    phone = admin.create("/api/devices", name="Phone", user_id=anna["id"])["sip_username"]

    def elsewhere(*statements):
        script = ("import sys\nfrom sqlalchemy import text\nfrom web.db import make_engine\n"
                  "with make_engine(sys.argv[1]).begin() as connection:\n"
                  + "".join(f"    connection.execute(text({statement!r}))\n" for statement in statements))
        subprocess.run([sys.executable, "-c", script, database_url], check=True, cwd=Path(__file__).parents[2])

    def name_of(domain_asked):
        entry = user_entry(fs.directory(domain_asked, phone))
        return entry[2]["effective_caller_id_name"] if entry else None

    assert name_of(domain) == "Anna" and name_of("moved.pbx.test") is None
    assert name_of(domain) == "Anna"  # (kept: nothing was committed meanwhile)
    bump = f"UPDATE tenant SET config_generation = config_generation + 1 WHERE id = {admin.tenant.id}"
    elsewhere(f"UPDATE pbx_user SET first_name = 'Anne' WHERE id = {anna['id']}", bump)
    assert name_of(domain) == "Anne"
    elsewhere(f"UPDATE tenant SET sip_domain = 'moved.pbx.test' WHERE id = {admin.tenant.id}", bump)
    assert name_of(domain) is None and name_of("moved.pbx.test") == "Anne"


def test_what_bumps_the_generation(admin, other_admin, db, settings):
    tenant_id = admin.tenant.id
    device = admin.create("/api/devices", name="Phone")
    start, other_start = generation(db, tenant_id), generation(db, other_admin.tenant.id)
    # the bridge's registration state is call traffic no document reads; a login neither
    with db() as session:
        row = session.get(Device, device["id"])
        row.registered, row.registration_contact = True, "sip:x@192.0.2.9"
    make_account(db, settings, tenant_id, "late@acme.test")
    assert generation(db, tenant_id) == start
    # any other change, through the API or not, bumps its own tenant once per flush, and only it
    with db() as session:
        row = session.get(Device, device["id"])
        row.registered, row.name = False, "Renamed"
    assert generation(db, tenant_id) == start + 1
    admin.user("205", "Eve")
    assert generation(db, tenant_id) > start + 1 and generation(db, other_admin.tenant.id) == other_start


def test_answered_ring_group_calls_reorder_the_dialplan_without_a_rebuild(fs, admin, db):
    """Who took a group's last call changes with every call: it is read when FreeSWITCH fetches, so the
    generation stays and the tenant's dialplan is not built again (#20)."""
    from web.models.ring_group import RingGroup
    from web.models.ring_group_state import RingGroupState, record_answer

    tenant_id, domain = admin.tenant.id, admin.tenant.sip_domain
    users = {extension: admin.user(extension, name)["id"] for extension, name in
             (("201", "Anna"), ("202", "Bram"), ("203", "Carla"), ("204", "Dave"))}

    def group(extension, strategy, members):
        return admin.create("/api/ring-groups", name=f"Group {extension}", extension=extension, strategy=strategy,
                            members=[{"type": "user", "id": users[member]} for member in members])["id"]

    circular = group("300", "circular", ["201", "202", "203"])
    uniform = group("301", "uniform", ["201", "202", "203"])
    simultaneous = group("302", "simultaneous", ["204"])

    def order(extension) -> list[str]:
        part = fs.dialplan(domain, extension).find(f".//extension[@name='group_{extension}']")
        (bridge,) = [a.get("data") for a in part.iter("action") if a.get("application") == "bridge"]
        return re.findall(r"user/(\d+)@", bridge)

    def answered(group_id, extension, at):
        with db() as session:
            record_answer(session, tenant_id, session.get(RingGroup, group_id), f"user:{users[extension]}", at)

    assert order("300") == order("301") == ["201", "202", "203"]
    start, builds = generation(db, tenant_id), cache.of(fs.engine).dialplans.builds
    answered(circular, "202", 1_000)
    assert order("300") == ["203", "201", "202"]  # after Bram, who took the last call
    assert order("301") == ["201", "203", "202"]  # Bram has been idle the shortest
    answered(circular, "203", 2_000)
    answered(uniform, "201", 3_000)
    assert order("300") == ["201", "202", "203"] and order("301") == ["202", "203", "201"]
    answered(simultaneous, "204", 4_000)  # no group reads this: nothing is written
    with db() as session:
        assert {row.ring_group_id for row in session.exec(select(RingGroupState))} == {circular, uniform}
    assert generation(db, tenant_id) == start
    assert cache.of(fs.engine).dialplans.builds == builds


def test_answers_near_freeswitchs_timeout_are_logged(fs, admin, app, monkeypatch, caplog):
    import dataclasses
    import time

    from web.xml_curl import dialplan

    settings = app.state.settings = dataclasses.replace(app.state.settings, xml_curl_timeout_s=1)
    domain = admin.tenant.sip_domain
    # a build slower than FreeSWITCH waits (the machine being busy only makes it slower)
    build = dialplan.tenant_context

    def slow(*args, **kwargs):
        time.sleep(1.05)
        return build(*args, **kwargs)

    monkeypatch.setattr(dialplan, "tenant_context", slow)
    caplog.clear()
    cache.invalidate()
    fs.dialplan(domain, "201")
    (record,) = [r for r in caplog.records if r.name == "web.xml_curl"]
    assert record.levelname == "ERROR" and "past FreeSWITCH's 1 s timeout" in record.getMessage()
    assert "building the document" in record.getMessage()
    assert f"Hunt-Context={domain}" in record.getMessage() and "Hunt-Destination-Number=201" in record.getMessage()
    # half the timeout or more: a warning; less: nothing
    body = encode([("section", "directory"), ("domain", domain), ("user", "201")])
    for seconds, expected in ((0.4, []), (0.6, ["WARNING"])):
        caplog.clear()
        endpoint.report_slow(settings, body.encode(), seconds, built=False)
        assert [r.levelname for r in caplog.records if r.name == "web.xml_curl"] == expected
    assert "answering from the cache took 0.60 s, near FreeSWITCH's 1 s timeout" in caplog.records[-1].getMessage()
    assert "section=directory" in caplog.records[-1].getMessage() and "user=201" in caplog.records[-1].getMessage()


def test_a_publish_compiles_that_plan_only_and_time_reuses_compiled_versions(fs, admin, monkeypatch):
    """Compiled segments are kept per published version (#20): a publish compiles the one plan again,
    and a time condition flipping and flipping back reuses what was compiled for each side."""
    from web import clock
    from web.xml_curl import dialplan

    compiled = []
    compile_plan = dialplan.compile_plan
    monkeypatch.setattr(dialplan, "compile_plan", lambda plan, plan_id, *args, **kwargs: (
        compiled.append(plan_id), compile_plan(plan, plan_id, *args, **kwargs))[1])
    office = admin.create("/api/schedules", name="Office", periods=[
        {"from_day": day, "from_time": "08:00", "to_day": day, "to_time": "18:00"} for day in
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun")])
    plans = [plan_on(admin, str(250 + n), steps=[{"id": "s1", "type": "time_condition", "schedule": office["id"],
                                                  "then": [{"id": "s2", "type": "hang_up"}]}])
             for n in range(3)]
    domain = admin.tenant.sip_domain
    fs.dialplan(domain, "250")
    assert sorted(compiled) == sorted(p["id"] for p in plans)
    compiled.clear()
    assert admin.client.post(f"/api/plans/{plans[1]['id']}/publish", json={}).status_code == 200
    fs.dialplan(domain, "250")
    assert compiled == [plans[1]["id"]]  # the others came from the cache
    # the document holds until the office opens or closes; then it is assembled again, and each side of
    # the decision is compiled once
    compiled.clear()
    for _ in range(4):
        entry = cache.of(fs.engine).dialplans._entries[admin.tenant.id]
        clock.advance((entry.valid_until - clock.now()).total_seconds() + 1)
        fs.dialplan(domain, "250")
    assert sorted(compiled) == sorted(p["id"] for p in plans)  # the other side, once per plan


def test_a_schedule_bound_document_expires(fs, admin, db):
    from web import clock

    office = admin.create("/api/schedules", name="Office", periods=[
        {"from_day": "mon", "from_time": "00:00", "to_day": "sun", "to_time": "23:59"}])
    plan_on(admin, "250", steps=[{"id": "s1", "type": "time_condition", "schedule": office["id"],
                                  "then": [{"id": "s2", "type": "hang_up"}]}])
    fs.dialplan(admin.tenant.sip_domain, "250")
    builds = cache.of(fs.engine).dialplans.builds
    entry = cache.of(fs.engine).dialplans._entries[admin.tenant.id]
    assert entry.valid_until is not None
    clock.advance((entry.valid_until - clock.now()).total_seconds() + 1)
    fs.dialplan(admin.tenant.sip_domain, "250")
    assert cache.of(fs.engine).dialplans.builds == builds + 1


def test_a_time_bound_answer_holds_to_the_edge_of_its_window_and_is_built_afresh_after_it(fs, admin):
    """Answered before Starlette, a time condition's dialplan is the same bytes until just before the moment
    its verdict changes, and from that moment the bytes a new process (nothing cached) answers then."""
    from web import clock

    office = admin.create("/api/schedules", name="Office", periods=[
        {"from_day": "mon", "from_time": "00:00", "to_day": "sun", "to_time": "23:59"}])
    plan_on(admin, "250", steps=[{"id": "s1", "type": "time_condition", "schedule": office["id"],
                                  "then": [{"id": "s2", "type": "hang_up"}]}])
    body = encode([(k, {"Caller-Context": admin.tenant.sip_domain, "Hunt-Context": admin.tenant.sip_domain,
                        "Caller-Destination-Number": "250", "Hunt-Destination-Number": "250"}.get(k, v))
                   for k, v in dialplan_request()])
    before = fs.post(body).content
    dialplans = cache.of(fs.engine).dialplans
    builds, until = dialplans.builds, dialplans._entries[admin.tenant.id].valid_until
    clock.advance((until - clock.now()).total_seconds() - 0.5)
    assert fs.post(body).content == before and dialplans.builds == builds  # still within the window
    clock.advance(0.5)
    after = fs.post(body).content
    assert dialplans.builds == builds + 1 and after != before  # the verdict changed at `until`
    cache.invalidate()
    assert fs.post(body).content == after


def test_two_databases_in_one_process_never_share_an_entry(_sqlite_template, tmp_path):
    # tests (and tools) run apps on fresh databases whose tenant ids and generations repeat
    import shutil

    from web.app import create_app

    answers = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.sqlite3"
        shutil.copy(_sqlite_template, path)
        app = create_app(fast_settings(f"sqlite:///{path}", audio_dir=str(tmp_path), xml_curl_password=PASSWORD))
        with session_scope(app.state.engine) as session:
            session.add(Tenant(name=name, sip_domain=f"{name}.pbx.test"))
        body = encode([("section", "dialplan"), ("Hunt-Context", f"{name}.pbx.test"), ("Hunt-Destination-Number", "")])
        answers.append(switch_client(app).post(PATH, content=body, headers={**FORM, **basic()}).text)
        app.state.engine.dispose()
    assert 'context name="a.pbx.test"' in answers[0] and 'context name="b.pbx.test"' in answers[1]


# --- callcenter.conf ------------------------------------------------------------------------------------


def test_callcenter_conf_for_every_tenant(fs, admin, other_admin):
    anna, bram = admin.user("201", "Anna")["id"], admin.user("202", "Bram", agent={"wrap_up_time_s": 30})["id"]
    queue = admin.create("/api/queues", name="Support", extension="400", max_wait_s=300, strategy="round-robin",
                         tiers=[{"user_id": anna, "level": 1, "position": 1}, {"user_id": bram, "level": 2, "position": 3}])
    plan_on(admin, "250", steps=[{"id": "s1", "type": "queue", "queue": queue["id"], "max_wait_s": 60},
                                 {"id": "s2", "type": "queue", "queue": queue["id"], "max_wait_s": 300}],
            diversions=[{"id": "d1", "name": "Rush", "steps": [
                {"id": "s3", "type": "queue", "queue": queue["id"], "max_wait_s": 30}]}])
    eve = other_admin.user("301", "Eve")["id"]
    root = fs.fetch([("section", "configuration"), ("key_value", "callcenter.conf")])
    conf = root.find("section[@name='configuration']/configuration[@name='callcenter.conf']")
    acme, other = admin.tenant.sip_domain, other_admin.tenant.sip_domain
    queues = {q.get("name"): {p.get("name"): p.get("value") for p in q} for q in conf.find("queues")}
    base, variants = f"q{queue['id']}@{acme}", [f"q{queue['id']}w30@{acme}", f"q{queue['id']}w60@{acme}"]
    assert sorted(queues) == sorted([base] + variants)
    assert queues[base]["max-wait-time"] == "300" and queues[variants[1]]["max-wait-time"] == "60"
    assert queues[base]["strategy"] == "round-robin" and queues[base]["moh-sound"] == "local_stream://moh"
    agents = {a.get("name"): a.attrib for a in conf.find("agents")}
    assert set(agents) == {f"u{anna}@{acme}", f"u{bram}@{acme}", f"u{eve}@{other}"}
    assert agents[f"u{bram}@{acme}"]["contact"] == f"[call_timeout=20]user/202@{acme}"
    assert agents[f"u{bram}@{acme}"]["wrap-up-time"] == "30" and agents[f"u{bram}@{acme}"]["type"] == "callback"
    assert all("status" not in agent for agent in agents.values())  # a reload never logs agents out
    assert not conf.findall(".//*[@status]")
    tiers = {(t.get("agent"), t.get("queue"), t.get("level"), t.get("position")) for t in conf.find("tiers")}
    assert tiers == {(f"u{user}@{acme}", name, level, position) for name in [base] + variants
                     for user, level, position in ((anna, "1", "1"), (bram, "2", "3"))}
    assert not_found(fs.fetch([("section", "configuration"), ("key_value", "sofia.conf")]))


def test_changing_a_device_tells_freeswitch_to_forget_its_cached_entry(app, db, settings, admin):
    """The API flushes FreeSWITCH's directory cache over the event socket after a device changes."""

    from tests.fs_bridge.esl_server import EslServer
    from dataclasses import replace

    server = EslServer(password="flushme")
    app.state.settings = replace(settings, esl_port=server.port, esl_password="flushme")
    try:
        device = admin.create("/api/devices", name="Desk", brand="yealink", model="T46U")
        assert server.wait_for(lambda: any(device["sip_username"] in c for c in server.commands), timeout=10)
        assert any(c.startswith("api xml_flush_cache id ") for c in server.commands)
    finally:
        server.close()


def test_calls_out_never_show_a_number_the_company_does_not_hold(fs, admin, other_admin, db, settings, caplog):
    from web.domain import fallback
    from web.models.company import Department

    admin.number("+31201234567")
    admin.number("+31201234568")
    foreign = other_admin.number("+31209999999")["number"]
    assert admin.client.patch("/api/company", json={"company_number": "+31201234567"}).status_code == 200
    sales = admin.create("/api/departments", name="Sales", caller_id_number="+31201234568")
    anna = admin.user("201", "Anna", department_id=sales["id"], caller_id_mode="department",
                      forwarding={"always": {"enabled": True, "to": {"type": "external", "number": "+31612345678"}}})
    desk = admin.create("/api/devices", name="Desk", user_id=anna["id"])
    domain = admin.tenant.sip_domain

    def shown() -> str:
        cache.invalidate()
        return user_entry(fs.directory(domain, desk["sip_username"]))[2]["cp_outbound_cid"]

    assert shown() == "+31201234568"
    # rows from before numbers were assigned: another company's number as department and company caller ID
    with db() as session:
        session.get(Department, sales["id"]).caller_id_number = foreign
    caplog.clear()
    assert shown() == "+31201234567"  # the company number instead
    assert f"department {sales['id']}/caller_id_number is {foreign}" in caplog.text
    problems = admin.client.get("/api/caller-ids").json()["problems"]
    assert problems == [{"kind": "department", "id": sales["id"], "name": "Sales", "where": "/caller_id_number",
                         "number": foreign, "shown_instead": "+31201234567"}]
    with db() as session:
        session.get(Tenant, admin.tenant.id).company_number = foreign
    assert shown() == "anonymous"  # withheld rather than refused: one bad row never stops the calls
    assert [p["kind"] for p in admin.client.get("/api/caller-ids").json()["problems"]] == ["company", "department"]
    context = fs.dialplan(domain, "0612345678")
    send = context.find(".//extension[@name='outbound']/condition[@field='${cp_outbound_cid}']")
    assert re.fullmatch(send.get("expression"), "anonymous") and not re.fullmatch(send.get("expression"), "Anonymous")
    forwarded = fs.dialplan(domain, "201").find(".//extension[@name='user_201']")
    assert "origination_caller_id_number=anonymous" in ET.tostring(forwarded, encoding="unicode")
    whole = ET.tostring(fs.dialplan(domain, ""), encoding="unicode")
    assert foreign not in whole
    with db() as session:
        tenant = session.get(Tenant, admin.tenant.id)
        resolved = fallback.resolve(session, tenant, fallback.FallbackSettings(
            destination={"type": "external", "number": "+31612345678"}), settings.audio_dir)
    assert resolved.company_number == "anonymous"


# --- hot desking and music on hold (#16 item 1) ----------------------------------------------------------


def test_a_hot_desk_login_changes_the_directory_at_fetch_time_without_a_rebuild(fs, admin, db):
    """Who is logged in on a hot-desking phone is read when FreeSWITCH fetches a name it changes: the phone's
    calls become the guest's (caller ID, voicemail lamp), the guest's extension rings it, and its own user's
    no longer does; no generation, no rebuild. The portal's log-out puts everything back."""
    from web.models.hot_desk import HotDeskLogin

    domain = admin.tenant.sip_domain
    owner = admin.user("211", "Olga")
    guest = admin.user("212", "Gijs", hot_desking=True)
    stay = admin.user("213", "Stan", hot_desking=True)
    desk = admin.create("/api/devices", name="Flex desk", user_id=owner["id"], hot_desking=True)
    own = admin.create("/api/devices", name="Olga's softphone", user_id=owner["id"])
    _, _, variables = user_entry(fs.directory(domain, desk["sip_username"]))
    assert variables["cp_hot_desk"] == str(desk["id"]) and variables["cp_extension"] == "211"
    assert "cp_hot_desk" not in user_entry(fs.directory(domain, own["sip_username"]))[2]  # codes refused there
    start, builds = generation(db, admin.tenant.id), cache.of(fs.engine).directories.builds

    with db() as session:
        session.add(HotDeskLogin(tenant_id=admin.tenant.id, device_id=desk["id"], user_id=guest["id"]))
    assert generation(db, admin.tenant.id) == start
    _, params, variables = user_entry(fs.directory(domain, desk["sip_username"]))
    assert (variables["cp_user_id"], variables["cp_extension"], variables["effective_caller_id_name"]) == (
        str(guest["id"]), "212", "Gijs")
    assert params["a1-hash"] and params["mwi-account"] == f"212@{domain}"  # the lamp shows the guest's messages
    contact = f"${{sofia_contact(*/{desk['sip_username']}@{domain})}}"
    assert user_entry(fs.directory(domain, "212", action="message-count"))[1]["dial-string"] == contact
    assert contact not in user_entry(fs.directory(domain, "211", action="message-count"))[1]["dial-string"]
    assert user_entry(fs.directory(domain, "213", action="message-count"))[1]["dial-string"] == "error/user_not_registered"
    assert cache.of(fs.engine).directories.builds == builds

    # a guest no longer allowed to hot-desk is not honoured (that change is configuration: a rebuild)
    ok(admin.client.patch(f"/api/users/{guest['id']}", json={"hot_desking": False}))
    assert user_entry(fs.directory(domain, desk["sip_username"]))[2]["cp_extension"] == "211"
    ok(admin.client.patch(f"/api/users/{guest['id']}", json={"hot_desking": True}))
    assert [row["extension"] for row in ok(admin.client.get("/api/hot-desk-logins"))] == ["212"]

    # the admin logs the guest out: the phone is its user's again, and FreeSWITCH is told to forget
    response = admin.client.delete(f"/api/hot-desk-logins/{desk['id']}")
    assert response.status_code == 204, response.text
    assert ok(admin.client.get("/api/hot-desk-logins")) == []
    assert user_entry(fs.directory(domain, desk["sip_username"]))[2]["cp_extension"] == "211"
    assert contact in user_entry(fs.directory(domain, "211", action="message-count"))[1]["dial-string"]
    assert stay["id"]


def test_hot_desk_logins_are_the_companys_own(admin, other_admin, db):
    from web.models.hot_desk import HotDeskLogin

    guest = other_admin.user("301", "Their guest", hot_desking=True)
    desk = other_admin.create("/api/devices", name="Their flex desk", hot_desking=True)
    with db() as session:
        session.add(HotDeskLogin(tenant_id=other_admin.tenant.id, device_id=desk["id"], user_id=guest["id"]))
    assert ok(admin.client.get("/api/hot-desk-logins")) == []
    assert admin.client.delete(f"/api/hot-desk-logins/{desk['id']}").status_code == 404
    assert [row["device_id"] for row in ok(other_admin.client.get("/api/hot-desk-logins"))] == [desk["id"]]


def test_every_leg_of_the_companys_calls_carries_its_music_on_hold(fs, admin, db, settings):
    """FreeSWITCH plays the hold_music of the leg that puts a call on hold: a phone's own calls (its entry),
    the legs that ring a user (the user's entry, set on the new leg) and a carrier's call (public)."""
    from tests.web.factories_audio import make_audio_file

    domain = admin.tenant.sip_domain
    anna = admin.user("201", "Anna")
    phone = admin.create("/api/devices", name="Desk", user_id=anna["id"])
    admin.number("+31201110000", destination={"type": "user", "id": anna["id"]})
    assert "hold_music" not in user_entry(fs.directory(domain, phone["sip_username"]))[2]  # FreeSWITCH's own
    music = make_audio_file(db, settings, admin.tenant.id, name="Hold music")
    ok(admin.client.patch("/api/company", json={"music_on_hold_audio_id": music}))
    path = f"{settings.audio_dir}/{admin.tenant.id}/16000/{music}.wav"
    assert user_entry(fs.directory(domain, phone["sip_username"]))[2]["hold_music"] == path
    assert user_entry(fs.directory(domain, "201", action="message-count"))[2] == {"hold_music": path}
    public = fs.dialplan("public", "+31201110000")
    assert ("set", f"hold_music={path}") in [(a.get("application"), a.get("data")) for a in public.iter("action")]
