"""Handing a call to the home switch (#19): with several FreeSWITCH, a conference room lives in the memory
of the switch a caller lands on, so two callers of one room landing on different switches would sit in
two rooms. A company served with a home switch (TenantObjects.home) therefore enters its rooms through
one extension per room, `cp-home-conference-<id>`, which every switch runs:

- on the home switch (its own vars.xml names it: the global `callplan_switch_name`, from
  CALLPLAN_SWITCH_NAME), or on a call that arrived by a hand-over (`cp_home_arrived`, never handed on
  again, so a misnamed switch cannot loop a call): the room's own actions;
- anywhere else (the condition's anti-actions): the call is bridged over SIP to the home switch's
  external profile, dialling `cp-home-<tenant>-conference-<id>` with the header X-Callplan-Home carrying
  the installation's token. The home switch's public context (web.xml_curl.dialplan.public_context)
  lets such a call in only with that token, into the company's context at `cp-home-conference-<id>`.

Every way into a room (its number, a plan's conference step, a transfer) goes through conference.join,
which sends the call to that extension first.

Call-center queues live on the home switch the same way: a queue called on its own (its number, a
public number or a transfer to it) goes through `cp-home-queue-<id>`; a plan's queue step, which the
plan goes on after, runs with the rest of the plan in a continuation segment of the plan
(callplan.engine: `cp<plan>_<step>_home`) whose condition is the one above, and whose anti-actions hand
the call to the home switch as kind "plan": `cp-home-<tenant>-plan-<plan>-<version>-<step>`, which the
home switch's public context sends to that continuation (`plan_public_number`, PLAN_NUMBER)."""

from __future__ import annotations

import re

from callplan.xml import exact

PREFIX = "cp-home-"
SWITCH_VARIABLE = "callplan_switch_name"  # a global variable of each switch (freeswitch/vars.xml)
ARRIVED_VARIABLE = "cp_home_arrived"  # set by the home switch's public context on a handed-over call
HEADER = "X-Callplan-Home"
# The forwarding switch's own uuid of the call goes along, so the home switch's leg is known as the same
# call (its bridge and records merge it into the first switch's call instead of counting a second one)
ORIGIN_HEADER = "X-Callplan-Origin"
ORIGIN_VARIABLE = "cp_home_origin"  # set from ORIGIN_HEADER by the home switch's public context, after the token
PROFILE = "external"  # the switches' profile without digest authentication (sip_profiles/external.xml)
# conference: a room by id; park: a slot by its number (a call there is taken, else the call waits in it);
# parkauto: the park code's first free slot, said aloud; parkquiet: the "park" destination's, not said
# queue: a call-center queue called on its own (its number, a public number, a transfer), by id
# voicemail: a box by id takes a message there (mod_voicemail's database is the home switch's);
# vmcheck: a user by extension listens to their box (the dialling phone's own extension, worked out where it
# dialled); pickup: a pickup group by id, a call ringing there is picked up (mod_dptools keeps ringing calls
# in its own memory)
KINDS = ("conference", "park", "parkauto", "parkquiet", "queue", "voicemail", "vmcheck", "pickup")
PARK_KINDS = ("park", "parkauto", "parkquiet")
# who parked the call (their extension, worked out where they dialled: callplan.base_dialplan.parked_by),
# so that the home switch can send the call back to them when nobody takes it
PARKED_BY_HEADER = "X-Callplan-Parked-By"
PARKED_BY_VARIABLE = "cp_parked_by"
# the greeting a message is left after (an audio id: the user's busy or unavailable one, a plan step's), set
# where the call is sent to the box and carried along; the home switch makes it a path of its own audio
GREETING_HEADER = "X-Callplan-Greeting"
GREETING_VARIABLE = "cp_home_greeting"
# what each kind carries in a header besides the token and the origin: (header, the variable it is sent
# from and kept in on the home switch, which its public context sets only after the token)
CARRIED = {**{kind: (PARKED_BY_HEADER, PARKED_BY_VARIABLE) for kind in PARK_KINDS},
           "voicemail": (GREETING_HEADER, GREETING_VARIABLE)}


def _id(object_id) -> str:
    # a slot keeps its leading zeros ("0701"), `$1` stays for FreeSWITCH to fill in; anything else is a number
    text = str(object_id)
    return text if re.fullmatch(r"[0-9]{1,12}|\$1", text) else str(int(object_id))


