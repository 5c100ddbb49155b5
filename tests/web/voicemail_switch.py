"""mod_voicemail's API as FreeSWITCH 1.10 answers it, for the test ESL server (tests/fs_bridge/esl_server.py):
the commands the portal's /messages page uses, over one table like its voicemail_msgs, with the WAV files
in the voicemail folder as it lays them out (<dir>/<domain>/<box>/msg_<uuid>.wav).

Each command is parsed and answered the way mod_voicemail.c does it (v1.10.12), including what makes it
dangerous to call carelessly: vm_read and vm_delete with a uuid change that uuid whatever box the command
names, and without one change the whole box (vm_delete) or the whole domain (vm_read). A portal that
trusted a uuid without looking it up in its box would be caught here. Every recount is kept as the
MESSAGE_WAITING event mod_voicemail fires (`mwi`), and as the vm::maintenance "mwi-update" event text
(`maintenance_events`) the bridge reads.

The fsdb commands answer switch_event_serialize_json of a REQUEST_PARAMS event: its standard headers,
then the VM-* ones, those with empty values left out as FreeSWITCH does (the same header names as a real
1.10 answers: tests/freeswitch/test_messages_on_freeswitch.py compares them); the header values below
come from ../shared/fixtures (Core-UUID, host name)."""

from __future__ import annotations

import json
import struct
import time
import uuid as uuids
import wave
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

CORE_UUID = "679c908e-ca38-4fb2-bfaa-04a3f9bb5ea5"


def write_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack("<h", 1000) * int(seconds * rate))


@dataclass
class Row:
    uuid: str
    username: str
    domain: str
    created_epoch: int
    cid_name: str
    cid_number: str
    file_path: str
    message_len: int
    read_epoch: int = 0
    flags: str = ""
    read_flags: str = "B_NORMAL"
    in_folder: str = "inbox"


