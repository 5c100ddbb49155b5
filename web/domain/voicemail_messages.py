"""Voicemail messages as mod_voicemail holds them, read and changed through FreeSWITCH itself.

FreeSWITCH stays the owner of the messages: its own database (voicemail_msgs) says which messages a box
holds, heard or not, and only its API commands change them, so every change fires its MESSAGE_WAITING
event (the phone's lamp, a NOTIFY from mod_sofia) and its vm::maintenance "mwi-update" (which the bridge
turns into a live update for the browser, fs_bridge/voicemail.py). Editing its sqlite file from here
would do neither, and would race its own writes.

    vm_fsdb_msg_list json <profile> <domain> <box> inbox not-read|read   the uuids, as a JSON event
    vm_fsdb_msg_get json <profile> <domain> <box> <uuid>                 one message, JSON-escaped
    vm_read <box>@<domain> read|unread <uuid>                            heard / not heard; MWI
    vm_delete <box>@<domain> <uuid>                                      file and row gone; MWI

(mod_voicemail.c, FreeSWITCH 1.10.) vm_list would list a box in one command, but writes caller names
into its XML and colon-separated text unescaped; the fsdb commands answer JSON. vm_read and vm_delete
with a uuid change that uuid whatever box is named, and without one change the whole box or domain, so a
message is always looked up in its box first (`message`) and the commands are only ever built with a
checked uuid.

The WAV is read from the voicemail folder FreeSWITCH shares with the app (CALLPLAN_VOICEMAIL_DIR,
<domain>/<box>/msg_<uuid>.wav, the layout of freeswitch/autoload_configs/voicemail.conf.xml), the same
folder the bridge mails messages from (web/domain/voicemail_files.py): only its file name comes from
FreeSWITCH's answer.

Who reads which box (`readable_boxes`): everybody their own personal box; a company box its `readers`
(users of the company); an admin every company box. Nobody reads another person's personal box."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

from sqlmodel import Session, select

from web.domain.voicemail_files import message_file
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped

PROFILE = "default"  # freeswitch/autoload_configs/voicemail.conf.xml
FOLDER = "inbox"  # mod_voicemail's only folder for messages left by callers
LIST_TIMEOUT = 5.0  # one connection for a box's list and a command per message
ACT_TIMEOUT = 3.0

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_NUMBER = re.compile(r"^[0-9]{1,16}\Z")
_DOMAIN = re.compile(r"^[a-z0-9.-]{1,253}\Z")


class SwitchDown(Exception):
    """FreeSWITCH could not be asked (not running, wrong password, timed out)."""


class SwitchRefused(Exception):
    """FreeSWITCH answered with an error."""


@dataclass(frozen=True)
class Box:
    """A box as mod_voicemail knows it: `number` at `domain`."""

    id: int
    name: str
    kind: str
    number: str
    domain: str
    mine: bool  # the caller's own personal box


@dataclass(frozen=True)
class Message:
    uuid: str
    box_id: int
    caller_number: str
    caller_name: str
    received_at: Optional[datetime]
    heard_at: Optional[datetime]
    seconds: int
    file: str  # its file name in the box's folder

    @property
    def heard(self) -> bool:
        return self.heard_at is not None


# -- who reads what ----------------------------------------------------------------------------------------


def own_user(db: Session, tenant_id: int, account_id: int) -> Optional[PbxUser]:
    """The PBX user whose portal login this is."""
    return db.exec(scoped(PbxUser, tenant_id).where(PbxUser.account_id == account_id).order_by(PbxUser.id)).first()


def box_number(db: Session, box: VoicemailBox) -> Optional[str]:
    """The name mod_voicemail files the box under: a company box's extension, a personal box's user's
    (callplan.nodes.voicemail.box_number and the directory say the same)."""
    if box.extension:
        return box.extension
    user = db.get(PbxUser, box.user_id) if box.user_id is not None else None
    return user.extension if user is not None and user.tenant_id == box.tenant_id else None


def readable_boxes(db: Session, tenant_id: int, account_id: int, role: Optional[str]) -> list[Box]:
    """The boxes this login may read, its own first, then by name."""
    tenant = db.get(Tenant, tenant_id)
    user = own_user(db, tenant_id, account_id)
    boxes = []
    for row in db.exec(scoped(VoicemailBox, tenant_id).order_by(VoicemailBox.id)).all():
        mine = row.kind == "personal" and user is not None and row.user_id == user.id
        granted = row.kind == "company" and (role == "admin" or (user is not None and user.id in (row.readers or [])))
        if not (mine or granted):
            continue
        number = box_number(db, row)
        if number is None or not _NUMBER.match(number):
            continue  # a box mod_voicemail cannot have (its user gone, a value that no longer validates)
        boxes.append(Box(row.id, row.name, row.kind, number, tenant.sip_domain, mine))
    return sorted(boxes, key=lambda box: (not box.mine, box.name.lower(), box.id))


def readable_box_ids(db: Session, tenant_id: int, account_id: int, role: Optional[str]) -> frozenset[int]:
    return frozenset(box.id for box in readable_boxes(db, tenant_id, account_id, role))


# -- talking to mod_voicemail ------------------------------------------------------------------------------

Ask = Callable[[list[str], float], list[str]]  # runs api commands on one connection, returns the replies


def esl_asker(settings) -> Ask:
    """The real thing: api commands over the event socket, to the home switch (web.domain.switches.home:
    CALLPLAN_HOME_SWITCH; one machine: its own), whose mod_voicemail database holds the boxes (the other
    switches hand callers for a box to it)."""
    from web.domain import switches
    from web.domain.switch import EslError

    def ask(commands: list[str], timeout: float) -> list[str]:
        try:
            return switches.ask(settings, switches.home(settings), commands, timeout)
        except (OSError, EslError) as exc:
            raise SwitchDown(str(exc)) from exc
    return ask


def _checked(box: Box) -> None:
    # everything that goes into a command is ours and checked; this guards the rule itself
    if not _NUMBER.match(box.number) or not _DOMAIN.match(box.domain):
        raise ValueError(f"not a box mod_voicemail can be asked about: {box.number}@{box.domain}")


def _json(reply: str) -> dict:
    if reply.lstrip().startswith("-ERR"):
        raise SwitchRefused(reply.strip()[:200])
    try:
        answer = json.loads(reply)
    except ValueError:
        raise SwitchRefused(f"not JSON: {reply.strip()[:200]}")
    if not isinstance(answer, dict):
        raise SwitchRefused("not a JSON object")
    return answer


def _epoch(value) -> Optional[datetime]:
    text = str(value or "").strip()
    if not text.isdigit() or int(text) <= 0:
        return None
    return datetime.fromtimestamp(int(text), tz=timezone.utc)


def _message(box: Box, answer: dict) -> Optional[Message]:
    """A message from vm_fsdb_msg_get's answer; None when the box has no such message, or when it is
    marked for deletion (a phone session deletes at its end)."""
    uuid = str(answer.get("VM-Message-UUID") or "")
    if not UUID.match(uuid) or answer.get("VM-Message-Flags") == "delete":
        return None
    length = str(answer.get("VM-Message-Duration") or "0")
    return Message(
        uuid=uuid, box_id=box.id,
        caller_number=str(answer.get("VM-Message-Caller-Number") or ""),
        caller_name=str(answer.get("VM-Message-Caller-Name") or ""),
        received_at=_epoch(answer.get("VM-Message-Received-Epoch")),
        heard_at=_epoch(answer.get("VM-Message-Read-Epoch")),
        seconds=int(length) if length.isdigit() else 0,
        file=os.path.basename(str(answer.get("VM-Message-File-Path") or "")),
    )


def _get(box: Box, uuid: str) -> str:
    return f"vm_fsdb_msg_get json {PROFILE} {box.domain} {box.number} {uuid}"


def messages(ask: Ask, box: Box) -> list[Message]:
    """The box's messages, newest first."""
    _checked(box)
    lists = ask([f"vm_fsdb_msg_list json {PROFILE} {box.domain} {box.number} {FOLDER} {which}"
                 for which in ("not-read", "read")], LIST_TIMEOUT)
    uuids: list[str] = []
    for reply in lists:
        answer = _json(reply)
        count = str(answer.get("VM-List-Count") or "0")
        for index in range(1, (int(count) if count.isdigit() else 0) + 1):
            uuid = str(answer.get(f"VM-List-Message-{index}-UUID") or "")
            if UUID.match(uuid) and uuid not in uuids:
                uuids.append(uuid)
    if not uuids:
        return []
    found = [_message(box, _json(reply)) for reply in ask([_get(box, uuid) for uuid in uuids], LIST_TIMEOUT)]
    epoch = datetime.fromtimestamp(0, tz=timezone.utc)
    return sorted((m for m in found if m is not None), key=lambda m: m.received_at or epoch, reverse=True)


