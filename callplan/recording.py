"""Call recording (#18 item 1): what the dialplan, the directory and callcenter.conf write so FreeSWITCH
records a call (record_session), and where the file goes.

FreeSWITCH writes every recording into its global `callplan_recordings_dir` (freeswitch/vars.xml, from
CALLPLAN_RECORDINGS_DIR: the same folder the app and the bridge read), as <tenant>/<leg uuid>_<why>.wav:
the leg's own uuid (`${uuid}`, expanded by FreeSWITCH on the leg that records) keeps the names unique,
and <why> (user, queue, step, demand) says what started it. The bridge learns of each file from
RECORD_STOP and links it to the call by the leg's variables (fs_bridge/recordings.py).

Where each kind records, always on one leg that hears both sides:
- a plan's "record from here" step: the caller's leg, at once (callplan/nodes/record.py);
- a queue with record_calls: mod_callcenter's record-template, on the caller's leg once an agent takes it;
- a user with recording "always": execute_on_answer on the user's own legs, both ways (the directory's
  variables for the phone's own calls, dial-vars for calls that ring the user);
- a user with recording "on_demand": the same legs bind the in-call feature code (bind_meta_app: the
  meta key `*` and one digit) to record_session, and RECORD_TOGGLE_ON_REPEAT makes a second press stop it.

The announcement (the company's recording_announcement_audio_id) is played to the caller before a
recording starts where the dialplan holds the caller: the step, a recorded queue, a recorded user's own
extension (direct number, transfer)."""

from __future__ import annotations

import re
from typing import Optional

REASONS = ("user", "queue", "step", "demand")
DIR_VARIABLE = "${callplan_recordings_dir}"  # FreeSWITCH's global variable (freeswitch/vars.xml)
# what the bridge accepts as a recording's file name (callplan's own names only)
FILE_NAME = re.compile(r"^[0-9a-f-]{36}_(user|queue|step|demand)\.wav\Z")
ON_DEMAND_CODE = re.compile(r"^\*[0-9]\Z")  # bind_meta_app: FreeSWITCH's meta key and one digit
# FreeSWITCH runs every variable whose name starts with execute_on_answer when the channel is answered
ON_ANSWER_RECORD = "execute_on_answer_cp_record"
ON_ANSWER_BIND = "execute_on_answer_cp_record_key"
# A variable set from the directory may not hold "${" (FreeSWITCH refuses it: "Invalid data ... contains a
# variable"), so the legs run these two extensions of the company's context (callplan.base_dialplan), whose
# actions FreeSWITCH expands on the leg: its own ${uuid}, the global folder.
USER_EXTENSION = "cp_record_user"
DEMAND_EXTENSION = "cp_record_demand"


def file_path(tenant_id: int, reason: str) -> str:
    if reason not in REASONS:
        raise ValueError(reason)
    return f"{DIR_VARIABLE}/{int(tenant_id)}/${{uuid}}_{reason}.wav"


def announcement(objects) -> Optional[str]:
    """The company's "this call is recorded" as FreeSWITCH plays it, or None."""
    audio_id = objects.company.recording_announcement_audio_id
    return objects.audio_path(audio_id) if audio_id is not None and audio_id in objects.audio else None


def on_demand_code(objects) -> Optional[str]:
    """The in-call digit after `*` that starts and stops a recording, when the company's feature code
    for it is enabled and one FreeSWITCH can bind (`*` and a digit)."""
    code = objects.feature_codes.get("record")
    return code[1] if code and ON_DEMAND_CODE.match(code) else None


def user_leg_variables(user, objects) -> dict[str, str]:
    """Variables of a leg of `user` (their phone's own calls, and each leg that rings them) that record it:
    nothing for a user who is not recorded."""
    mode = getattr(user, "recording", "off")
    domain = objects.domain
    if mode == "always":
        return {ON_ANSWER_RECORD: f"execute_extension {USER_EXTENSION} XML {domain}", "cp_rec_user": str(int(user.id))}
    if mode == "on_demand" and on_demand_code(objects) is not None:
        return {ON_ANSWER_BIND: f"execute_extension {DEMAND_EXTENSION} XML {domain}",
                "RECORD_TOGGLE_ON_REPEAT": "true", "cp_rec_user": str(int(user.id))}
    return {}


def leg_extensions(objects) -> list[tuple[str, str, list]]:
    """The two extensions the legs of recorded users run on answer: (name, number, actions). Only a leg
    of a recorded user (cp_rec_user, from the directory) gets past their second condition."""
    tenant = objects.tenant_id
    found = [(USER_EXTENSION, [("record_session", file_path(tenant, "user"))])]
    digit = on_demand_code(objects)
    if digit is not None:
        # the user's own leg listens for `*<digit>` ("a": its own DTMF) and records itself ("s"): both sides
        found.append((DEMAND_EXTENSION, [("bind_meta_app", f"{digit} a s record_session::{file_path(tenant, 'demand')}")]))
    return found


def queue_template(tenant_id: int) -> str:
    """mod_callcenter's record-template of a recorded queue (expanded on the caller's leg)."""
    return file_path(tenant_id, "queue")
