"""What a handler gets besides the event: the batch's database session, tenant lookup, and ways to act
after the batch is committed (push live state, send FreeSWITCH a command, wake the outbox).

Handlers run in one worker greenlet, many events to a transaction (fs_bridge.service), so they must be
quick: no network waits inside a handler. Anything slow (an ESL command, an HTTP POST) goes through
`after_commit` or the outbox, so it happens only for data that is really stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from sqlmodel import Session, select

if TYPE_CHECKING:  # pragma: no cover
    from fs_bridge.service import Bridge


class Context:
    def __init__(self, bridge: "Bridge", db: Session):
        self.bridge = bridge
        self.db = db
        self.settings = bridge.settings
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        self._after_commit.append(action)

    def run_after_commit(self) -> None:
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            self.bridge.spawn_safely(action)

    def publish(self, tenant_id: Optional[int], kind: str, data: dict) -> None:
        """Tell the web app's live views (after commit): kind is "call", "call_ended", "registration",
        "agent", "blocked", "bridge", "voicemail"."""
        if tenant_id is not None or kind in ("blocked", "bridge"):
            self.after_commit(lambda: self.bridge.feed.publish(tenant_id, kind, data))

    def freeswitch(self, command: str) -> None:
        """Run `api <command>` in FreeSWITCH after commit, in its own greenlet, with a timeout."""
        self.after_commit(lambda: self.bridge.api(command))

    def wake_outbox(self) -> None:
        self.after_commit(self.bridge.outbox_wakeup.set)

    def tenant_id(self, domain: Optional[str]) -> Optional[int]:
        """The tenant whose SIP domain this is (cached for the process's life: domains do not move)."""
        if not domain:
            return None
        cache = self.bridge.tenant_cache
        if domain not in cache:
            from web.models.tenant import Tenant

            cache[domain] = self.db.exec(select(Tenant.id).where(Tenant.sip_domain == domain)).first()
        return cache[domain]
