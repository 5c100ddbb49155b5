"""The code by phone as a second factor (seed 002, #18 item 7), through the API with a test event socket
that answers like FreeSWITCH: the exact `originate` (outside numbers through the company's dialplan on a
loopback leg, a colleague's extension on the user's phones), the spoken code rendered by espeak-ng in the
person's language, proving a number before it counts, logging in with the call's code (one-time, five
tries, valid 30 s after it was spoken, none after a failed call), "send again" and its limits, and the
counters under parallel requests. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
import time

import pytest
from sqlmodel import select

from tests.conftest import fast_settings
from tests.fs_bridge.esl_server import EslServer
from tests.web.concurrency import at_once, clients, serving
from tests.web.helpers import PASSWORD, login, make_account, make_tenant
from web import clock
from web.domain import phone_codes
from web.models import Account
from web.models.pbx_user import PbxUser
from web.models.phone_code import PhoneCode
from web.models.phone_number import PhoneNumber

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)")

ESL_PASSWORD = "esl-secret"
DOMAIN = "acme.pbx.test"
MOBILE = "+31612345678"


class Switch(dict):
    """Answers every originate with `reply` (FreeSWITCH's answer once the phone picked up)."""

    reply = "+OK 5b2c0d6e-0000-4000-8000-000000000001\n"

    def __bool__(self):
        return True

    def get(self, key, default=None):
        if key.startswith("originate "):
            return self.reply
        return super().get(key, default)


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=Switch())
    yield server
    server.close()


@pytest.fixture
def settings(database_url, tmp_path, switch):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), esl_port=switch.port,
                         esl_password=ESL_PASSWORD, fallback_dialplan=str(tmp_path / "fallback.xml"))


@pytest.fixture
def codes(monkeypatch):
    """The codes the calls will speak, in order (the random ones are not knowable by a test)."""
    queue = ["482915", "173920", "550821", "901234", "345678"]
    monkeypatch.setattr(phone_codes, "new_code", lambda: queue.pop(0))
    return queue


@pytest.fixture
def anna(db, settings):
    tenant = make_tenant(db, sip_domain=DOMAIN, company_number="+31201234567")
    account = make_account(db, settings, tenant.id, "anna@acme.test", role="user")
    with db() as session:
        session.add(PhoneNumber(tenant_id=tenant.id, number="+31201234567"))
        session.add(PbxUser(tenant_id=tenant.id, first_name="Bert", last_name="Bakker", extension="202"))
    return account


def originates(switch) -> list[str]:
    return [c[4:] for c in switch.commands if c.startswith("api originate ")]


def wait_for_call(db, state="answered", timeout=10.0) -> PhoneCode:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db() as session:
            row = session.exec(select(PhoneCode).order_by(PhoneCode.id.desc())).first()
        if row is not None and row.call_state == state:
            return row
        time.sleep(0.05)
    raise AssertionError(f"no call reached {state!r}")


