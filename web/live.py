"""Live state for the browser: the web app's side of the bridge's feed, and the websocket `/api/live`.

The bridge (fs_bridge/live_feed.py) sends every connected web-app process one JSON object per line,
{"tenant_id", "kind", "data"}, on a loopback TCP port. `FeedClient` reads those lines (asyncio,
reconnecting with a capped backoff) and hands each to the websockets of that tenant only. It runs while
at least one websocket is open: no browser watching, no connection to the bridge, and no bridge at all
(tests, a bridge restarting) costs nothing but retries in the background.

The websocket:
1. refuses a foreign Origin (cross-site websocket hijacking: a browser sends the portal's cookie with a
   websocket opened by any page, so the Origin is the only thing telling them apart), then anyone
   without a full portal session (or API token), a role without "live.read", or no tenant - with the
   same 401/403 problem documents as the API (a denial response before the handshake);
2. sends a snapshot from the database (web/api/live_state.py), then the tenant's changes as they come;
   it subscribes before reading the snapshot, so nothing falls between the two (a change may arrive
   twice, which is harmless: they are states, not deltas);
3. every KEEPALIVE_S sends {"kind": "ping"} and checks the session again: logged out, expired, blocked or
   demoted closes the socket with 1008 (policy violation); a client's "ping" is answered "pong";
4. after the feed was down it sends a fresh snapshot (changes may have been lost meanwhile); a socket
   whose browser cannot keep up is closed with 1013 (try again later) rather than let the app buffer
   without bound - the page reconnects and starts from a new snapshot.

Three sockets work this way (LiveRoute): `/api/live` ("live.read": the tenant's calls, registrations and
agents), `/api/blocked-addresses/live` ("blocking.manage": blocked addresses as they happen, the
tenant admin's or, for the operator, every tenant's - so the operator hears of blocks too) and
`/api/me/voicemail/live` ("phone.self": which of the caller's voicemail boxes changed; its `audience`
passes on only the boxes this caller may read, looked up again at every keepalive).

Which messages reach whom: a tenant's own kinds ("call", "call_ended", "registration", "agent") to its
/api/live sockets; "voicemail" to the sockets of those who may read that box; "blocked" to its sockets of
roles that may see blocks (blocking.manage) and to the operator's; "bridge" (tenant None) to everyone."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from typing import Any, Callable, Optional

from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from web import i18n
from web.api.problems import Problem, problem_response
from web.api.routing import RequestContext, _origin_allowed, client_ip, jsonable
from web.db import session_scope
from web.permissions import TENANT_SCOPED, allowed

log = logging.getLogger("web.live")

PATH = "/api/live"
BLOCKS_PATH = "/api/blocked-addresses/live"
VOICEMAIL_PATH = "/api/me/voicemail/live"
# what the live page shows; not "voicemail", which is for each box's readers alone
LIVE_KINDS = frozenset({"call", "call_ended", "registration", "agent", "blocked", "bridge"})
KEEPALIVE_S = 25.0  # under the usual 30-60 s idle timeouts of proxies between the browser and the app
QUEUE_LIMIT = 1000  # changes waiting for one browser before it is cut off
LINE_LIMIT = 4 * 1024 * 1024
BACKOFF_FIRST, BACKOFF_CAP = 0.5, 30.0
POLICY_VIOLATION, TRY_AGAIN_LATER = 1008, 1013

_OVERFLOW = object()
_RESYNC = object()


class Subscriber:
    """One websocket's queue. tenant_id None: every tenant (the operator's view of blocks); kinds None:
    every kind of its tenant."""

    def __init__(self, tenant_id: Optional[int], sees_blocks: bool, kinds: Optional[frozenset] = None,
                 accepts: Optional[Callable[[Any], bool]] = None):
        self.tenant_id = tenant_id
        self.sees_blocks = sees_blocks
        self.kinds = kinds
        self.accepts = accepts  # of the tenant's messages, the ones for this caller (None: all)
        self.queue: asyncio.Queue = asyncio.Queue(QUEUE_LIMIT + 1)

    def offer(self, item: Any) -> None:
        if self.queue.qsize() >= QUEUE_LIMIT:
            if self.queue.qsize() == QUEUE_LIMIT:
                self.queue.put_nowait(_OVERFLOW)  # the one extra place: the reader learns it fell behind
            return
        self.queue.put_nowait(item)


class FeedClient:
    """One per app: a connection to the bridge's feed while anyone listens, and the fan-out."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.subscribers: dict[Optional[int], set[Subscriber]] = {}
        self.connected = False
        self.connects = 0
        self.lines = 0
        self._task: Optional[asyncio.Task] = None
        self.on_idle = lambda: None  # told when the last subscriber has gone

    # -- subscribers -------------------------------------------------------------------------------------

    def subscribe(self, tenant_id: Optional[int], sees_blocks: bool, kinds: Optional[frozenset] = None,
                  accepts: Optional[Callable[[Any], bool]] = None) -> Subscriber:
        subscriber = Subscriber(tenant_id, sees_blocks, kinds, accepts)
        self.subscribers.setdefault(tenant_id, set()).add(subscriber)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="live-feed")
        return subscriber

    async def unsubscribe(self, subscriber: Subscriber) -> None:
        group = self.subscribers.get(subscriber.tenant_id)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self.subscribers[subscriber.tenant_id]
        if not self.subscribers:
            await self.stop()
            self.on_idle()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self.connected = False

    def _everyone(self):
        for group in self.subscribers.values():
            yield from group

    def dispatch(self, message: dict) -> None:
        kind, tenant_id = message.get("kind"), message.get("tenant_id")
        if not isinstance(kind, str) or isinstance(tenant_id, bool) or not isinstance(tenant_id, (int, type(None))):
            return
        if kind == "bridge":
            candidates = list(self._everyone())
        else:
            # a tenant's own sockets; and, for blocks, the operator's (a block of no tenant: theirs only)
            candidates = list(self.subscribers.get(tenant_id, ())) if tenant_id is not None else []
            if kind == "blocked":
                candidates += self.subscribers.get(None, ())
        outgoing = {"kind": kind, "data": message.get("data")}
        for subscriber in candidates:
            if kind == "blocked" and not subscriber.sees_blocks:
                continue
            if subscriber.kinds is not None and kind not in subscriber.kinds:
                continue
            if kind != "bridge" and subscriber.accepts is not None and not subscriber.accepts(outgoing["data"]):
                continue
            subscriber.offer(outgoing)

    # -- the connection ------------------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = 0.0
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port, limit=LINE_LIMIT)
            except OSError as exc:
                delay = BACKOFF_FIRST if delay == 0 else min(BACKOFF_CAP, delay * 2)
                log.debug("bridge feed at %s:%s not answering (%s); retrying in %.1f s", self.host, self.port, exc, delay)
                await asyncio.sleep(delay)
                continue
            delay = 0.0
            self.connected = True
            self.connects += 1
            if self.connects > 1:  # changes may have been published while we were away
                for subscriber in self._everyone():
                    subscriber.offer(_RESYNC)
            log.info("reading the bridge's live feed at %s:%s", self.host, self.port)
            try:
                while True:
                    line = await reader.readline()
                    if not line:
                        break
                    self.lines += 1
                    try:
                        message = json.loads(line)
                    except ValueError:
                        log.warning("bridge feed: not JSON: %r", line[:200])
                        continue
                    if isinstance(message, dict):
                        self.dispatch(message)
            except (OSError, ValueError, asyncio.IncompleteReadError) as exc:  # ValueError: a line over the limit
                log.warning("bridge feed dropped: %s", exc)
            finally:
                self.connected = False
                writer.close()
                try:  # the socket really closes only once the loop runs again; it may be about to stop
                    await asyncio.wait_for(writer.wait_closed(), 1.0)
                except (asyncio.CancelledError, asyncio.TimeoutError, OSError):
                    pass
            await asyncio.sleep(BACKOFF_FIRST)


