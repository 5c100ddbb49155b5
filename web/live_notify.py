"""Live changes of every bridge, heard through PostgreSQL's LISTEN (README "Scaling out").

On PostgreSQL each bridge sends its batch's live messages as NOTIFYs of the batch's transaction
(fs_bridge/live_notify.py), so every web process, on whichever machine, hears every switch's changes
from the one thing they all share. `NotifyClient` takes the place of the loopback feed's `FeedClient`
(web/live.py, the same subscribers and fan-out by tenant) when `settings.live_notify`: one connection
that LISTENs while at least one websocket is open, reconnecting with a capped backoff.

What it adds to the feed's rules:
- a message with `"reload": true` (its data was over NOTIFY's 8000 bytes) makes the sockets of that
  tenant read a fresh snapshot; so does a `seq` skipped for a switch (a notification lost), for everyone;
- every WATCH_S it reads each switch's health (bridge_status); when one changes (a bridge stopped, lost
  its FreeSWITCH, came back) the live sockets get a fresh snapshot, whose calls and registrations of a
  switch nobody follows are marked stale; a dead bridge sends nothing, so only this can tell.
- once LISTEN is in place (first time and after every reconnect) the sockets already open read a fresh
  snapshot: what was committed before it might have been missed."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Callable, Optional

from starlette.concurrency import run_in_threadpool

from web.live import BACKOFF_CAP, BACKOFF_FIRST, _RESYNC, FeedClient

log = logging.getLogger("web.live")

CHANNEL = "callplan_live"  # fs_bridge.live_notify.CHANNEL (web never imports fs_bridge)
WATCH_S = 5.0


def _dsn(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


class NotifyClient(FeedClient):
    def __init__(self, database_url: str, read_switches: Callable[[], dict]):
        super().__init__("", 0)
        self.dsn = _dsn(database_url)
        self.read_switches = read_switches
        self.sequences: dict[str, int] = {}
        self.switches: Optional[dict] = None
        self.resyncs = 0

    # -- fresh snapshots --------------------------------------------------------------------------------

    def resync(self, tenant_id: Optional[int] = None, everyone: bool = False, live_only: bool = False) -> None:
        """Have sockets read the state again: one tenant's, or everyone's; `live_only`: the /api/live kind
        of socket (calls, registrations, agents), not the voicemail or blocks ones."""
        self.resyncs += 1
        group = self._everyone() if everyone else self.subscribers.get(tenant_id, ())
        for subscriber in list(group):
            if live_only and subscriber.kinds is not None and "call" not in subscriber.kinds:
                continue
            subscriber.offer(_RESYNC)

    def take(self, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("live notification: not JSON: %r", payload[:200])
            return
        if not isinstance(message, dict):
            return
        switch, seq = message.get("switch"), message.get("seq")
        if isinstance(switch, str) and isinstance(seq, int) and not isinstance(seq, bool):
            last = self.sequences.get(switch)
            self.sequences[switch] = seq
            if last is not None and seq > last + 1:  # lost some (a rolled-back batch's numbers, or ours)
                self.resync(everyone=True)
        if message.get("reload"):  # too big for NOTIFY: its rows are in the tables
            tenant_id = message.get("tenant_id")
            self.resync(tenant_id, everyone=tenant_id is None)
            return
        self.dispatch(message)
        if message.get("kind") == "bridge":  # one switch came or went: the worst health, stale rows
            self.resync(everyone=True, live_only=True)

    # -- the connection ------------------------------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            try:
                states = await run_in_threadpool(self.read_switches)
            except Exception as exc:
                log.warning("could not read the switches' health: %s", exc)
                states = self.switches
            if self.switches is not None and states != self.switches:
                log.info("switches now %s", states)
                self.resync(everyone=True, live_only=True)
            self.switches = states
            await asyncio.sleep(WATCH_S)

    async def _run(self) -> None:
        import psycopg

        watcher = asyncio.get_running_loop().create_task(self._watch(), name="live-switches")
        delay = 0.0
        try:
            while True:
                try:
                    conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True, connect_timeout=10)
                except (psycopg.Error, OSError) as exc:
                    delay = BACKOFF_FIRST if delay == 0 else min(BACKOFF_CAP, delay * 2)
                    log.warning("cannot LISTEN for live changes (%s); retrying in %.1f s", exc, delay)
                    await asyncio.sleep(delay)
                    continue
                delay = 0.0
                try:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connected = True
                    self.connects += 1
                    self.resync(everyone=True)  # what was committed before LISTEN took hold
                    async for note in conn.notifies():
                        self.lines += 1
                        self.take(note.payload)
                except (psycopg.Error, OSError) as exc:
                    log.warning("live notifications dropped: %s", exc)
                finally:
                    self.connected = False
                    try:
                        await asyncio.wait_for(conn.close(), 2.0)
                    except (asyncio.TimeoutError, psycopg.Error, OSError):
                        pass
                await asyncio.sleep(BACKOFF_FIRST)
        finally:
            watcher.cancel()
