"""The message-waiting lamp on a real FreeSWITCH (#16 item 4): a message left in a user's personal box
lights the lamp of the user's registered phone (mod_voicemail's MESSAGE_WAITING, which mod_sofia turns
into a NOTIFY message-summary to the registrations whose mwi-account is the box), and deleting the
message puts it out again. The companies' SIP domains are no sofia profile's name or alias: before, the
event found no profile ("Cannot find profile <domain>") and no phone was notified."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlmodel import select

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    FS_LANG_DIR, HOST, MAIN_NUMBER, demo, far_end, fs, fs_env, needs_freeswitch, register, server, speaking_call, work,
)
from web.db import session_scope
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.device import Device
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox
from web.secretbox import open_sealed


def to_the_users_box(demo, extension: str = "201"):
    """Publish a plan version on the main number that sends every call to the user's personal box; the
    domain, and the SIP username and password of the user's phone."""
    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        user = db.exec(select(PbxUser).where(PbxUser.tenant_id == tenant.id, PbxUser.extension == extension)).one()
        box = db.exec(select(VoicemailBox).where(VoicemailBox.user_id == user.id)).one()
        device = db.exec(select(Device).where(Device.user_id == user.id)).first()
        plan = db.exec(select(CallPlanRecord).where(CallPlanRecord.tenant_id == tenant.id,
                                                    CallPlanRecord.name == "Reception")).first()
        version = (plan.published_version or 0) + 1
        db.add(CallPlanVersion(tenant_id=tenant.id, plan_id=plan.id, version=version, document={
            "name": "Reception", "numbers": [MAIN_NUMBER], "diversions": [],
            "steps": [{"id": "v1", "type": "voicemail", "box": box.id}]}))
        plan.published_version = version
        db.add(plan)
        return tenant.sip_domain, device.sip_username, open_sealed(demo.settings.secret_key, device.sip_password_sealed)


def notifies(phone) -> list[str]:
    return [text for direction, text in harness.sip_messages(phone.received())
            if direction == "received" and text.startswith("NOTIFY ")]


@needs_freeswitch
@pytest.mark.skipif(not Path(FS_LANG_DIR).exists(), reason=f"mod_voicemail needs FreeSWITCH's phrases ({FS_LANG_DIR})")
def test_a_message_lights_the_phones_lamp_and_deleting_it_puts_it_out(work, demo, server, fs):
    server.start()
    domain, sip_user, password = to_the_users_box(demo)
    lamp = harness.Phone(work, "uas_notify")
    try:
        call_id = f"mwi-{secrets.token_hex(4)}@{HOST}"
        assert register(work, fs, sip_user, domain, password, expires=300, call_id=call_id,
                        contact_port=lamp.port) == [200], fs.log_tail(60)
        before = len(notifies(lamp))

        assert 200 in speaking_call(work, fs, "0612000088", seconds=6), fs.log_tail(200)
        folder = Path(fs_env(fs, "CALLPLAN_VOICEMAIL_DIR")) / domain / "201"
        assert wait_for(lambda: list(folder.glob("msg_*.wav")), 20), fs.log_tail(200)

        def lit(state: str):
            return [text for text in notifies(lamp)[before:]
                    if re.search(r"^Event:\s*message-summary", text, re.M | re.I)
                    and re.search(rf"^Messages-Waiting:\s*{state}", text, re.M | re.I)]
        on = wait_for(lambda: lit("yes"), 20)
        assert on, f"no NOTIFY on the phone:\n{lamp.received()[-2000:]}\n{fs.log_tail(120)}"
        assert re.search(rf"^Message-Account:\s*sip:201@{re.escape(domain)}", on[0], re.M | re.I), on[0]
        assert "Cannot find profile" not in fs.log_tail(400)

        # the message deleted (as the bridge does once mailed, or the user from the phone): the lamp goes out
        reply = fs.api(f"vm_delete 201@{domain}")
        assert "-ERR" not in reply, reply
        assert wait_for(lambda: lit("no"), 20), f"{lamp.received()[-2000:]}\n{fs.log_tail(120)}"
    finally:
        lamp.stop()
