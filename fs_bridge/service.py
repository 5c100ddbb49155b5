"""The bridge: events from the socket into a queue, a worker that applies them to the database in
batches, and the side jobs (status heartbeat, outbox delivery, the live feed for the web app).

Why batches: one transaction per event caps ingestion at the database's commit rate; FreeSWITCH sends
bursts (a busy queue, a registration storm), and committing what has piled up in one go keeps up with
them. A batch whose handlers fail is retried event by event, so one bad event costs only itself."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Callable, Optional

import gevent
from gevent.event import Event as Flag
from gevent.lock import Semaphore
from gevent.pool import Group
from gevent.queue import Empty, Queue
from sqlmodel import Session

from fs_bridge import connection, handlers, live_notify
from fs_bridge.context import Context
from fs_bridge.events import Event
from fs_bridge.live_feed import LiveFeed

log = logging.getLogger("fs_bridge")
BATCH = 500
HEARTBEAT_SECONDS = 5.0


class Bridge:
    def __init__(self, settings, engine, feed: Optional[LiveFeed] = None, modules=None):
        self.settings = settings
        self.engine = engine
        self.queue: Queue = Queue()
        self.feed = feed if feed is not None else LiveFeed(settings.bridge_feed_host, settings.bridge_feed_port)
        self.outbox_wakeup = Flag()
        self.tenant_cache: dict[str, Optional[int]] = {}
        self.table = handlers.table(modules)
        self.modules = handlers.modules(modules)
        self.esl: Optional[connection.EventSocket] = None
        self.running = True
        self.status = {"connected": False, "connected_since": None, "last_event_at": None, "events": 0,
                       "reconnects": 0, "last_error": None}
        self.counts: Counter = Counter()
        self._greenlets: list[gevent.Greenlet] = []
        self.jobs = Group()  # the greenlets of spawn_safely (after-commit actions, connect hooks): see settle
        self._status_lock = Semaphore()  # the heartbeat and a (re)connect may write at the same moment
        # on PostgreSQL every batch's messages are NOTIFYs too, for the web processes of every machine
        self.notifies = engine.dialect.name == "postgresql"
        self.sequence = live_notify.Sequence()

    # -- the socket side ---------------------------------------------------------------------------------

    def receive(self, event: Event) -> None:
        if event.key in self.table:  # what no handler takes is not queued (FreeSWITCH should not send it)
            self.queue.put(event)

    def _connected(self, esl) -> None:
        self.esl = esl
        if self.status["connected_since"] is not None or self.status["reconnects"] or self.counts["connects"]:
            self.status["reconnects"] += 1
        self.counts["connects"] += 1
        self.status.update(connected=True, connected_since=datetime.now(timezone.utc), last_error=None)
        self.write_status()
        self._announce()
        for module in self.modules:
            hook = getattr(module, "on_connected", None)
            if hook is not None:
                self.spawn_safely(lambda hook=hook: self.with_context(hook))

    def _disconnected(self, reason: str) -> None:
        was = self.status["connected"]
        self.esl = None
        self.status.update(connected=False, last_error=reason)
        if was:
            self.write_status()
            self._announce()

    def _announce(self) -> None:
        """Tell every live page at once that FreeSWITCH came or went (the heartbeat row says it too, but
        pages would only notice on their next read)."""
        data = {"health": "connected" if self.status["connected"] else "disconnected",
                "connected_since": self.status["connected_since"] if self.status["connected"] else None,
                "reconnects": self.status["reconnects"], "heartbeat_at": datetime.now(timezone.utc)}
        if self.notifies:
            try:
                with self.engine.begin() as db:
                    self.notify(db, [(None, "bridge", data)])
            except Exception as exc:
                log.warning("could not notify the web processes: %s", exc)
        self.feed.publish(None, "bridge", data)

    def notify(self, db, messages: list[tuple]) -> None:
        """Queue `messages` as NOTIFYs of `db`'s transaction (fs_bridge.live_notify), numbered in order."""
        switch = self.settings.switch
        live_notify.send(db, [live_notify.payload(switch, self.sequence.next(), tenant_id, kind, data)
                              for tenant_id, kind, data in messages])

    def esl_password(self) -> str:
        """This bridge's switch's event-socket password: its own in CALLPLAN_SWITCH_PASSWORDS (by
        CALLPLAN_SWITCH_NAME), else CALLPLAN_ESL_PASSWORD."""
        from web.domain.switches import password

        return password(self.settings, self.settings.switch)

    def api(self, command: str, timeout: float = 5.0) -> Optional[str]:
        """`api <command>` on the current connection; None (logged) when FreeSWITCH is away or slow."""
        esl = self.esl
        if esl is None or not esl.connected:
            log.warning("not sent to FreeSWITCH (not connected): %s", command)
            return None
        try:
            return esl.api(command, timeout)
        except (Exception, gevent.Timeout) as exc:
            log.warning("FreeSWITCH did not answer %r: %s", command, exc or exc.__class__.__name__)
            return None

    def tell_every_switch(self, commands: list[str], own: bool = True, timeout: float = 5.0) -> list:
        """What every switch must hear from this bridge (a blocked address's `reloadacl`, an agent's
        status, a directory flush): its own switch over its own connection (skipped with own=False: the
        switch where it happened holds it already), and every other live switch of the registry
        (web.domain.switches.live, the bridges' heartbeat rows) over an event-socket connection of its own,
        with that switch's password (web.domain.switches.password). Each other switch is asked in a greenlet
        of its own, so a hung one costs its timeout once and delays nobody else. The bridge process is
        monkey-patched (fs_bridge/__main__.py), so the registry's plain sockets wait cooperatively there;
        no thread is needed. The other switches' answers (web.domain.switches.Answer), those not told
        logged by name."""
        from web.domain import switches

        commands = list(commands)
        mine = switches.own(self.settings)
        try:
            with Session(self.engine) as db:
                found = switches.live(self.settings, db)
        except Exception:  # noqa: BLE001  (the database away: at least the own switch is told)
            log.exception("could not read the switches' registry; telling this bridge's switch only")
            found = []
        others = [switch for switch in found if switch.address != mine.address and switch.name != self.settings.switch]
        jobs = [gevent.spawn(switches.answer, self.settings, switch, commands, timeout) for switch in others]
        if own:
            for command in commands:
                self.api(command, timeout)
        gevent.joinall(jobs, timeout=timeout + 1)
        answers = [job.value for job in jobs if job.successful() and job.value is not None]
        for answer in answers:
            if not answer.reached:
                log.warning("switch %s (%s) not told %s: %s", answer.switch.name, answer.switch.address,
                            commands[:3], answer.error)
            for command, reply in zip(commands, answer.replies):
                if reply.startswith("-ERR"):
                    log.warning("switch %s refused %r: %s", answer.switch.name, command, reply.strip())
        return answers

    # -- the worker ----------------------------------------------------------------------------------------

    def next_batch(self, wait: Optional[float] = None) -> list[Event]:
        try:
            batch = [self.queue.get(timeout=wait)]
        except Empty:
            return []
        while len(batch) < BATCH:
            try:
                batch.append(self.queue.get_nowait())
            except Empty:
                break
        return batch

    def process(self, batch: list[Event]) -> None:
        try:
            self._apply(batch)
        except Exception:
            log.exception("a batch of %d events failed; applying them one by one", len(batch))
            for event in batch:
                try:
                    self._apply([event])
                except Exception:
                    self.counts["failed"] += 1
                    log.exception("event %s %s dropped", event.key, event.uuid)
        self.status["events"] += len(batch)
        self.status["last_event_at"] = datetime.now(timezone.utc)

    def _apply(self, batch: list[Event]) -> None:
        with Session(self.engine, expire_on_commit=False) as db:
            ctx = Context(self, db)
            table = self.table
            for event in batch:
                for handler in table.get(event.key, ()):
                    handler(ctx, event)
            ctx.notify()
            db.commit()
        ctx.run_after_commit()

    def with_context(self, action: Callable[[Context], None]) -> None:
        """Run `action(ctx)` in a transaction of its own (connect hooks, timers)."""
        with Session(self.engine, expire_on_commit=False) as db:
            ctx = Context(self, db)
            action(ctx)
            ctx.notify()
            db.commit()
        ctx.run_after_commit()

    def _work(self) -> None:
        while self.running:
            batch = self.next_batch(wait=1.0)
            if batch:
                self.process(batch)

    def drain(self) -> None:
        """Apply everything queued now (tests and benches)."""
        while True:
            batch = self.next_batch(wait=0)
            if not batch:
                return
            self.process(batch)

    # -- side jobs -----------------------------------------------------------------------------------------

    def spawn_safely(self, action: Callable[[], None]) -> gevent.Greenlet:
        def run():
            try:
                action()
            except Exception:
                log.exception("background job failed")
        return self.jobs.spawn(run)

    def settle(self, timeout: Optional[float] = 30.0) -> None:
        """drain, then wait for the after-commit jobs it started, and theirs (tests and benches)."""
        self.drain()
        while len(self.jobs):
            self.jobs.join(timeout=timeout, raise_error=False)
            if timeout is not None and len(self.jobs):
                raise TimeoutError(f"{len(self.jobs)} background jobs still running after {timeout} s")
            self.drain()

    def write_status(self) -> None:
        from sqlalchemy.exc import IntegrityError

        from web.models.bridge_status import write_status

        with self._status_lock:
            for _ in range(2):  # a first insert racing another bridge process's: the second try updates
                try:
                    with Session(self.engine) as db:
                        write_status(db, self.settings, self.status)
                        db.commit()
                    return
                except IntegrityError:
                    continue
                except Exception as exc:
                    log.warning("could not write the bridge status: %s", exc)
                    return

    def _heartbeat(self) -> None:
        while self.running:
            self.write_status()
            for module in self.modules:
                tick = getattr(module, "tick", None)
                if tick is not None:
                    try:
                        self.with_context(tick)
                    except Exception:
                        log.exception("%s.tick failed", module.__name__)
            gevent.sleep(HEARTBEAT_SECONDS)

    def start(self, connect: bool = True) -> None:
        self.feed.start()
        self._greenlets.append(gevent.spawn(self._work))
        self._greenlets.append(gevent.spawn(self._heartbeat))
        for module in self.modules:
            run = getattr(module, "run", None)  # a module's own long-running job (the outbox)
            if run is not None:
                self._greenlets.append(gevent.spawn(run, self))
        if connect:
            self._greenlets.append(gevent.spawn(
                connection.run_forever, self.settings.esl_host, self.settings.esl_port, self.esl_password(),
                on_connected=self._connected, sink=self.receive, on_disconnected=self._disconnected,
                should_run=lambda: self.running, events=connection.subscription(self.table),
                filters=handlers.filters(self.modules)))

    def stop(self) -> None:
        self.running = False
        self.status["connected"] = False
        self.write_status()
        gevent.killall(self._greenlets, timeout=2)
        self.feed.stop()
        if self.esl is not None:
            try:
                self.esl.sock.close()
            except Exception:
                pass

    def wait(self) -> None:
        gevent.joinall(self._greenlets)
