"""What a handler gets besides the event: the batch's database session, tenant lookup, and ways to act
after the batch is committed (push live state, send FreeSWITCH a command, wake the outbox).

Handlers run in one worker greenlet, many events to a transaction (fs_bridge.service), so they must be
quick: no network waits inside a handler. Anything slow (an ESL command, an HTTP POST) goes through
`after_commit` or the outbox, so it happens only for data that is really stored."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Optional

from sqlmodel import Session, select

from fs_bridge.writes import Writes

if TYPE_CHECKING:  # pragma: no cover
    from fs_bridge.service import Bridge

log = logging.getLogger("fs_bridge")
_UNSCOPED = ("blocked", "bridge")  # messages for every page, not one tenant's


class Context:
    def __init__(self, bridge: "Bridge", db: Session):
        self.bridge = bridge
        self.db = db
        self.settings = bridge.settings
        self.writes = Writes()  # rows written together before the commit (fs_bridge.writes)
        self._after_commit: list[Callable[[], None]] = []
        self._published: list = []
        self._wake = False

    def flush(self) -> None:
        """Write what the handlers left in `writes` (the bridge calls this just before it commits)."""
        self.writes.flush(self.db)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Something that may wait (an ESL command): run after commit in a greenlet of its own."""
        self._after_commit.append(action)

    def messages(self) -> list[tuple]:
        """The batch's live messages, (tenant_id, kind, data) each, those of `publish_later` worked out:
        called once its rows are written (ids known), before the commit, so that on PostgreSQL they go
        out as NOTIFYs of the same transaction (fs_bridge.live_notify)."""
        resolved = []
        for message in self._published:
            if callable(message):
                message = message()
                if message is None:
                    continue
            if message[0] is None and message[1] not in _UNSCOPED:
                continue
            resolved.append(message)
        self._published = resolved
        return resolved

    def notify(self) -> None:
        """Write what the handlers left, and on PostgreSQL queue the batch's messages as notifications
        of its transaction (the bridge calls this just before it commits)."""
        self.flush()
        if self.bridge.notifies:
            self.bridge.notify(self.db, self.messages())

    def run_after_commit(self) -> None:
        # the live feed's messages are only queued for its readers (no waiting): sent from here, in
        # order, not one greenlet each; what can wait on the network gets a greenlet of its own
        published = self.messages()
        self._published = []
        feed = self.bridge.feed
        for tenant_id, kind, data in published:
            try:
                feed.publish(tenant_id, kind, data)
            except Exception:
                log.exception("publishing %s to the live feed failed", kind)
        if self._wake:
            self._wake = False
            self.bridge.outbox_wakeup.set()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            self.bridge.spawn_safely(action)

    def publish(self, tenant_id: Optional[int], kind: str, data: dict) -> None:
        """Tell the web app's live views (after commit): kind is "call", "call_ended", "registration",
        "agent", "blocked", "bridge", "voicemail"."""
        if tenant_id is not None or kind in _UNSCOPED:
            self._published.append((tenant_id, kind, data))

    def publish_later(self, message: Callable[[], Optional[tuple]]) -> None:
        """Like publish, with (tenant_id, kind, data) worked out after commit: for what is only known once
        the batch's rows are written (a new record's id)."""
        self._published.append(message)

    def freeswitch(self, command: str) -> None:
        """Run `api <command>` in FreeSWITCH after commit, in its own greenlet, with a timeout."""
        self.after_commit(lambda: self.bridge.api(command))

    def every_switch(self, commands, own: bool = True) -> None:
        """Run `api <command>` (one, or a list in order) after commit on this bridge's switch and on every
        other live switch (Bridge.tell_every_switch); own=False: on the others only."""
        commands = [commands] if isinstance(commands, str) else list(commands)
        self.after_commit(lambda: self.bridge.tell_every_switch(commands, own=own))

    def wake_outbox(self) -> None:
        self._wake = True

    def tenant_id(self, domain: Optional[str]) -> Optional[int]:
        """The tenant whose SIP domain this is (cached for the process's life: domains do not move)."""
        if not domain:
            return None
        cache = self.bridge.tenant_cache
        if domain not in cache:
            from web.models.tenant import Tenant

            cache[domain] = self.db.exec(select(Tenant.id).where(Tenant.sip_domain == domain)).first()
        return cache[domain]
