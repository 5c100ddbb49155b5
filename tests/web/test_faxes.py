"""Faxes through the API (#18 item 5): sending a PDF (the exact `bgapi originate` FreeSWITCH gets, the
TIFF it will read: 1728 pixels wide, fine, G4, one page per PDF page), refusals with JSON pointers (a
file that is no PDF, a bad number, missing parts), FreeSWITCH away (503, the attempt listed as failed),
the list and the PDF download, and another company seeing none of it. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.fax_support import pdf_bytes
from tests.fs_bridge.agents_rig import switch_off
from tests.fs_bridge.esl_server import EslServer
from tests.web.helpers import make_account, make_tenant, make_token
from web.db import session_scope
from web.models.fax import Fax
from web.models.phone_number import PhoneNumber

ESL_PASSWORD = "esl-secret"
JOB = "7f4de4bc-1d2c-4a7e-9a55-0b1f2e3d4c5b"


class Switch(dict):
    def __bool__(self):
        return True

    def get(self, key, default=None):
        if key.startswith("bgapi originate"):
            return super().get("reply") or f"+OK Job-UUID: {JOB}\n"
        return super().get(key, default)


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=Switch())
    yield server
    server.close()


@pytest.fixture
def settings(database_url, tmp_path, switch):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), fax_dir=str(tmp_path / "fax"),
                         esl_port=switch.port, esl_password=ESL_PASSWORD, bridge_feed_port=0)


def company(app, db, settings, name: str, domain: str, number: str):
    tenant = make_tenant(db, name=name, sip_domain=domain, company_number=number)
    with db() as session:
        session.add(PhoneNumber(tenant_id=tenant.id, number=number))
    account = make_account(db, settings, tenant.id, f"admin@{domain}")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    client.tenant_id = tenant.id
    return client


@pytest.fixture
def acme(app, db, settings):
    return company(app, db, settings, "Acme", "acme.pbx.test", "+31201234567")


@pytest.fixture
def other(app, db, settings):
    return company(app, db, settings, "Other", "other.pbx.test", "+31301234567")


def send(client, number="+31 10 555-0000", pdf: bytes | None = None, **extra):
    files = {"file": ("letter.pdf", pdf if pdf is not None else pdf_bytes(2), "application/pdf")}
    return client.post("/api/faxes", data={"number": number, **extra}, files=files)


def test_a_pdf_is_sent_as_a_fax_tiff_through_the_companys_outbound_route(acme, switch, settings):
    answer = send(acme, pdf=pdf_bytes(3))
    assert answer.status_code == 202, answer.text
    fax = answer.json()
    assert (fax["direction"], fax["status"], fax["remote_number"], fax["local_number"], fax["has_pdf"]) == (
        "out", "sending", "+31105550000", "+31201234567", True)
    [command] = [c for c in switch.commands if "originate" in c]
    match = re.fullmatch(r"api bgapi originate \{(?P<vars>[^}]*)\}loopback/\+31105550000/acme\.pbx\.test "
                         r"&txfax\(\$\{callplan_fax_dir\}/tx-(?P<id>\d+)\.tif\)", command)
    assert match, command
    variables = dict(pair.split("=", 1) for pair in re.split(r"(?<!\\),", match["vars"]))
    assert int(match["id"]) == fax["id"]
    assert variables["cp_fax"] == f"tx:{fax['id']}" and variables["origination_uuid"] == fax["call_uuid"]
    assert variables["cp_outbound_cid"] == "+31201234567" and variables["cp_withhold"] == "false"
    assert variables["fax_enable_t38"] == "true" and variables["fax_enable_t38_request"] == "false"
    assert variables["absolute_codec_string"] == "'PCMU\\,PCMA'"  # G.711 towards the carrier
    with Image.open(f"{settings.fax_dir}/tx-{fax['id']}.tif") as tiff:
        assert (tiff.n_frames, tiff.width, tiff.info["compression"]) == (3, 1728, "group4")
        assert tuple(round(v) for v in tiff.info["dpi"]) == (204, 196)
    download = acme.get(f"/api/faxes/{fax['id']}/pdf")
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")


@pytest.mark.parametrize("number,pdf,pointer,code", [
    ("+31105550000", b"GIF89a not a pdf at all", "/file", "not_pdf"),
    ("+31105550000", b"%PDF-1.4 broken", "/file", "not_pdf"),
    ("call me", None, "/number", "fax_bad_number"),
    ("12", None, "/number", "fax_bad_number"),
    ("+3110555000012345678", None, "/number", "fax_bad_number"),
])
def test_bad_input_is_refused_naming_the_field(acme, switch, number, pdf, pointer, code):
    answer = send(acme, number=number, pdf=pdf)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [(e["pointer"], e["code"]) for e in answer.json()["errors"]] == [(pointer, code)]
    assert not [c for c in switch.commands if "originate" in c]
    assert acme.get("/api/faxes").json()["total"] == 0


def test_missing_parts_unknown_fields_and_json_bodies(acme):
    answer = acme.post("/api/faxes", data={"color": "red"}, files={"other": ("x.pdf", b"x", "application/pdf")})
    assert answer.status_code == 422
    assert sorted(e["pointer"] for e in answer.json()["errors"]) == ["/color", "/file", "/number", "/other"]
    assert acme.post("/api/faxes", json={"number": "+31105550000"}).status_code == 415


def test_without_freeswitch_the_attempt_is_listed_as_failed(acme, switch):
    switch_off(switch)
    answer = send(acme)
    assert answer.status_code == 503, answer.text
    [fax] = acme.get("/api/faxes").json()["items"]
    assert fax["status"] == "failed" and fax["result_text"].startswith("FreeSWITCH")


def test_freeswitch_refusing_is_a_502_and_a_failed_fax(acme, switch):
    switch.api_answers["reply"] = "-ERR no such channel type\n"
    assert send(acme).status_code == 502
    assert acme.get("/api/faxes").json()["items"][0]["status"] == "failed"


def test_a_company_without_a_number_cannot_send(app, db, settings, switch):
    tenant = make_tenant(db, name="Nameless", sip_domain="nameless.pbx.test")
    account = make_account(db, settings, tenant.id, "admin@nameless.pbx.test")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    answer = send(client)
    assert answer.status_code == 409 and answer.json()["code"] == "fax_no_company_number"


def test_the_list_filters_by_direction_and_another_company_sees_none_of_it(acme, other, app, settings):
    sent = send(acme).json()
    with session_scope(app.state.engine) as session:
        session.add(Fax(tenant_id=acme.tenant_id, direction="in", status="received", remote_number="+3110",
                        pages=1, call_uuid="in-1"))
    listing = acme.get("/api/faxes").json()
    assert listing["total"] == 2 and [f["direction"] for f in listing["items"]] == ["in", "out"]
    assert [f["id"] for f in acme.get("/api/faxes", params={"direction": "out"}).json()["items"]] == [sent["id"]]
    bad = acme.get("/api/faxes", params={"direction": "sideways"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/direction"
    assert other.get("/api/faxes").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert other.get(f"/api/faxes/{sent['id']}").status_code == 404
    assert other.get(f"/api/faxes/{sent['id']}/pdf").status_code == 404
    received = [f for f in listing["items"] if f["direction"] == "in"][0]
    assert acme.get(f"/api/faxes/{received['id']}/pdf").status_code == 404  # no PDF: no page came through