def message(ask: Ask, box: Box, uuid: str) -> Optional[Message]:
    """One message of the box, or None (no such uuid, or another box's)."""
    _checked(box)
    if not UUID.match(uuid):
        return None
    return _message(box, _json(ask([_get(box, uuid)], ACT_TIMEOUT)[0]))


def _act(ask: Ask, command: str) -> None:
    reply = ask([command], ACT_TIMEOUT)[0]
    if not reply.startswith("+OK"):
        raise SwitchRefused(reply.strip()[:200])


def mark(ask: Ask, box: Box, found: Message, heard: bool) -> None:
    """Heard or not: mod_voicemail recounts the box and sends the lamp's state (MWI) itself."""
    _checked(box)
    _act(ask, f"vm_read {box.number}@{box.domain} {'read' if heard else 'unread'} {found.uuid}")


def delete(ask: Ask, box: Box, found: Message) -> None:
    """Gone from mod_voicemail: its row and its file; it recounts the box and sends the lamp's state."""
    _checked(box)
    _act(ask, f"vm_delete {box.number}@{box.domain} {found.uuid}")


def audio_path(voicemail_dir: str, box: Box, found: Message) -> Optional[str]:
    """The message's WAV in the shared folder, or None when it is not there."""
    return message_file(voicemail_dir, box.domain, box.number, found.file)