@dataclass
class ModVoicemail:
    """Pass as EslServer(api_answers=...): its .get(command) answers `api <command>`."""

    storage_dir: Path
    rows: list[Row] = field(default_factory=list)
    mwi: list[tuple[str, str, str]] = field(default_factory=list)  # (account, yes/no, "new/saved")
    maintenance_events: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def __bool__(self):
        return True

    # -- arranging ------------------------------------------------------------------------------------------

    def leave(self, box: str, domain: str, caller_number: str = "+31612345678", caller_name: str = "Jan de Vries",
              seconds: int = 7, created: int | None = None, write_file: bool = True) -> Row:
        """A message as a caller leaves it: the row, the file, and the lamp's recount."""
        uuid = str(uuids.uuid4())
        path = self.storage_dir / domain / box / f"msg_{uuid}.wav"
        if write_file:
            write_wav(path, seconds=min(seconds, 2))
        row = Row(uuid, box, domain, created or int(time.time()), caller_name, caller_number, str(path), seconds)
        self.rows.append(row)
        self._update_mwi(box, domain, "NEW")
        return row

    def of(self, box: str, domain: str) -> list[Row]:
        return [row for row in self.rows if row.username == box and row.domain == domain]

    # -- answering ------------------------------------------------------------------------------------------

    def get(self, command: str, default=None):
        self.commands.append(command)
        name, _, rest = command.partition(" ")
        handler = {"vm_fsdb_msg_list": self._list, "vm_fsdb_msg_get": self._get, "vm_read": self._read,
                   "vm_delete": self._delete}.get(name)
        if handler is None:
            return default if default is not None else "-ERR no such command\n"
        return handler(rest)

    def _event(self, headers: dict) -> str:
        base = {"Event-Name": "REQUEST_PARAMS", "Core-UUID": CORE_UUID, "FreeSWITCH-Hostname": "vm",
                "FreeSWITCH-Switchname": "vm", "FreeSWITCH-IPv4": "192.0.2.2", "FreeSWITCH-IPv6": "fd00::2",
                "Event-Date-Local": "2026-11-21 22:45:38", "Event-Date-GMT": "Sat, 21 Nov 2026 22:45:38 GMT",
                "Event-Date-Timestamp": "1795301138514592", "Event-Calling-File": "mod_voicemail.c",
                "Event-Calling-Function": "vm_fsdb_msg_list_function", "Event-Calling-Line-Number": "5452",
                "Event-Sequence": "601"}
        # switch_event_add_header leaves out a header whose value is empty (a message's flags, most often)
        return json.dumps({**base, **{name: value for name, value in headers.items() if value != ""}}, indent=1)

    def _list(self, args: str) -> str:
        argv = args.split(" ")
        if len(argv) < 6:
            return "-ERR Missing Arguments\n"
        _, profile, domain, box, _folder, which = argv[:6]
        if profile != "default":
            return "-ERR Profile not found\n"
        rows = self.of(box, domain)
        if which == "not-read":
            rows = [row for row in rows if row.read_epoch == 0]
        elif which == "new":
            rows = [row for row in rows if row.flags == ""]
        elif which == "save":
            rows = [row for row in rows if row.flags == "save"]
        else:
            rows = [row for row in rows if row.read_epoch != 0]
        rows.sort(key=lambda row: (row.read_flags, row.created_epoch))
        headers = {f"VM-List-Message-{index}-UUID": row.uuid for index, row in enumerate(rows, 1)}
        headers["VM-List-Count"] = str(len(rows))
        return self._event(headers)

    def _get(self, args: str) -> str:
        argv = args.split(" ")
        if len(argv) < 5:
            return "-ERR Missing Arguments\n"
        _, profile, domain, box, uuid = argv[:5]
        if profile != "default":
            return "-ERR Profile not found\n"
        headers = {}
        for row in self.of(box, domain):
            if row.uuid == uuid:
                headers = {"VM-Message-Received-Epoch": str(row.created_epoch), "VM-Message-Read-Epoch": str(row.read_epoch),
                           "VM-Message-UUID": row.uuid, "VM-Message-Caller-Name": row.cid_name,
                           "VM-Message-Caller-Number": row.cid_number, "VM-Message-Folder": row.in_folder,
                           "VM-Message-File-Path": row.file_path, "VM-Message-Duration": str(row.message_len),
                           "VM-Message-Flags": row.flags, "VM-Message-Read-Flags": row.read_flags,
                           "VM-Message-Forwarded-By": ""}
        return self._event(headers)

    @staticmethod
    def _address(args: str) -> tuple[str, str | None, list[str]]:
        """mod_voicemail's "<id>@<domain>[/profile] ..." split: id, domain, the words after."""
        head, *words = args.split(" ")
        box, _, domain = head.partition("@")
        return box, domain.split("/")[0] or None, words

    def _read(self, args: str) -> str:
        box, domain, words = self._address(args)
        mode = words[0].lower() if words else ""
        uuid = words[1] if len(words) > 1 else None
        if not domain or mode not in ("read", "unread"):
            return "-ERR can't find user or profile.\n"
        # as mod_voicemail: by uuid alone, or every message of the domain
        for row in self.rows:
            if (row.uuid == uuid) if uuid else (row.domain == domain):
                if mode == "read":
                    row.read_epoch = int(time.time())
                else:
                    row.read_epoch, row.flags = 0, ""
        self._update_mwi(box, domain, "READ")
        return "+OK\n"

    def _delete(self, args: str) -> str:
        box, domain, words = self._address(args)
        uuid = words[0] if words else None
        if not domain:
            return "-ERR can't find user or profile.\n"
        # as mod_voicemail: by uuid alone, or every message of the box
        gone = [row for row in self.rows if ((row.uuid == uuid) if uuid else (row.username == box and row.domain == domain))]
        for row in gone:
            Path(row.file_path).unlink(missing_ok=True)
            self.rows.remove(row)
        self._update_mwi(box, domain, "DELETE")
        return "+OK\n"

    def _update_mwi(self, box: str, domain: str, reason: str) -> None:
        rows = [row for row in self.of(box, domain) if row.in_folder == "inbox"]
        new = sum(1 for row in rows if row.read_epoch == 0)
        saved = len(rows) - new
        self.mwi.append((f"{box}@{domain}", "yes" if new else "no", f"{new}/{saved}"))
        self.maintenance_events.append(maintenance_event(box, domain, new, saved))


def maintenance_event(box: str, domain: str, new: int, saved: int) -> str:
    """vm::maintenance "mwi-update" as `event plain` (update_mwi in mod_voicemail.c)."""
    headers = {"Event-Name": "CUSTOM", "Core-UUID": CORE_UUID, "FreeSWITCH-Hostname": "vm",
               "Event-Calling-File": "mod_voicemail.c", "Event-Calling-Function": "update_mwi",
               "Event-Subclass": "vm::maintenance", "VM-Action": "mwi-update", "VM-User": box,
               "VM-Domain": domain, "VM-Total-New": str(new), "VM-Total-Saved": str(saved),
               "VM-Total-New-Urgent": "0", "VM-Total-Saved-Urgent": "0"}
    return "".join(f"{name}: {quote(value, safe='')}\n" for name, value in headers.items())
