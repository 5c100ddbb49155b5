"""Dial by name and the prompts' language on a real FreeSWITCH (#16 item 1), wired to the app as in
production (the repository's freeswitch/ folder, the demo company, mod_xml_curl).

Dial by name: a carrier caller reaches an IVR menu, presses its dial-by-name key and spells a colleague's
first name (the menu says first names) with RFC 2833 keys; mod_directory finds the colleague in the
directory the app lists for the whole domain, the caller chooses with 1, and the colleague's registered
phone (a SIPp UAS) rings. Prompt language: the voicemail prompts FreeSWITCH plays to a caller reaching a
Dutch user's box come from the Dutch prompts, and an English user's from the English ones; so do those a
Dutch user hears calling the voicemail feature code from the user's own phone."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import select

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    FS_LANG_DIR, HOST, MAIN_NUMBER, demo, far_end, fs, fs_env, needs_freeswitch, phone_call, register, server,
    speaking_call, work,
)
from web.db import session_scope
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.company import CompanySettings
from web.models.device import Device
from web.models.ivr_menu import IvrMenu
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox
from web.secretbox import open_sealed

needs_phrases = pytest.mark.skipif(not Path(FS_LANG_DIR).exists(),
                                   reason=f"mod_voicemail and mod_directory need FreeSWITCH's phrases ({FS_LANG_DIR})")


def publish(demo, steps: list[dict]) -> None:
    """A new published version of the demo's plan on the main number, with these steps."""
    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        plan = db.exec(select(CallPlanRecord).where(CallPlanRecord.tenant_id == tenant.id,
                                                    CallPlanRecord.name == "Reception")).first()
        version = (plan.published_version or 0) + 1
        db.add(CallPlanVersion(tenant_id=tenant.id, plan_id=plan.id, version=version, document={
            "name": "Reception", "numbers": [MAIN_NUMBER], "diversions": [], "steps": steps}))
        plan.published_version = version
        db.add(plan)


def demo_user(demo, extension: str, **changes) -> SimpleNamespace:
    """The demo user with this extension (changed as given): its id, box, and its phone's SIP account."""
    with session_scope(demo.engine) as db:
        user = db.exec(select(PbxUser).where(PbxUser.extension == extension)).one()
        for name, value in changes.items():
            setattr(user, name, value)
        db.add(user)
        box = db.exec(select(VoicemailBox).where(VoicemailBox.user_id == user.id)).one()
        device = db.exec(select(Device).where(Device.user_id == user.id)).first()
        tenant = db.get(Tenant, user.tenant_id)
        return SimpleNamespace(id=user.id, box=box.id, domain=tenant.sip_domain, sip_user=device.sip_username,
                               password=open_sealed(demo.settings.secret_key, device.sip_password_sealed))


def day_and_night_alike(demo) -> None:
    """The demo company's night switch follows office hours; these calls must not depend on the hour."""
    with session_scope(demo.engine) as db:
        row = db.exec(select(CompanySettings)).one()
        row.night_mode = "off"
        db.add(row)


class Playbacks:
    """The files FreeSWITCH starts playing (PLAYBACK_START), per caller number, from an event socket of
    our own."""

    def __init__(self, fs):
        self.found: list[tuple[str, str]] = []
        self.socket = harness.EventSocket(fs.esl_port, fs.password)
        reply = self.socket.command("event plain PLAYBACK_START")
        assert reply.get("Reply-Text", "").startswith("+OK"), reply
        threading.Thread(target=self.socket.events, args=(self._seen,), daemon=True).start()

    def _seen(self, event: dict) -> None:
        self.found.append((event.get("Caller-Caller-ID-Number", ""), event.get("Playback-File-Path", "")))

    def of(self, caller: str) -> list[str]:
        return [path for number, path in self.found if number == caller]

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def playbacks(fs):
    watching = Playbacks(fs)
    yield watching
    watching.close()


