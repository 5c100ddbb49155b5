"""Fax on a real FreeSWITCH (#18 item 5): the project's configuration (mod_spandsp loaded) with the app and
the bridge. A plan with the "Receive fax" step is published on the demo's Sales number. The admin sends a
two-page PDF from the portal's API to that number: the app makes the fax TIFF and has FreeSWITCH originate
a loopback call into the company's dialplan running txfax; the company's dialplan hands its own number to
the plan, whose step answers with rxfax on the loopback's other leg (T.30 in audio, as over G.711). The bridge then records both faxes at hang-up (sent, received: two
pages, the sender's station id being the company number the sender put in fax_ident), makes the PDF and
mails it; aiosmtpd gets the mail with a two-page PDF attached."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.fax_support import pdf_bytes
from tests.freeswitch.bridge_process import running_bridge
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, demo, far_end, fs, fs_env, needs_freeswitch, server, work,
)
from web.auth.tokens import digest, new_api_token
from web.db import session_scope
from web.demo import DEMO_ADMIN
from web.models import Account, ApiToken
from web.models.fax import Fax

FAX_NUMBER = "+31201234568"  # the demo's Sales number, made the fax line below
COMPANY_NUMBER = "+31201234567"
MAIL_TO = "faxes@demo.example.com"


def ok(response, status=(200, 201, 202)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


@pytest.fixture(scope="module")
def fax_dir(fs) -> Path:
    """FreeSWITCH's fax folder (callplan_fax_dir: vars.xml's default beside its configuration), made; the
    app and the bridge are pointed at the same one."""
    folder = Path(fs.api("global_getvar callplan_fax_dir").strip())
    assert folder.is_absolute(), folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def admin_client(demo, fs, fax_dir):
    """The demo admin on the API, with the app asking this FreeSWITCH and sharing its fax folder."""
    settings = demo.app.state.settings
    wired = type(settings)(**{**settings.__dict__, "esl_host": HOST, "esl_port": fs.esl_port, "esl_password": fs.password,
                               "fax_dir": str(fax_dir)})
    demo.app.state.settings = wired
    raw = new_api_token()
    with session_scope(demo.engine) as db:
        account = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        db.add(ApiToken(account_id=account.id, tenant_id=account.tenant_id, name="fax test", prefix=raw[:10],
                        token_hash=digest(raw)))
    yield TestClient(demo.app, headers={"authorization": f"Bearer {raw}"})
    demo.app.state.settings = settings


def faxes(demo) -> list[Fax]:
    with Session(demo.engine) as db:
        return list(db.exec(select(Fax).order_by(Fax.id)).all())


@needs_freeswitch
def test_a_fax_sent_from_the_portal_is_received_on_the_fax_number_and_mailed_as_a_pdf(
        work, demo, server, fs, fax_dir, admin_client, mailbox):
    client = admin_client
    assert "mod_spandsp" in fs.api("module_exists mod_spandsp") or fs.api("module_exists mod_spandsp").strip() == "true"
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == FAX_NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": None}))  # the plan takes it below
    plan = ok(client.post("/api/plans", json={"name": "Fax line", "numbers": [FAX_NUMBER], "steps": [
        {"id": "f1", "type": "receive_fax", "mail_to": [MAIL_TO]}]}))
    assert plan["errors"] == [], plan["errors"]
    ok(client.post(f"/api/plans/{plan['id']}/publish", json={}))

    with running_bridge(demo, fs, work, "bridge-fax.log", fs_env=fs_env, smtp_port=mailbox.port,
                        CALLPLAN_FAX_DIR=str(fax_dir)):
        # T.30 runs as audio through mod_loopback, whose frames come from a timer: when the test's other
        # workers take both cores, frames are late and the modems lose each other (spandsp's result 49,
        # "the call dropped prematurely", seen once in CI). A sender tries again then, as a fax machine
        # does; the portal keeps the failed attempt in the list (asserted below). Two tries at most.
        attempts = []
        for attempt in (1, 2):
            sent = ok(client.post("/api/faxes", data={"number": FAX_NUMBER},
                                  files={"file": ("letter.pdf", pdf_bytes(2, "Fax test"), "application/pdf")}), 202)
            assert sent["status"] == "sending"

            def both_done(attempt=attempt):
                rows = faxes(demo)
                done = [row for row in rows if row.status not in ("queued", "sending")]
                return rows if len(done) == 2 * attempt else None
            rows = wait_for(both_done, 150, every=1)
            assert rows, (faxes(demo), fs.log_tail(300), (work / "bridge-fax.log").read_text()[-3000:])
            by_direction = {row.direction: row for row in rows}  # the latest of each direction
            out, received = by_direction["out"], by_direction["in"]
            attempts.append((out.status, out.result_code, out.result_text))
            if out.status == "sent" or attempt == 2:
                break
            assert out.status == "failed" and out.result_code, out  # a failure says why
        assert (out.status, out.pages, out.result_code) == ("sent", 2, 0), (attempts, out, fs.log_tail(200))
        assert (received.status, received.pages, received.result_code) == ("received", 2, 0), received
        # each side knows the other's fax ident: ours is the company number (fax_ident), theirs the number dialled
        assert received.remote_station_id == COMPANY_NUMBER, received
        assert out.remote_station_id == FAX_NUMBER, out
        assert received.local_number == FAX_NUMBER and received.mailed_to == [MAIL_TO]
        assert (fax_dir / received.tiff_file).is_file() and (fax_dir / received.pdf_file).is_file()
        # the portal lists both and serves the received PDF
        listing = ok(client.get("/api/faxes"))
        listed = {(item["direction"], item["status"], item["pages"]) for item in listing["items"]}
        assert {("out", "sent", 2), ("in", "received", 2)} <= listed, listed
        assert len(listing["items"]) == 2 * len(attempts)  # a failed try stays listed
        pdf = client.get(f"/api/faxes/{received.id}/pdf")
        assert pdf.status_code == 200 and len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) == 2

        # one mail per fax received (a failed try's says so); one carries the good fax
        mails = wait_for(lambda: (lambda got: got if len(got) >= len(attempts) else None)(mailbox.to(MAIL_TO)), 30)
        assert mails and len(mails) == len(attempts), (mails, (work / "bridge-fax.log").read_text()[-3000:])
        mail = next(m for m in mails if any(a.get_content_type() == "application/pdf" and len(
            pypdf.PdfReader(io.BytesIO(a.get_content())).pages) == 2 for a in m.iter_attachments())
            and "2" in m["Subject"])
        assert mail["Subject"].startswith("Fax ") and "2" in mail["Subject"], mail["Subject"]
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert len(pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages) == 2

        # each fax's call record carries it (the bridge's record of the leg that ran txfax, and of the one
        # that ran rxfax)
        def records():
            page = ok(client.get("/api/call-records", params={"limit": 50}))
            by_uuid = {item["call_uuid"]: item["id"] for item in page["items"]}
            return by_uuid if {out.call_uuid, received.call_uuid} <= set(by_uuid) else None
        by_uuid = wait_for(records, 30)
        assert by_uuid, ok(client.get("/api/call-records"))
        for fax in (out, received):
            detail = ok(client.get(f"/api/call-records/{by_uuid[fax.call_uuid]}"))
            assert (detail["fax"]["id"], detail["fax"]["status"], detail["fax"]["pages"]) == (fax.id, fax.status, 2), detail
