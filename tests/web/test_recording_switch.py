"""Call recording on the switch side (#18 item 1): what FreeSWITCH is told to record, as it fetches it.

A user recorded "always" records on the user's own legs both ways (the phone's own calls: its channel
variables; calls that ring the user: dial-vars of the user's entry), "on demand" binds the in-call feature
code there instead; a recorded queue has mod_callcenter's record-template; the plan's "record from here"
step records the caller's leg; the company's announcement is played first where the dialplan holds the
caller. The files go to <recordings dir>/<tenant>/<leg uuid>_<why>.wav. The same on a real FreeSWITCH:
tests/freeswitch/test_recording_on_freeswitch.py."""

from __future__ import annotations

from tests.web.factories_audio import make_audio_file
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.test_xml_curl import _fresh_cache, fs, plan_on, settings, user_entry  # noqa: F401  (fixtures)


def actions(root) -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data")) for a in root.iter("action")]


def test_a_user_recorded_always_records_both_ways_and_on_demand_binds_the_code(fs, admin, other_admin):
    assert admin.client.get("/api/feature-codes").status_code == 200  # the company's codes, as a new company has them
    anna = admin.user("201", "Anna", recording="always")
    bram = admin.user("202", "Bram", recording="on_demand")
    cor = admin.user("203", "Cor")
    phones = {user["id"]: admin.create("/api/devices", name=f"Desk {user['id']}", user_id=user["id"])
              for user in (anna, bram, cor)}
    domain, tenant = admin.tenant.sip_domain, admin.tenant.id
    # a directory variable may not hold "${": the leg runs an extension of the company's context instead
    always = f"execute_extension cp_record_user XML {domain}"
    _, params, _ = user_entry(fs.directory(domain, "201", action="message-count"))
    assert params["dial-var-execute_on_answer_cp_record"] == always
    assert params["dial-var-cp_rec_user"] == str(anna["id"])
    _, _, variables = user_entry(fs.directory(domain, phones[anna["id"]]["sip_username"]))
    assert variables["execute_on_answer_cp_record"] == always and variables["cp_rec_user"] == str(anna["id"])

    assert not [value for name, value in [*params.items(), *variables.items()] if "record" in name and "${" in value]
    # ... which records the leg it runs on, only for a recorded user's leg
    extension = fs.dialplan(domain, "cp_record_user").find(".//extension[@name='feature_cp_record_user']")
    conditions = extension.findall("condition")
    assert (conditions[1].get("field"), conditions[1].get("expression")) == ("${cp_rec_user}", "^[0-9]+$")
    assert actions(conditions[1]) == [("record_session", f"${{callplan_recordings_dir}}/{tenant}/${{uuid}}_user.wav")]

    # on demand: *1 (the default code) binds the meta key and 1; pressed again it stops (toggle)
    bind = f"execute_extension cp_record_demand XML {domain}"
    _, params, _ = user_entry(fs.directory(domain, "202", action="message-count"))
    assert params["dial-var-execute_on_answer_cp_record_key"] == bind
    assert params["dial-var-RECORD_TOGGLE_ON_REPEAT"] == "true"
    _, _, variables = user_entry(fs.directory(domain, phones[bram["id"]]["sip_username"]))
    assert variables["execute_on_answer_cp_record_key"] == bind
    assert "execute_on_answer_cp_record" not in variables
    demand = fs.dialplan(domain, "cp_record_demand").find(".//extension[@name='feature_cp_record_demand']")
    assert actions(demand.findall("condition")[1]) == [
        ("bind_meta_app", f"1 a s record_session::${{callplan_recordings_dir}}/{tenant}/${{uuid}}_demand.wav")]

    # not recorded: nothing; another company's users are never touched
    _, params, _ = user_entry(fs.directory(domain, "203", action="message-count"))
    _, _, variables = user_entry(fs.directory(domain, phones[cor["id"]]["sip_username"]))
    assert not [name for name in [*params, *variables] if "record" in name.lower()]
    other_admin.user("201", "Eve")
    _, params, _ = user_entry(fs.directory(other_admin.tenant.sip_domain, "201", action="message-count"))
    assert not [name for name in params if "record" in name.lower()]

    # the in-call code is * and one digit: another code is refused beside its field; moved, the binding follows
    codes = {row["function"]: row for row in admin.client.get("/api/feature-codes").json()}
    assert codes["record"]["code"] == "*1" and codes["record"]["enabled"]
    refused = admin.client.patch(f"/api/feature-codes/{codes['record']['id']}", json={"code": "*12"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/code"
    assert admin.client.patch(f"/api/feature-codes/{codes['record']['id']}", json={"code": "*5"}).status_code == 200
    demand = fs.dialplan(domain, "cp_record_demand").find(".//extension[@name='feature_cp_record_demand']")
    assert actions(demand.findall("condition")[1])[0][1].startswith("5 a s record_session::")
    # switched off: nothing is bound (and dialling it reaches no extension)
    assert admin.client.patch(f"/api/feature-codes/{codes['record']['id']}", json={"enabled": False}).status_code == 200
    _, params, _ = user_entry(fs.directory(domain, "202", action="message-count"))
    assert "dial-var-execute_on_answer_cp_record_key" not in params


def test_a_recorded_queue_has_a_record_template_and_the_announcement_plays_first(fs, admin, db, settings):
    anna = admin.user("201", "Anna")
    recorded = admin.create("/api/queues", name="Support", extension="400", record_calls=True,
                            tiers=[{"user_id": anna["id"]}])
    plain = admin.create("/api/queues", name="Sales", extension="401", tiers=[{"user_id": anna["id"]}])
    root = fs.fetch([("section", "configuration"), ("key_value", "callcenter.conf")])
    conf = root.find("section[@name='configuration']/configuration[@name='callcenter.conf']")
    queues = {q.get("name"): {p.get("name"): p.get("value") for p in q} for q in conf.find("queues")}
    domain, tenant = admin.tenant.sip_domain, admin.tenant.id
    assert queues[f"q{recorded['id']}@{domain}"]["record-template"] == \
        f"${{callplan_recordings_dir}}/{tenant}/${{uuid}}_queue.wav"
    assert "record-template" not in queues[f"q{plain['id']}@{domain}"]

    # the company's announcement: before the recorded queue, not before the other
    audio = make_audio_file(db, settings, tenant, name="Recorded")
    assert admin.client.patch("/api/company", json={"recording_announcement_audio_id": audio}).status_code == 200
    path = f"{settings.audio_dir}/{tenant}/16000/{audio}.wav"
    to_recorded = actions(fs.dialplan(domain, "400"))
    assert to_recorded.index(("playback", path)) < to_recorded.index(("callcenter", f"q{recorded['id']}@{domain}"))
    assert ("playback", path) not in actions(fs.dialplan(domain, "401"))


def test_the_record_step_and_a_recorded_users_extension(fs, admin, db, settings):
    tenant, domain = admin.tenant.id, admin.tenant.sip_domain
    anna = admin.user("201", "Anna", recording="always")
    admin.user("202", "Bram")
    step_file = f"${{callplan_recordings_dir}}/{tenant}/${{uuid}}_step.wav"
    plan_on(admin, "250", steps=[{"id": "r", "type": "record"}, {"id": "u", "type": "user", "user": anna["id"]}])
    plan_on(admin, "251", steps=[{"id": "r", "type": "record", "tell_caller": False}, {"id": "h", "type": "hang_up"}])
    steps = actions(fs.dialplan(domain, "250"))
    assert steps.index(("answer", "")) < steps.index(("record_session", step_file)) < steps.index(
        next(a for a in steps if a[0] == "bridge"))
    assert not [a for a in steps if a[0] == "playback"]  # no announcement yet: nothing played

    audio = make_audio_file(db, settings, tenant, name="Recorded")
    assert admin.client.patch("/api/company", json={"recording_announcement_audio_id": audio}).status_code == 200
    path = f"{settings.audio_dir}/{tenant}/16000/{audio}.wav"
    steps = actions(fs.dialplan(domain, "250"))
    assert steps.index(("playback", path)) < steps.index(("record_session", step_file))
    assert ("playback", path) not in actions(fs.dialplan(domain, "251"))  # the step says not to
    # the recorded user's own extension tells the caller first; another user's does not
    own = actions(fs.dialplan(domain, "201"))
    assert own.index(("playback", path)) < own.index(next(a for a in own if a[0] == "bridge"))
    assert ("playback", path) not in actions(fs.dialplan(domain, "202"))
    # the announcement is an audio file of the company's: another's is refused beside its field
    refused = admin.client.patch("/api/company", json={"recording_announcement_audio_id": 987654})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/recording_announcement_audio_id"
