"""Acting on a live call from the agent panel (seed 004): transfer, hang up, hold, as FreeSWITCH api
commands over the event socket (web.domain.switch through web.domain.callcenter.run, which reports
refusals). Who may act on which call is decided before (web.domain.agent_panel.call_for_action).

The call is its A leg (the caller's channel, the live call's uuid); the agent's own leg is what
mod_callcenter bridged to it (bridge-agent-start's CC-Agent-UUID, kept on queue_agent), or for any other
call the A leg's bridge partner, asked of FreeSWITCH.

    blind transfer   uuid_transfer <A> <number> XML <company domain>
                     the caller goes through the company's own dialplan to the user's extension, the
                     queue's extension (a queue without one: the callcenter app inline) or the number,
                     as if dialled there; the agent's leg ends with the bridge
                     to the park code or a parking slot:
                     uuid_transfer <A> 'set:cp_park_return_to=<agent's extension>,transfer:<number> XML
                     <company domain>' inline
                     a transfer over the event socket has no REFER, so no Referred-By to tell the lot who
                     parked the call: the agent's extension goes with it (callplan.base_dialplan's
                     parked_by reads it first and unsets it), so a parked call nobody takes rings the
                     agent again; one inline command, so a refused transfer leaves nothing set
    attended         uuid_broadcast <agent leg> att_xfer::<dial string> aleg
                     FreeSWITCH's att_xfer on the agent's leg, the way a phone's bound key runs it: the
                     caller hears music, the agent talks to the target, and hanging up joins the two
                     (the target ringing: a user's phones directly, a queue or number through the
                     company's dialplan on a loopback leg)
                     to the park code or a parking slot: the loopback leg carries who parked it,
                     att_xfer::{cp_park_return_to=<agent's extension>}loopback/<number>/<domain>
                     (mod_loopback sets the dial string's variables on the leg that runs the dialplan,
                     where parked_by reads them as for a blind transfer): the agent hears the slot,
                     hangs up, and the caller waits there; nobody takes it: it rings the agent again
    hang up          uuid_kill <A>
    hold / resume    uuid_hold [off] <agent leg>: as if the agent's phone pressed hold; the caller
                     hears the hold music

Every value in a command is checked against a strict pattern first: no spaces, commas or braces can
reach FreeSWITCH's argument parsing from a request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from web.domain import callcenter
from web.domain.problems import Problem

UUID = re.compile(r"^[0-9A-Za-z-]{8,64}\Z")
NUMBER = re.compile(r"^\+?[0-9*#]{2,32}\Z")
DOMAIN = re.compile(r"^[a-z0-9.-]{1,253}\Z")
SEPARATORS = re.compile(r"[\s().\-/]")  # what people paste between the digits of a number
ESL_TIMEOUT = 3.0


@dataclass
class Target:
    """Where a transfer goes: a number dialled in the company's dialplan, or a queue by id (no extension)."""

    number: Optional[str] = None
    queue_id: Optional[int] = None
    user_extension: Optional[str] = None  # a user: rung directly in an attended transfer


def _checked(pattern: re.Pattern, value: str) -> str:
    if not pattern.match(value or ""):
        raise ValueError(f"unsafe value for a FreeSWITCH command: {value!r}")
    return value


EXTENSION = re.compile(r"^[0-9]{2,4}\Z")
PARK_RETURN_TO = "cp_park_return_to"  # callplan.base_dialplan.BaseDialplan.PARK_RETURN_TO


def blind_transfer(call_uuid: str, domain: str, target: Target, parked_by: Optional[str] = None) -> list[str]:
    """`parked_by`: the agent's extension, when the number parks the call (the park code, a slot)."""
    call_uuid, domain = _checked(UUID, call_uuid), _checked(DOMAIN, domain)
    if target.number is not None and parked_by:
        number, extension = _checked(NUMBER, target.number), _checked(EXTENSION, parked_by)
        return [f"uuid_transfer {call_uuid} 'set:{PARK_RETURN_TO}={extension},transfer:{number} XML {domain}' inline"]
    if target.number is not None:
        return [f"uuid_transfer {call_uuid} {_checked(NUMBER, target.number)} XML {domain}"]
    return [f"uuid_transfer {call_uuid} 'callcenter:{callcenter.queue_name(int(target.queue_id), domain)}' inline"]


def dial_string(domain: str, target: Target, parked_by: Optional[str] = None) -> str:
    domain = _checked(DOMAIN, domain)
    if target.user_extension is not None:
        return f"user/{_checked(NUMBER, target.user_extension)}@{domain}"
    if target.number is None:
        raise Problem(409, "attended_needs_a_number")
    parker = f"{{{PARK_RETURN_TO}={_checked(EXTENSION, parked_by)}}}" if parked_by else ""
    return f"{parker}loopback/{_checked(NUMBER, target.number)}/{domain}"


def attended_transfer(agent_leg: str, domain: str, target: Target, parked_by: Optional[str] = None) -> list[str]:
    """`parked_by`: the agent's extension, when the number parks the call (the park code, a slot)."""
    return [f"uuid_broadcast {_checked(UUID, agent_leg)} att_xfer::{dial_string(domain, target, parked_by)} aleg"]


def hang_up(call_uuid: str) -> list[str]:
    return [f"uuid_kill {_checked(UUID, call_uuid)}"]


def hold(agent_leg: str, on: bool) -> list[str]:
    return [f"uuid_hold {'' if on else 'off '}{_checked(UUID, agent_leg)}"]


def partner_commands(call_uuid: str) -> list[str]:
    call_uuid = _checked(UUID, call_uuid)
    return [f"uuid_getvar {call_uuid} bridge_uuid", f"uuid_getvar {call_uuid} signal_bond"]


def partner_of(replies: list[str]) -> str:
    """The first reply that is a channel uuid (uuid_getvar answers "_undef_" or "-ERR ..." otherwise)."""
    for reply in replies:
        value = reply.strip()
        if UUID.match(value) and value != "_undef_":
            return value
    return ""


def _switch(settings, switch: str):
    """The live switch the call is on (its row's `switch`), else the first live one (one machine)."""
    from web.domain import switches

    return switches.pick(settings, prefer=[switch] if switch else [])


def run(settings, commands: list[str], switch: str = "") -> list[str]:
    """Send the commands to the switch holding the call (`switch`: its live row's); FreeSWITCH away is a
    503, a refusal a 502 with its reply."""
    report, replies = callcenter.run(settings, commands, timeout=ESL_TIMEOUT, switch=_switch(settings, switch))
    if not report.reachable:
        raise Problem(503, "freeswitch_unavailable", headers={"Retry-After": "10"})
    if not report.applied:
        raise Problem(502, "freeswitch_refused", "; ".join(item["reply"] for item in report.refused)[:300],
                      extra={"refused": report.refused})
    return replies


def agent_leg(settings, call_uuid: str, known: str, switch: str = "") -> str:
    """The agent's own leg of the call: known from mod_callcenter, else the A leg's bridge partner."""
    if known:
        return known
    report, replies = callcenter.run(settings, partner_commands(call_uuid), timeout=ESL_TIMEOUT,
                                     switch=_switch(settings, switch))
    if not report.reachable:
        raise Problem(503, "freeswitch_unavailable", headers={"Retry-After": "10"})
    leg = partner_of(replies)
    if not leg:
        raise Problem(409, "call_not_bridged")
    return leg