def feed_of(app) -> FeedClient:
    """The feed client of the running event loop. uvicorn runs one loop per process, so one client per
    app; a test client runs a loop per connection, and asyncio queues must not cross loops."""
    clients = app.state.__dict__.setdefault("live_feeds", {})
    loop = asyncio.get_running_loop()
    client = clients.get(loop)
    if client is None:
        settings = app.state.settings
        if settings.live_notify:  # every bridge's changes, through PostgreSQL (web/live_notify.py)
            from web.live_notify import NotifyClient

            client = clients[loop] = NotifyClient(settings.database_url, lambda: _switches(app))
        else:
            client = clients[loop] = FeedClient(settings.bridge_feed_host, settings.bridge_feed_port)
        client.on_idle = lambda: clients.pop(loop, None)
    return client


def _switches(app) -> dict:
    """Each switch's bridge health (blocking: run in a worker thread)."""
    from web.models.bridge_status import switch_health

    with session_scope(app.state.engine) as db:
        return switch_health(db)


@asynccontextmanager
async def lifespan(app):
    """Nothing to start (a feed client starts with the first websocket); stop this loop's at shutdown."""
    yield
    client = app.state.__dict__.get("live_feeds", {}).get(asyncio.get_running_loop())
    if client is not None:
        await client.stop()


