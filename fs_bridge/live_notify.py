"""The bridge's live changes through PostgreSQL's NOTIFY, for every web process of every machine.

One bridge follows one FreeSWITCH; a platform with several switches has several bridges, and a web
process must push the calls of all of them (README "Scaling out"). The loopback feed (live_feed.py)
reaches only the web processes beside one bridge, so on PostgreSQL each batch's messages are also sent
as notifications on the channel CHANNEL, inside the batch's own transaction: a web process hears of a
change exactly when it is committed (NOTIFY is delivered at commit, never for a rolled-back batch), in
commit order, and the database the rows live in is the only thing the processes share.

A notification is one JSON object, the feed's message plus who sent it:

    {"switch": "fs1", "seq": 41, "tenant_id": 7, "kind": "call", "data": {...}}

`seq` counts this bridge process's messages, so a listener that sees a number skipped (a batch rolled
back and retried one event at a time, a notification lost while it reconnected) reads the state again.
NOTIFY's payload is limited to 8000 bytes; a message over PAYLOAD_LIMIT goes as a doorbell without its
data, `"data": null, "reload": true`: the rows it describes are committed in the same transaction, so
the listener reads the tenant's snapshot from the tables instead (web/live_notify.py)."""

from __future__ import annotations

import json
from typing import Iterable, Optional

from sqlalchemy import text

CHANNEL = "callplan_live"
PAYLOAD_LIMIT = 7900  # bytes; PostgreSQL refuses 8000 and more (async.c: NOTIFY_PAYLOAD_MAX_LENGTH)
# the batch's payloads go as one JSON array of strings, not a text[]: psycopg quotes each element of an
# array of JSON texts in Python (~45 us a message, more than the bridge's own work on it), json.dumps in C
# (bench/bridge.py: 500 messages 1.7 ms of the bridge's CPU against 23)
_SEND = text("SELECT count(pg_notify(:channel, payload)) FROM json_array_elements_text(CAST(:payloads AS json)) AS payload")


class Sequence:
    """This bridge process's message numbers (one per process: a web process tells a restart by the
    number going back)."""

    def __init__(self) -> None:
        self.sent = 0

    def next(self) -> int:
        self.sent += 1
        return self.sent


def payload(switch: str, seq: int, tenant_id: Optional[int], kind: str, data) -> str:
    message = {"switch": switch, "seq": seq, "tenant_id": tenant_id, "kind": kind, "data": data}
    encoded = json.dumps(message, default=str, separators=(",", ":"))  # ASCII (ensure_ascii): chars are bytes
    if len(encoded) <= PAYLOAD_LIMIT:
        return encoded
    message.update(data=None, reload=True)
    return json.dumps(message, separators=(",", ":"))


def send(connection, payloads: Iterable[str]) -> None:
    """NOTIFY each payload, in order, in one statement on `connection` (a Session or a Connection: the
    notifications go out when its transaction commits)."""
    payloads = list(payloads)
    if payloads:
        connection.execute(_SEND, {"channel": CHANNEL, "payloads": json.dumps(payloads)})