def number(kind: str, object_id) -> str:
    """The company-context number that enters the service on the home switch."""
    return f"{PREFIX}{kind}-{_id(object_id)}"


def public_number(tenant_id: int, kind: str, object_id) -> str:
    """What a hand-over dials at the home switch's public context (the tenant in it: that context is
    shared by every company)."""
    return f"{PREFIX}{int(tenant_id)}-{kind}-{_id(object_id)}"


PUBLIC_NUMBER = re.compile(rf"{PREFIX}([0-9]{{1,12}})-({'|'.join(KINDS)})-([0-9]{{1,12}})")
# a plan handed over at a queue step: tenant, plan, version, step id (callplan.model.STEP_ID)
PLAN_NUMBER = re.compile(rf"{PREFIX}([0-9]{{1,12}})-plan-([0-9]{{1,12}})-([0-9]{{1,12}})-([A-Za-z0-9_-]{{1,40}})")
PLAN_KIND = "plan"


def plan_public_number(tenant_id: int, plan_id: int, version: int, step_id: str) -> str:
    """What a plan's hand-over at a queue step dials at the home switch's public context."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", step_id):
        raise ValueError(f"not a step id: {step_id!r}")
    return f"{PREFIX}{int(tenant_id)}-{PLAN_KIND}-{int(plan_id)}-{int(version)}-{step_id}"


def continuation(plan_id: int, step_id: str) -> str:
    """The plan's continuation segment from a queue step (callplan.engine names it the same way)."""
    return f"cp{int(plan_id)}_{step_id}_home"


def hand_over(segment, objects, kind: str, object_id) -> bool:
    """With a home switch: send the call to the service's home extension (True); else nothing (False)."""
    if objects.home is None:
        return False
    segment.action("transfer", f"{number(kind, object_id)} XML {objects.domain}")
    return True


def extension(objects, kind: str, object_id, actions: list) -> tuple[str, list]:
    """The service's home extension: its `actions` on the home switch, a hand-over to it elsewhere."""
    carried = CARRIED.get(kind)
    extra = f"sip_h_{carried[0]}=${{{carried[1]}}}," if carried else ""
    here = _here_or_hand_over(objects, public_number(objects.tenant_id, kind, object_id), actions, extra)
    return (f"home_{kind}_{_id(object_id)}",
            [("destination_number", exact(number(kind, object_id)), [], []), here])


def plan_extension(objects, plan_id: int, version: int, step_id: str, actions: list) -> list:
    """The conditions after the number of a plan's continuation from a queue step (callplan.engine):
    `actions` (the queue step and the rest of the plan) on the home switch, a hand-over elsewhere."""
    return [_here_or_hand_over(objects, plan_public_number(objects.tenant_id, plan_id, version, step_id), actions)]


def _here_or_hand_over(objects, dialled: str, actions: list, extra: str = "") -> tuple:
    home = objects.home
    # the caller's own number and name go with the call, so the room's list shows who it is
    bridge = (f"{{sip_h_{HEADER}={home.handover_key},sip_h_{ORIGIN_HEADER}=${{uuid}},{extra}"
              f"origination_caller_id_number=${{caller_id_number}},"
              f"origination_caller_id_name=${{caller_id_name}}}}"
              f"sofia/{PROFILE}/{dialled}@{home.address}")
    return ("${" + SWITCH_VARIABLE + "}/${" + ARRIVED_VARIABLE + "}", f"^({re.escape(home.name)}/.*|.*/true)$",
            actions, [("set", "hangup_after_bridge=true"), ("bridge", bridge),
                      ("hangup", "NORMAL_TEMPORARY_FAILURE")])


def greeting_path(objects) -> str:
    """On the home switch: the greeting's path from the audio id a hand-over carried (GREETING_VARIABLE),
    nothing when it carried none or anything but an id (mod_commands' regex, "n": empty when no match;
    `set` with an empty value unsets)."""
    folder = objects.audio_path(0).rsplit("/", 1)[0]
    return (f"voicemail_greeting_path=${{regex(m:~${{{GREETING_VARIABLE}}}~^([0-9]{{1,12}})$~"
            f"{folder}/%1.wav~n)}}")