# --- who is asking ------------------------------------------------------------------------------------


def _check(websocket: WebSocket, permission: str, audience=None) -> tuple[Optional[int], bool, str, Any]:
    """(tenant id, sees blocks, language, which messages are for the caller) of an allowed caller; raises
    Problem otherwise. Blocking: a database read, run in a worker thread."""
    from web.auth.sessions import authenticate

    settings = websocket.app.state.settings
    lang = i18n.negotiate(websocket.headers.get("accept-language"))
    with session_scope(websocket.app.state.engine) as db:
        ctx = RequestContext(websocket, db, settings, lang, client_ip(websocket, settings))  # type: ignore[arg-type]
        authenticate(ctx)
        if ctx.account is None:
            raise Problem(401, "unauthenticated")
        if ctx.login_session is not None and ctx.login_session.stage != "full":
            raise Problem(403, "forbidden")
        if not allowed(ctx.role, permission) or (permission in TENANT_SCOPED and ctx.tenant_id is None):
            raise Problem(403, "forbidden")
        accepts = audience(db, ctx) if audience is not None else None
        return ctx.tenant_id, allowed(ctx.role, "blocking.manage"), i18n.negotiate(None, ctx.account.language), accepts


def live_snapshot(db, tenant_id: int) -> Any:
    from web.api.live_state import snapshot

    return snapshot(db, tenant_id)


def voicemail_snapshot(db, tenant_id: Optional[int]) -> Any:
    return {}  # the page reads its boxes through the API (who may read which is checked there)


def voicemail_audience(db, ctx) -> Callable[[Any], bool]:
    """The caller's readable boxes: the changes of those only."""
    from web.domain.voicemail_messages import readable_box_ids

    boxes = readable_box_ids(db, ctx.tenant_id, ctx.account.id, ctx.role)
    return lambda data: isinstance(data, dict) and data.get("box_id") in boxes


def blocks_snapshot(db, tenant_id: Optional[int]) -> Any:
    from web.api.blocked_addresses import visible_blocks

    return visible_blocks(db, tenant_id)


async def _refuse(websocket: WebSocket, problem: Problem, lang: str) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(problem_response(problem, lang))  # 401/403 as for any API route
    else:  # a server without the denial extension: the handshake fails with 403 either way
        await websocket.close(POLICY_VIOLATION)


# --- the socket ---------------------------------------------------------------------------------------


