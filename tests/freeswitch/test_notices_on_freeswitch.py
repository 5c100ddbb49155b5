"""Voicemail to e-mail on a real FreeSWITCH: a caller leaves a message in the demo company's box 999
(mod_voicemail records it into the shared folder and fires vm::maintenance "leave-message"); the
bridge, a process of its own as in production, mails it with the WAV attached through a real SMTP
server and POSTs the signed "voicemail" webhook.

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py (its fixtures,
started again for this module)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_bridge_on_freeswitch import bridge  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    FS_LANG_DIR, MAIN_NUMBER, demo, far_end, fs, fs_env, needs_freeswitch, server, speaking_call, work,
)
from web.db import session_scope
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.notification import WebhookSubscription
from web.models.phone_number import PhoneNumber
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox
from web.domain.notices import verify
from web.secretbox import seal

SECRET = "whsec_on_freeswitch"



@pytest.fixture
def receiver():
    from tests.fs_bridge.test_outbox import Receiver

    made = Receiver()
    yield made
    made.close()


def straight_to_voicemail(demo, receiver_url: str) -> str:
    """Publish a version of the plan on the main number that sends every call to box 999, and subscribe
    a receiver to "voicemail"; the tenant's domain."""
    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        box = db.exec(select(VoicemailBox).where(VoicemailBox.tenant_id == tenant.id,
                                                 VoicemailBox.extension == "999")).one()
        number = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id,
                                                   PhoneNumber.number == MAIN_NUMBER)).first()
        plan = db.exec(select(CallPlanRecord).where(CallPlanRecord.tenant_id == tenant.id,
                                                    CallPlanRecord.name == "Reception")).first()
        assert plan is not None and number is not None
        version = (plan.published_version or 0) + 1
        document = {"name": "Reception", "numbers": [MAIN_NUMBER], "diversions": [],
                    "steps": [{"id": "v1", "type": "voicemail", "box": box.id}]}
        db.add(CallPlanVersion(tenant_id=tenant.id, plan_id=plan.id, version=version, document=document))
        plan.published_version = version
        db.add(plan)
        box.copy_email = "copy@demo.example.com"
        db.add(box)
        db.add(WebhookSubscription(tenant_id=tenant.id, url=receiver_url, events=["voicemail"],
                                   secret_sealed=seal(demo.settings.secret_key, SECRET)))
        return tenant.sip_domain


@needs_freeswitch
@pytest.mark.skipif(not Path(FS_LANG_DIR).exists(), reason=f"mod_voicemail needs FreeSWITCH's phrases ({FS_LANG_DIR})")
def test_a_message_left_on_freeswitch_is_mailed_with_its_wav_and_posted(work, demo, server, fs, bridge, mailbox, receiver):
    server.start()
    domain = straight_to_voicemail(demo, receiver.url)
    responses = speaking_call(work, fs, "0612000077", seconds=8)
    assert 200 in responses, fs.log_tail(200)
    folder = Path(fs_env(fs, "CALLPLAN_VOICEMAIL_DIR")) / domain / "999"
    files = wait_for(lambda: list(folder.glob("msg_*.wav")), 20)
    assert files, fs.log_tail(200)

    mails = wait_for(lambda: mailbox.to("info@demo.example.com"), 30)
    assert mails, (work / "bridge.log").read_text()[-3000:] + fs.log_tail(80)
    [mail] = [m for m in mails if "612000077" in m["Subject"]]
    assert "copy@demo.example.com" in mail["To"]
    attachments = list(mail.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["audio/wav"]
    assert attachments[0].get_content() == files[0].read_bytes()
    assert attachments[0].get_filename() == files[0].name

    posted = wait_for(lambda: [r for r in receiver.requests if r["headers"]["X-Event"] == "voicemail"], 20)
    assert posted, (work / "bridge.log").read_text()[-3000:]
    headers = posted[0]["headers"]
    assert verify(SECRET, headers["X-Timestamp"], posted[0]["body"], headers["X-Signature"])
    import json

    data = json.loads(posted[0]["body"])["data"]
    assert data["box"]["number"] == "999" and data["caller"]["number"].endswith("612000077")
    assert data["seconds"] >= 3