def enrol_phone(client, db, number=MOBILE, language="en", code="482915"):
    started = client.post("/api/account/second-factors/phone",
                          json={"password": PASSWORD, "number": number, "language": language})
    assert started.status_code == 202, started.text
    wait_for_call(db)
    confirmed = client.post("/api/account/second-factors/phone/confirm", json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


def test_adding_the_phone_calls_it_through_the_companys_outbound_route_and_speaks_the_code(client, db, switch, anna, codes, settings):
    login(client, "anna@acme.test")
    started = client.post("/api/account/second-factors/phone",
                          json={"password": PASSWORD, "number": "06 1234 5678", "language": "de"})
    assert started.status_code == 202, started.text
    assert started.json() == {"number": MOBILE, "language": "de"}
    wait_for_call(db)
    [command] = originates(switch)
    sound = re.search(r"playback:(\S+) inline$", command).group(1)
    assert command == (
        "originate {ignore_early_media=true,originate_timeout=30,origination_caller_id_name=Login,"
        "origination_caller_id_number=+31201234567,hangup_after_bridge=true,cp_login_code=true,"
        f"user_context={DOMAIN},cp_outbound_cid=+31201234567,cp_withhold=false,absolute_codec_string='OPUS\\,PCMA\\,PCMU',export_vars=absolute_codec_string}}"
        f"loopback/{MOBILE}/{DOMAIN}/XML sleep:500,playback:{sound} inline")
    assert sound.startswith(f"{settings.audio_dir}/{anna.tenant_id}/login-codes/") and sound.endswith(".wav")
    # the file FreeSWITCH plays is the German sentence with the code, digit by digit
    assert phone_codes.spoken_text("482915", "de") == (
        "Hier ist Ihre Telefonanlage mit Ihrem Anmeldecode. Ihr Code lautet: 4, 8, 2, 9, 1, 5. "
        "Noch einmal: 4, 8, 2, 9, 1, 5. Auf Wiederhören.")
    with db() as session:
        row = session.exec(select(PhoneCode)).one()
        assert row.code_hash != "482915" and "482915" not in row.code_hash and row.language == "de"
    # not a factor before the code is typed back
    assert client.get("/api/account/second-factors").json()["phone_number"] is None
    wrong = client.post("/api/account/second-factors/phone/confirm", json={"code": "000000"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["pointer"] == "/code"
    assert wrong.json()["title"] == "Wrong code. 4 attempts left."
    wait_for_call(db)
    done = client.post("/api/account/second-factors/phone/confirm", json={"code": "482 915"})
    assert done.status_code == 200, done.text
    assert done.json()["phone_number"] == MOBILE and done.json()["primary"] == "phone"
    assert client.post("/api/account/second-factors/phone/confirm", json={"code": "482915"}).status_code == 409


def test_a_colleagues_extension_rings_the_users_phones_directly(client, db, switch, anna, codes):
    login(client, "anna@acme.test")
    assert client.post("/api/account/second-factors/phone",
                       json={"password": PASSWORD, "number": "202", "language": "nl"}).status_code == 202
    wait_for_call(db)
    [command] = originates(switch)
    assert "}user/202@acme.pbx.test sleep:500,playback:" in command and "loopback" not in command
    assert "cp_outbound_cid" not in command


@pytest.mark.parametrize("number", ["12345", "not a number", "+31 6 1234", "1234567890123456", "999",
                                    "0900 1234567"])
def test_a_number_that_cannot_be_called_is_refused_on_its_field(client, db, switch, anna, codes, number):
    from web.models.company import CompanySettings

    with db() as session:
        session.add(CompanySettings(tenant_id=anna.tenant_id))  # premium numbers blocked (the default)
    login(client, "anna@acme.test")
    refused = client.post("/api/account/second-factors/phone",
                          json={"password": PASSWORD, "number": number, "language": "en"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["pointer"] == "/number"
    assert originates(switch) == []


def test_another_companys_extension_is_not_one_of_ours(client, db, switch, anna, codes):
    other = make_tenant(db, name="Other", sip_domain="other.pbx.test")
    with db() as session:
        session.add(PbxUser(tenant_id=other.id, first_name="Olga", last_name="Other", extension="305"))
    login(client, "anna@acme.test")
    refused = client.post("/api/account/second-factors/phone",
                          json={"password": PASSWORD, "number": "305", "language": "en"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/number"


def test_logging_in_with_the_code_of_the_call(client, db, switch, anna, codes):
    login(client, "anna@acme.test")
    enrol_phone(client, db)
    client.post("/api/auth/logout")
    pending = login(client, "anna@acme.test", expect_stage="2fa")
    assert pending["factors"] == {"primary": "phone", "totp": False, "phone": "+316••••••78"}
    call = client.post("/api/auth/second-factor/call")
    assert call.status_code == 202, call.text
    assert call.json()["number"] == "+316••••••78" and call.json()["calls_left"] == 2
    wait_for_call(db)
    assert client.get("/api/auth/second-factor/call").json()["call_state"] == "answered"
    done = client.post("/api/auth/second-factor", json={"code": "173920"})
    assert done.status_code == 200 and done.json()["stage"] == "full", done.text


def test_the_code_is_valid_30_seconds_after_it_was_spoken(client, db, switch, anna, codes):
    login(client, "anna@acme.test")
    enrol_phone(client, db)
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="2fa")
    assert client.post("/api/auth/second-factor/call").status_code == 202
    row = wait_for_call(db)
    spoken_until = (row.expires_at - clock.now()).total_seconds() - phone_codes.VALID_S
    assert 3 < spoken_until < 20, spoken_until  # the speaking, then 30 s
    clock.advance(spoken_until + phone_codes.VALID_S + 1)
    late = client.post("/api/auth/second-factor", json={"code": "173920"})
    assert late.status_code == 401 and late.json()["code"] == "wrong_code"
    # send again: a new call, a new code; the old one stays dead
    assert client.post("/api/auth/second-factor/call").status_code == 202
    wait_for_call(db)
    assert client.post("/api/auth/second-factor", json={"code": "173920"}).status_code == 401
    assert client.post("/api/auth/second-factor", json={"code": "550821"}).json()["stage"] == "full"


def test_a_call_nobody_answers_ends_its_code_and_may_be_made_again_at_once(client, db, switch, anna, codes):
    login(client, "anna@acme.test")
    enrol_phone(client, db)
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="2fa")
    switch.api_answers.reply = "-ERR NO_ANSWER\n"
    assert client.post("/api/auth/second-factor/call").status_code == 202
    wait_for_call(db, "failed")
    assert client.get("/api/auth/second-factor/call").json() == {
        "number": "+316••••••78", "call_state": "failed", "calls_left": 2, "again_in_s": 0}
    assert client.post("/api/auth/second-factor", json={"code": "173920"}).status_code == 401
    switch.api_answers.reply = Switch.reply
    assert client.post("/api/auth/second-factor/call").status_code == 202


def test_send_again_waits_for_the_code_before_and_stops_after_three_calls(client, db, switch, anna, codes):
    login(client, "anna@acme.test")
    enrol_phone(client, db)
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="2fa")
    assert client.post("/api/auth/second-factor/call").status_code == 202
    too_soon = client.post("/api/auth/second-factor/call")
    assert too_soon.status_code == 429 and int(too_soon.headers["retry-after"]) <= 30
    clock.advance(31)
    assert client.post("/api/auth/second-factor/call").json()["calls_left"] == 1
    clock.advance(31)
    assert client.post("/api/auth/second-factor/call").json()["calls_left"] == 0
    clock.advance(31)
    exhausted = client.post("/api/auth/second-factor/call")
    assert exhausted.status_code == 429 and exhausted.json()["code"] == "phone_calls_exhausted"
    assert len(originates(switch)) == 4  # the enrolment's and three for the login


def test_five_wrong_codes_end_the_login_as_with_the_authenticator(client, db, switch, anna, codes):
    login(client, "anna@acme.test")
    enrol_phone(client, db)
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="2fa")
    client.post("/api/auth/second-factor/call")
    wait_for_call(db)
    for left in (4, 3, 2, 1):
        wrong = client.post("/api/auth/second-factor", json={"code": "000000"})
        assert wrong.status_code == 401 and wrong.json()["title"] == f"Wrong code. {left} attempts left."
    fifth = client.post("/api/auth/second-factor", json={"code": "000000"})
    assert fifth.status_code == 401 and fifth.json()["code"] == "second_factor_exhausted"
    # the pending login is over: the right code no longer helps, the password starts again
    assert client.post("/api/auth/second-factor", json={"code": "173920"}).status_code == 401


def test_primary_and_backup_factor(client, db, switch, anna, codes):
    from tests.web.helpers import enrol_totp

    login(client, "anna@acme.test")
    enrol_phone(client, db)
    enrol_totp(client)
    overview = client.get("/api/account/second-factors").json()
    assert overview["primary"] == "phone" and overview["totp_enabled"] and overview["phone_number"] == MOBILE
    chosen = client.put("/api/account/second-factors/primary", json={"password": PASSWORD, "factor": "totp"})
    assert chosen.status_code == 200 and chosen.json()["primary"] == "totp"
    client.post("/api/auth/logout")
    assert login(client, "anna@acme.test", expect_stage="2fa")["factors"] == {
        "primary": "totp", "totp": True, "phone": "+316••••••78"}
    # the backup: the call works as well when the authenticator is primary
    assert client.post("/api/auth/second-factor/call").status_code == 202
    wait_for_call(db)
    assert client.post("/api/auth/second-factor", json={"code": "173920"}).json()["stage"] == "full"


def test_removing_the_phone_factor(client, db, switch, anna, codes):
    login(client, "anna@acme.test")
    enrol_phone(client, db)
    wrong = client.post("/api/account/second-factors/phone/remove", json={"password": "nope"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["pointer"] == "/password"
    assert client.post("/api/account/second-factors/phone/remove", json={"password": PASSWORD}).status_code == 204
    assert client.get("/api/account/second-factors").json()["phone_number"] is None
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="full")


def test_a_company_that_requires_two_factor_login_accepts_the_phone_as_the_factor(client, db, switch, codes, settings):
    tenant = make_tenant(db, sip_domain=DOMAIN, company_number="+31201234567", require_2fa=True)
    make_account(db, settings, tenant.id, "anna@acme.test", role="user")
    login(client, "anna@acme.test", expect_stage="enrol")
    done = enrol_phone(client, db)
    assert done["stage"] == "full" and done["csrf_token"]
    client.headers["x-csrf-token"] = done["csrf_token"]
    refused = client.post("/api/account/second-factors/phone/remove", json={"password": PASSWORD})
    assert refused.status_code == 409 and refused.json()["code"] == "second_factor_required_by_tenant"


def test_the_operator_has_no_company_switch_to_call_from(client, db, switch, settings, codes):
    make_account(db, settings, None, "op@pbx.test", role="operator")
    login(client, "op@pbx.test")
    refused = client.post("/api/account/second-factors/phone",
                          json={"password": PASSWORD, "number": MOBILE, "language": "en"})
    assert refused.status_code == 409 and refused.json()["code"] == "phone_factor_needs_company"


# -- parallel requests (a running server) -------------------------------------------------------------


def _pending_phone_login(db, settings, anna) -> None:
    with db() as session:
        account = session.get(Account, anna.id)
        account.phone_factor_number, account.phone_factor_language, account.primary_factor = MOBILE, "en", "phone"
        session.add(account)


def test_one_spoken_code_finishes_the_login_once_under_parallel_requests(app, db, settings, switch, anna, codes):
    _pending_phone_login(db, settings, anna)
    with serving(app) as base, clients(base, 10) as racers:
        first = racers[0]
        pending = first.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD}).json()
        first.headers["x-csrf-token"] = pending["csrf_token"]
        assert first.post("/api/auth/second-factor/call").status_code == 202
        wait_for_call(db)
        for other in racers[1:]:  # the same pending login in ten connections
            other.cookies.update(first.cookies)
            other.headers["x-csrf-token"] = pending["csrf_token"]
        answers = at_once(racers, lambda c, n: c.post("/api/auth/second-factor", json={"code": "482915"}))
    assert sorted(a.status_code for a in answers) == [200] + [401] * 9, [a.text for a in answers]
    with db() as session:
        assert session.exec(select(PhoneCode).where(PhoneCode.used_at != None)).all() == []  # noqa: E711  (gone with the session)


def test_parallel_wrong_codes_of_an_enrolment_count_five_at_most(app, db, settings, switch, anna, codes):
    with serving(app) as base, clients(base, 10) as racers:
        first = racers[0]
        first.headers["x-csrf-token"] = first.post(
            "/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD}).json()["csrf_token"]
        assert first.post("/api/account/second-factors/phone",
                          json={"password": PASSWORD, "number": MOBILE, "language": "en"}).status_code == 202
        wait_for_call(db)
        for other in racers[1:]:
            other.cookies.update(first.cookies)
            other.headers["x-csrf-token"] = first.headers["x-csrf-token"]
        answers = at_once(racers, lambda c, n: c.post("/api/account/second-factors/phone/confirm",
                                                      json={"code": f"00000{n % 10}"}))
        assert sorted(a.status_code for a in answers) == [409] * 5 + [422] * 5, [a.text for a in answers]
        # the right code is no use any more either: the five tries are spent
        assert first.post("/api/account/second-factors/phone/confirm", json={"code": "482915"}).status_code == 409
    with db() as session:
        assert session.exec(select(PhoneCode)).one().failed == 5
        assert session.get(Account, anna.id).phone_factor_number is None


def test_parallel_calls_for_one_login_ring_the_phone_once(app, db, settings, switch, anna, codes):
    _pending_phone_login(db, settings, anna)
    with serving(app) as base, clients(base, 6) as racers:
        first = racers[0]
        pending = first.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD}).json()
        for client in racers:
            client.cookies.update(first.cookies)
            client.headers["x-csrf-token"] = pending["csrf_token"]
        answers = at_once(racers, lambda c, n: c.post("/api/auth/second-factor/call"))
    assert sorted(a.status_code for a in answers) == [202] + [429] * 5, [a.text for a in answers]
    assert len(originates(switch)) == 1
