"""Who is in a conference room now, and the admin's mute / unmute / kick, asked of FreeSWITCH over the
event socket (`conference <name> json_list`, `conference <name> mute <member id>` ...). The room's
conference name carries the tenant's id (callplan.objects.conference_name), and the room is looked up
in the admin's own company first, so an admin only ever sees or touches callers of the company's rooms."""

from __future__ import annotations

import json
import logging
from typing import Literal, Optional

from pydantic import BaseModel

from callplan.objects import conference_name

log = logging.getLogger("web.conference")

ESL_TIMEOUT = 3.0
Action = Literal["mute", "unmute", "kick"]
ACTIONS: tuple[str, ...] = ("mute", "unmute", "kick")


class SwitchUnavailable(Exception):
    """FreeSWITCH's event socket did not answer."""


class RoomMember(BaseModel):
    id: int  # mod_conference's member id, what mute/kick name
    caller_id_name: str = ""
    caller_id_number: str = ""
    joined_s: int = 0  # seconds in the room
    muted: bool = False
    moderator: bool = False
    talking: bool = False


def parse_members(reply: str, name: str) -> list[RoomMember]:
    """The callers of conference `name` from a json_list reply. A room nobody is in has no conference in
    FreeSWITCH ("-ERR Conference ... not found"): no members."""
    text = reply.strip()
    if not text.startswith("["):
        return []
    try:
        conferences = json.loads(text)
    except ValueError:
        log.warning("conference json_list for %s did not parse", name)
        return []
    members = []
    for conference in conferences:
        if conference.get("conference_name") != name:
            continue
        for member in conference.get("members") or []:
            if member.get("type") != "caller" or not isinstance(member.get("id"), int):
                continue  # a recording is listed too
            flags = member.get("flags") or {}
            members.append(RoomMember(
                id=member["id"], caller_id_name=str(member.get("caller_id_name") or ""),
                caller_id_number=str(member.get("caller_id_number") or ""),
                joined_s=int(member.get("join_time") or 0), muted=not flags.get("can_speak", True),
                moderator=bool(flags.get("is_moderator")), talking=bool(flags.get("talking"))))
    return sorted(members, key=lambda m: m.id)


def _ask_all(settings, commands: list[str], switches=None):
    """Every live switch's answers (web.domain.switches); none reached: SwitchUnavailable."""
    from web.domain import switches as registry

    answers = registry.ask_all(settings, commands, ESL_TIMEOUT, switches=switches)
    reached = [answer for answer in answers if answer.reached]
    for answer in answers:
        if not answer.reached:
            log.warning("conference list: switch %s not asked: %s", answer.switch.name, answer.error)
    if not reached:
        raise SwitchUnavailable(answers[0].error if answers else "no switch")
    return reached


def members(settings, tenant_id: int, room_id: int) -> list[RoomMember]:
    """The room's callers on every switch (with a home switch, CALLPLAN_HOME_SWITCH, they are all on it;
    without, callers landing on different switches are in rooms of the same name on each)."""
    name = conference_name(tenant_id, room_id)
    found = [member for answer in _ask_all(settings, [f"conference {name} json_list"])
             for member in parse_members(answer.replies[0], name)]
    return sorted(found, key=lambda m: m.id)


def act(settings, tenant_id: int, room_id: int, member_id: int, action: Action) -> bool:
    """Mute, unmute or kick one caller of the room; False when no such caller is in it (left already).
    With several switches it goes to the switch whose list holds that member (a member id is one
    switch's); should two switches both list the id, nobody is touched rather than the wrong caller."""
    from web.domain import switches as registry

    if action not in ACTIONS:
        raise ValueError(action)
    name = conference_name(tenant_id, room_id)
    command = f"conference {name} {action} {int(member_id)}"
    live = registry.live(settings)
    if len(live) > 1:
        holders = [answer.switch for answer in _ask_all(settings, [f"conference {name} json_list"], live)
                   if any(member.id == member_id for member in parse_members(answer.replies[0], name))]
        if len(holders) != 1:
            if holders:
                log.warning("conference %s: member %s is on %d switches; not %s", name, member_id, len(holders), action)
            return False
        live = holders
    reply = _ask_all(settings, [command], live)[0].replies[0]
    return reply.strip().startswith("OK") or reply.strip().startswith("+OK")
