"""The caller's voicemail messages (/messages): the boxes the caller may read, their messages new and
heard, the WAV to play or download, mark heard or not, delete. Everything goes through mod_voicemail
(web/domain/voicemail_messages.py), so the phone's lamp follows and the phone's own menu sees the same.

A box the caller may not read answers exactly like a box that does not exist (404), and so does a
message of another box: the uuid is looked up in the box named by the path, never on its own."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict
from starlette.responses import FileResponse

from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.domain import voicemail_messages as vm

log = logging.getLogger("web.api.my_voicemail")


class BoxPublic(BaseModel):
    id: int
    name: str
    kind: Literal["personal", "company"]
    number: str  # the number mod_voicemail files it under (the phone's *97, a company box's extension)
    mine: bool  # the caller's own box


class MessagePublic(BaseModel):
    id: str  # mod_voicemail's uuid of the message
    box_id: int
    caller_number: str
    caller_name: str
    received_at: Optional[datetime]
    heard: bool  # heard (mod_voicemail's "saved"); new messages light the phone's lamp
    heard_at: Optional[datetime]
    seconds: int
    audio_url: str


class MessageChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    heard: bool


def _boxes(ctx) -> list[vm.Box]:
    return vm.readable_boxes(ctx.db, ctx.tenant_id, ctx.account.id, ctx.role)


def _box(ctx, box_id: int) -> vm.Box:
    for box in _boxes(ctx):
        if box.id == box_id:
            return box
    raise Problem(404, "not_found")


def _ask(ctx):
    return vm.esl_asker(ctx.settings)


def _switch(work):
    """Run `work()` against FreeSWITCH, its failures as the same problems as click-to-dial's."""
    try:
        return work()
    except vm.SwitchDown as exc:
        log.warning("voicemail: FreeSWITCH not reachable: %s", exc)
        raise Problem(503, "freeswitch_unavailable", headers={"Retry-After": "10"})
    except vm.SwitchRefused as exc:
        raise Problem(502, "freeswitch_refused", str(exc))


def _public_box(box: vm.Box) -> BoxPublic:
    return BoxPublic(id=box.id, name=box.name, kind=box.kind, number=box.number, mine=box.mine)


def _public(message: vm.Message) -> MessagePublic:
    return MessagePublic(
        id=message.uuid, box_id=message.box_id, caller_number=message.caller_number, caller_name=message.caller_name,
        received_at=message.received_at, heard=message.heard, heard_at=message.heard_at, seconds=message.seconds,
        audio_url=f"/api/me/voicemail/boxes/{message.box_id}/messages/{message.uuid}/audio")


def _message(ctx, box: vm.Box, uuid: str) -> vm.Message:
    if not vm.UUID.match(uuid):
        raise field_problem(422, "invalid", "/uuid", "must be a message id (a uuid)")
    found = _switch(lambda: vm.message(_ask(ctx), box, uuid))
    if found is None:
        raise Problem(404, "not_found")
    return found


def my_boxes(ctx):
    """The voicemail boxes the caller may read: the own box, company boxes granted (admins: all)."""
    return [_public_box(box) for box in _boxes(ctx)]


def my_messages(ctx):
    """Every message of every box the caller may read, newest first."""
    boxes = _boxes(ctx)
    ask = _ask(ctx) if boxes else None
    found = [message for box in boxes for message in _switch(lambda box=box: vm.messages(ask, box))]
    found.sort(key=lambda m: m.received_at.timestamp() if m.received_at else 0, reverse=True)
    return [_public(m) for m in found]


def box_messages(ctx, box_id: int):
    """The messages of one box the caller may read, newest first."""
    box = _box(ctx, box_id)
    return [_public(message) for message in _switch(lambda: vm.messages(_ask(ctx), box))]


def get_message(ctx, box_id: int, uuid: str):
    """One message."""
    return _public(_message(ctx, _box(ctx, box_id), uuid))


def change_message(ctx, body: MessageChange, box_id: int, uuid: str):
    """Mark a message heard (the phone's lamp goes out when no new message is left) or new again."""
    box = _box(ctx, box_id)
    found = _message(ctx, box, uuid)
    _switch(lambda: vm.mark(_ask(ctx), box, found, body.heard))
    return _public(_switch(lambda: vm.message(_ask(ctx), box, uuid)) or found)


def delete_message(ctx, box_id: int, uuid: str):
    """Delete a message from mod_voicemail: its file too, and the lamp follows."""
    box = _box(ctx, box_id)
    found = _message(ctx, box, uuid)
    _switch(lambda: vm.delete(_ask(ctx), box, found))
    return None


def message_audio(ctx, box_id: int, uuid: str):
    """The message's WAV, to play in the page or (?download=1) to save."""
    box = _box(ctx, box_id)
    found = _message(ctx, box, uuid)
    path = vm.audio_path(ctx.settings.voicemail_dir, box, found)
    if path is None:
        log.error("voicemail %s of box %s@%s: no file %r in %s", found.uuid, box.number, box.domain, found.file,
                  ctx.settings.voicemail_dir)
        raise Problem(404, "voicemail_file_missing")
    download = ctx.request.query_params.get("download") in ("1", "true")
    stamp = found.received_at.strftime("%Y%m%d-%H%M") if found.received_at else found.uuid[:8]
    return FileResponse(
        path, media_type="audio/wav", filename=f"voicemail-{box.number}-{stamp}.wav",
        content_disposition_type="attachment" if download else "inline",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


_ONE = "/api/me/voicemail/boxes/{box_id:int}/messages/{uuid}"

routes = [
    api("GET", "/api/me/voicemail/boxes", my_boxes, permission="phone.self", response=list[BoxPublic]),
    api("GET", "/api/me/voicemail/messages", my_messages, permission="phone.self",
        response=list[MessagePublic]),
    api("GET", "/api/me/voicemail/boxes/{box_id:int}/messages", box_messages, permission="phone.self",
        response=list[MessagePublic]),
    api("GET", _ONE, get_message, permission="phone.self", response=MessagePublic),
    api("PATCH", _ONE, change_message, permission="phone.self", body=MessageChange, response=MessagePublic),
    api("DELETE", _ONE, delete_message, permission="phone.self", status=204),
    api("GET", _ONE + "/audio", message_audio, permission="phone.self"),
]