@needs_freeswitch
@needs_phrases
def test_a_caller_dials_a_colleague_by_first_name_and_the_colleagues_phone_rings(work, demo, server, fs):
    server.start()
    day_and_night_alike(demo)
    carla = demo_user(demo, "203")  # Carla Bakker: C-A-R is 2-2-7; no other first name starts so
    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        menu = IvrMenu(tenant_id=tenant.id, name="By name", timeout_s=5, attempts=1, dial_by_name_order="first_last",
                       keys={"5": {"action": "dial_by_name"}})
        db.add(menu)
        db.flush()
        menu_id = menu.id
    publish(demo, [{"id": "m1", "type": "ivr", "menu": menu_id}])
    phone = harness.Phone(work, "uas_answer")
    try:
        assert register(work, fs, carla.sip_user, carla.domain, carla.password, expires=300,
                        contact_port=phone.port) == [200], fs.log_tail(60)
        caller = "0612000077"
        # 5: dial by name; C-A-R and # once mod_directory asks; 1 chooses the one found
        keys = [(0.0, "5"), (3.0, "2"), (3.3, "2"), (3.6, "7"), (3.9, "#"), (6.0, "1")]
        uac = harness.call(work, SimpleNamespace(sip_port=int(fs_env(fs, "CALLPLAN_EXTERNAL_SIP_PORT"))), MAIN_NUMBER,
                           caller, dtmf=keys, timeout=40)
        call = fs.calls.wait_hangup(caller, timeout=30)
        log = fs.call_log(call)
        explain = f"SIPp: {uac.output}\n{uac.messages[-3000:]}\n--- FreeSWITCH ---\n{log[-12000:]}"
        assert call is not None, explain
        assert ("set", "directory_search_order=first_name") in call.applications, explain
        assert ("directory", f"default {carla.domain} {carla.domain}") in call.applications, explain
        invites = [text for direction, text in harness.sip_messages(phone.received())
                   if direction == "received" and text.startswith(f"INVITE sip:{carla.sip_user}@")]
        assert invites, f"Carla's phone did not ring\n{explain}"
        assert call.hangup.get("variable_last_bridge_to"), f"the caller was not put through\n{explain}"
    finally:
        phone.stop()


@needs_freeswitch
@needs_phrases
def test_voicemail_speaks_the_boxs_user_language(work, demo, server, fs, playbacks):
    server.start()
    day_and_night_alike(demo)
    english_prompts, dutch_prompts = fs_env(fs, "CALLPLAN_SOUND_PREFIX"), fs_env(fs, "CALLPLAN_SOUND_PREFIX_NL")
    for extension, language, caller, prompts in (("201", "nl", "0612000061", dutch_prompts),
                                                 ("202", "en", "0612000062", english_prompts)):
        user = demo_user(demo, extension, language=language)
        publish(demo, [{"id": "v1", "type": "voicemail", "box": user.box}])
        assert 200 in speaking_call(work, fs, caller, seconds=4), fs.log_tail(200)
        played = wait_for(lambda: [path for path in playbacks.of(caller) if "/voicemail/" in path], 15)
        assert played, f"no voicemail prompt played to {caller}: {playbacks.found[-20:]}\n{fs.log_tail(200)}"
        assert all(path.startswith(prompts + "/") for path in played), (language, played)
        assert any(re.search(r"/voicemail/vm-(person|record_message|not_available|tone)", path) for path in played), played


@needs_freeswitch
@needs_phrases
def test_a_dutch_users_own_phone_hears_dutch_prompts_checking_voicemail(work, demo, server, fs, playbacks):
    """The directory gives the user's phone the user's language (default_language): mod_voicemail's
    prompts on the user's own calls (*97, the mailbox) come from the Dutch prompts."""
    server.start()
    anna = demo_user(demo, "201", language="nl")  # before FreeSWITCH first looks up her phone in this module
    seen = len(playbacks.found)
    calling = threading.Thread(target=phone_call, args=(work, fs, anna.sip_user, anna.domain, anna.password, "*97"),
                               daemon=True)
    calling.start()
    try:
        played = wait_for(lambda: [path for _, path in playbacks.found[seen:] if "/voicemail/" in path], 20)
        assert played, f"no voicemail prompt on the phone's call: {playbacks.found[seen:]}\n{fs.log_tail(150)}"
        assert all(path.startswith(fs_env(fs, "CALLPLAN_SOUND_PREFIX_NL") + "/") for path in played), played
    finally:
        fs.api("hupall NORMAL_CLEARING")  # the phone sends no audio: the mailbox would wait for its PIN
        calling.join(40)
