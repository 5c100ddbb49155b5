"""Click-to-dial: the exact `bgapi originate` FreeSWITCH gets on the settings' ESL port (the test ESL
server speaks the protocol): the caller's own phone first, showing the number, then the number through
the company's dialplan context; the number checked (422 with a pointer), FreeSWITCH away (503) or
refusing (502), and a login without a PBX user (409). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.fs_bridge.agents_rig import switch_off
from tests.fs_bridge.esl_server import EslServer
from tests.web.helpers import make_account, make_tenant, make_token
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber

ESL_PASSWORD = "esl-secret"
DOMAIN = "acme.pbx.test"
JOB = "7f4de4bc-1d2c-4a7e-9a55-0b1f2e3d4c5b"


class Switch(dict):
    def __bool__(self):
        return True

    def get(self, key, default=None):
        if key.startswith("bgapi originate"):
            return self.get("reply") or f"+OK Job-UUID: {JOB}\n"
        return super().get(key, default)


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=Switch())
    yield server
    server.close()


@pytest.fixture
def settings(database_url, tmp_path, switch):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), esl_port=switch.port, esl_password=ESL_PASSWORD)


@pytest.fixture
def caller(app, db, settings):
    tenant = make_tenant(db, sip_domain=DOMAIN, company_number="+31201234567")
    account = make_account(db, settings, tenant.id, f"anna@{DOMAIN}", role="user")
    with db() as session:
        session.add(PhoneNumber(tenant_id=tenant.id, number="+31201234567"))  # the company's own number
        user = PbxUser(tenant_id=tenant.id, first_name="Anna", last_name="de Vries, Sales", extension="201",
                       account_id=account.id)
        session.add(user)
        session.flush()
        user_id = user.id
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    client.user_id, client.tenant = user_id, tenant
    return client


def originates(switch) -> list[str]:
    return [c[4:] for c in switch.commands if c.startswith("api bgapi originate")]


def test_the_exact_originate_command(caller, switch):
    answer = caller.post("/api/click-to-dial", json={"number": "06 1234-5678"})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"number": "0612345678", "job_uuid": JOB, "phone_registered": False}
    assert originates(switch) == [
        "bgapi originate {origination_caller_id_number=0612345678,origination_caller_id_name=0612345678,"
        "effective_caller_id_number=201,effective_caller_id_name=201,user_context=acme.pbx.test,"
        f"cp_user_id={caller.user_id},cp_extension=201,cp_outbound_cid=+31201234567,cp_withhold=false,"
        "cp_click_to_dial=true,originate_timeout=30}user/201@acme.pbx.test 0612345678 XML acme.pbx.test"]


def test_feature_codes_and_the_release_pin_form_are_numbers_too(caller, switch):
    for number in ("*97", "1234*+31612345678", "+3220123456#"):
        assert caller.post("/api/click-to-dial", json={"number": number}).status_code == 202
    assert [c.rsplit(" XML ", 1)[0].rsplit(" ", 1)[1] for c in originates(switch)] == \
        ["*97", "1234*+31612345678", "+3220123456#"]


@pytest.mark.parametrize("number", ["", "abc", "06 1234 5678; reloadxml", "+", "**", "1" * 33, "06+123",
                                    "0612\x00345", "{x}0612", "0612%0a345"])
def test_a_bad_number_answers_422_at_number(caller, switch, number):
    answer = caller.post("/api/click-to-dial", json={"number": number})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["pointer"] == "/number"
    assert originates(switch) == []


def test_freeswitch_away_answers_503(caller, switch):
    switch_off(switch)
    answer = caller.post("/api/click-to-dial", json={"number": "0201234567"})
    assert answer.status_code == 503 and answer.json()["code"] == "freeswitch_unavailable"


def test_freeswitch_refusing_answers_502(caller, switch):
    switch.api_answers["reply"] = "-ERR no reply\n"
    answer = caller.post("/api/click-to-dial", json={"number": "0201234567"})
    assert answer.status_code == 502 and answer.json()["code"] == "freeswitch_refused"


def test_a_login_without_a_pbx_user_cannot_dial(app, db, settings, caller, switch):
    account = make_account(db, settings, caller.tenant.id, f"reports@{DOMAIN}", role="reports")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    answer = client.post("/api/click-to-dial", json={"number": "0201234567"})
    assert answer.status_code == 409 and answer.json()["code"] == "no_pbx_user"
    assert originates(switch) == []
