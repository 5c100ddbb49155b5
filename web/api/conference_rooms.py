"""Conference rooms (#18 item 2): the rooms (number, PINs, limit), and who is in one now with the
admin's mute / unmute / kick (web.domain.conference_live)."""

from __future__ import annotations

from web.api.problems import Problem, field_problem
from web.api.resources import Resource
from web.api.routing import api
from web.domain import conference_live
from web.models.conference_room import ConferenceRoom, ConferenceRoomCreate, ConferenceRoomPublic, ConferenceRoomUpdate


def _validate(ctx, room: ConferenceRoom) -> None:
    # mod_conference lets a caller in on either PIN: a moderator PIN alone would shut participants out
    if room.moderator_pin and not room.pin:
        raise field_problem(422, "invalid", "/moderator_pin", "a moderator PIN needs a participant PIN as well")
    if room.moderator_pin and room.moderator_pin == room.pin:
        raise field_problem(422, "invalid", "/moderator_pin", "the moderator PIN must differ from the participant PIN")


resource = Resource(
    kind="conference_room", path="/api/conference-rooms", table=ConferenceRoom, create_model=ConferenceRoomCreate,
    update_model=ConferenceRoomUpdate, public_model=ConferenceRoomPublic, label="conference room",
    number_field="extension", order_by="id", validate=_validate,
)


def _ask(call):
    try:
        return call()
    except conference_live.SwitchUnavailable:
        raise Problem(503, "freeswitch_unavailable", headers={"Retry-After": "10"})


def list_members(ctx, id: int):
    """Who is in the room now (FreeSWITCH's mod_conference)."""
    room = resource.get(ctx, id)  # the admin's own company's room, else 404
    return _ask(lambda: conference_live.members(ctx.settings, ctx.tenant_id, room.id))


def _member_action(action: str):
    def handler(ctx, id: int, member_id: int):
        room = resource.get(ctx, id)
        if not _ask(lambda: conference_live.act(ctx.settings, ctx.tenant_id, room.id, member_id, action)):
            raise Problem(404, "not_found", "no such caller in the room (left already?)")
        return None

    handler.__name__ = f"{action}_conference_member"
    handler.__doc__ = {"mute": "Mute a caller in the room.", "unmute": "Let a muted caller speak again.",
                       "kick": "Remove a caller from the room (the call ends)."}[action]
    return handler


routes = [
    resource.usage_route(),
    *resource.routes(),
    api("GET", "/api/conference-rooms/{id:int}/members", list_members, permission="pbx.manage",
        response=list[conference_live.RoomMember], model=ConferenceRoom),
    *(api("POST", f"/api/conference-rooms/{{id:int}}/members/{{member_id:int}}/{action}", _member_action(action),
          permission="pbx.manage", status=204, model=ConferenceRoom) for action in conference_live.ACTIONS),
]