class LiveRoute(WebSocketRoute):
    """A live socket: `permission` decides who may open it (the route walks read it too), `snapshot(db,
    tenant_id)` is its first message, `kinds` the feed's kinds it passes on (None: all of the tenant),
    `audience(db, ctx)` which of those are for this caller (a predicate on the message's data; None: all)."""

    def __init__(self, path: str, permission: str, snapshot, kinds: Optional[frozenset] = None, audience=None):
        self.permission = permission
        self.snapshot = snapshot
        self.kinds = kinds
        self.audience = audience
        super().__init__(path, self.serve, name=path.strip("/").replace("/", "_"))

    def _snapshot(self, websocket: WebSocket, tenant_id: Optional[int]) -> dict:
        with session_scope(websocket.app.state.engine) as db:
            return {"kind": "snapshot", "data": jsonable(self.snapshot(db, tenant_id))}

    async def serve(self, websocket: WebSocket) -> None:
        settings = websocket.app.state.settings
        lang = i18n.negotiate(websocket.headers.get("accept-language"))
        if not _origin_allowed(websocket, settings):  # type: ignore[arg-type]
            await _refuse(websocket, Problem(403, "cross_origin"), lang)
            return
        try:
            tenant_id, sees_blocks, lang, accepts = await run_in_threadpool(_check, websocket, self.permission, self.audience)
        except Problem as problem:
            await _refuse(websocket, problem, lang)
            return
        await websocket.accept()
        feed = feed_of(websocket.app)
        subscriber = feed.subscribe(tenant_id, sees_blocks, self.kinds, accepts)
        receiver = asyncio.ensure_future(_receive(websocket))
        try:
            await websocket.send_text(json.dumps(await run_in_threadpool(self._snapshot, websocket, tenant_id)))
            while not receiver.done():
                getter = asyncio.ensure_future(subscriber.queue.get())
                done, _ = await asyncio.wait({getter, receiver}, timeout=KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    if receiver in done:
                        break
                    # quiet for a while: is the session still good? then a ping keeps proxies from closing us
                    try:
                        still = await run_in_threadpool(_check, websocket, self.permission, self.audience)
                    except Problem:
                        still = None
                    if still is None or still[0] != tenant_id:
                        await websocket.close(POLICY_VIOLATION, "session ended")
                        return
                    subscriber.sees_blocks = still[1]
                    subscriber.accepts = still[3]  # a box granted or taken away since
                    await websocket.send_text(json.dumps({"kind": "ping"}))
                    continue
                item = getter.result()
                if item is _OVERFLOW:
                    await websocket.close(TRY_AGAIN_LATER, "too far behind; reload")
                    return
                if item is _RESYNC:
                    item = await run_in_threadpool(self._snapshot, websocket, tenant_id)
                await websocket.send_text(json.dumps(item, default=str))
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the browser went away mid-send
        finally:
            receiver.cancel()
            await feed.unsubscribe(subscriber)
            if websocket.application_state == WebSocketState.CONNECTED and websocket.client_state == WebSocketState.CONNECTED:
                try:
                    await websocket.close()
                except (RuntimeError, OSError):
                    pass


async def _receive(websocket: WebSocket) -> None:
    """Reads what the browser sends (only "ping"); returns when it closes."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "ping":
                await websocket.send_text('{"kind": "pong"}')
    except (WebSocketDisconnect, RuntimeError, OSError):
        return


def routes() -> list:
    return [
        # the tenant's live view: calls, registrations, agents (and blocks, for roles that may see them)
        LiveRoute(PATH, "live.read", live_snapshot, kinds=LIVE_KINDS),
        # blocked addresses as they happen: the tenant admin's, or every tenant's for the operator
        LiveRoute(BLOCKS_PATH, "blocking.manage", blocks_snapshot, kinds=frozenset({"blocked", "bridge"})),
        # the caller's voicemail boxes changing (a message left, heard, deleted: fs_bridge/voicemail.py)
        LiveRoute(VOICEMAIL_PATH, "phone.self", voicemail_snapshot, kinds=frozenset({"voicemail", "bridge"}),
                  audience=voicemail_audience),
    ]
