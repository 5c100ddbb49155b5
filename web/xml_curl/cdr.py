"""POST /freeswitch/cdr: where mod_xml_cdr posts every call record (freeswitch/autoload_configs/xml_cdr.conf.xml).

Same door as mod_xml_curl's route (web.xml_curl.endpoint.refusal: its HTTP basic credentials and allowed
source addresses; 401/403 with empty bodies). FreeSWITCH only looks at the status: 2xx means "taken",
anything else makes it retry and finally write the record into its spool folder (collected by the bridge,
web.domain.call_records.collect_spool). So:

- 200 when the record is stored, and also when it was already there (a retry, or the event came first);
- 400 with a reason for a body that is no CDR (retrying cannot help; FreeSWITCH spools it for a person);
- 413 for a body far larger than any call record;
- 503 when the database cannot take it now (FreeSWITCH retries, then spools: nothing is lost).
Never a 500.

Records are stored one at a time per process, in a worker thread of their own: the
dialplan and directory fetches of the calls now being set up are answered on the event loop, and every
runnable thread takes its turn at the interpreter with it. Twenty record writes waiting together for the
database (on SQLite the bridge holds its write lock while it stores a batch of events) would leave the
fetches a twentieth of the process, which is how a busy switch's new calls came to wait half a second
for their dialplan (#20). A record waits instead; FreeSWITCH allows it 10 s, then tries again. The
records waiting when the thread comes to them are stored together, in one transaction (_store_pending).

The wait is bounded: with MAX_WAITING records already waiting in a process, a post is answered 503 at
once. Past its CPU (a switch carrying more calls than the machine has cores for) records came faster than
the thread stored them; the queue grew, every post passed FreeSWITCH's 10 s and was posted again, each
copy parsed and stored in turn (twice the work, when there was least to spare) and the thread, always
busy, held the interpreter the fetches needed: calls' dialplan fetches passed FreeSWITCH's timeout and
took the fallback routing (bench/switch_load.py, 120 calls/s on 2 cores: 238 of 1,200 calls and 1,246
posts timed out). Now a post over the bound costs a few microseconds; FreeSWITCH tries again
(CALLPLAN_CDR_RETRIES, CALLPLAN_CDR_DELAY s apart) and then writes the record to its spool folder, which
the bridge stores (web.domain.call_records.collect_spool): late, never lost. The record the bridge made
from the hang-up event is there meanwhile."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from web.domain.call_records import NotACdr, cdr_text, from_xml, store
from web.db import session_scope
from web.xml_curl.endpoint import read_limited, refusal

log = logging.getLogger("web.xml_curl.cdr")

PATH = "/freeswitch/cdr"
# A record is 15-30 kB; long calls with many transfers and hundreds of variables stay far below this.
MAX_BODY_BYTES = 4_000_000


# The one thread that stores records (a plain executor: usable from any event loop, as tests run several)
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdr-writer")
# Records waiting for it (or being stored) in this process, at most: a few hundred ms of its work, and far
# more than a switch's steady rate leaves waiting (see the module's docstring)
MAX_WAITING = 64
_waiting = 0  # changed on the event loop's thread only
BUSY_LOG_SECONDS = 10.0
_busy_logged = 0.0
_busy_refused = 0


# Posts waiting for the writer: (engine, body, content type, the future their request awaits)
_pending: list[tuple] = []
_pending_lock = threading.Lock()


def _submit(engine, body: bytes, content_type: str) -> Future:
    """Queue one post for the writer; its future says whether the record was created (False: it was
    there, merged), or raises NotACdr, or what storing it raised."""
    future: Future = Future()
    with _pending_lock:
        _pending.append((engine, body, content_type, future))
    _WRITER.submit(_store_pending)
    return future


def _store_pending() -> None:
    """The writer: every post waiting now, stored in one transaction per engine (one commit, and the
    tenant's people and rates looked up once: the `cache` of web.domain.call_records.store), so a
    backlog shrinks faster than it grew. A body that is no CDR is refused alone (NotACdr, before any
    database work); when the shared transaction fails, each record is tried again in one of its own,
    so one bad record costs only itself (503 for it: FreeSWITCH retries, then spools)."""
    with _pending_lock:
        taken = _pending[:]
        _pending.clear()
    by_engine: dict[int, list[tuple]] = {}
    for engine, body, content_type, future in taken:
        if not future.set_running_or_notify_cancel():
            continue
        try:
            facts = from_xml(cdr_text(body, content_type))
        except Exception as exc:  # NotACdr: 400 for this one
            future.set_exception(exc)
            continue
        by_engine.setdefault(id(engine), []).append((engine, facts, future))
    for group in by_engine.values():
        engine = group[0][0]
        try:
            created = []
            with session_scope(engine) as db:
                cache: dict = {}
                for _, facts, _ in group:
                    created.append(store(db, facts, "cdr", cache=cache)[1])
        except Exception:
            if len(group) == 1:
                group[0][2].set_exception(sys.exc_info()[1])
                continue
            for _, facts, future in group:  # one by one: a bad record fails alone
                try:
                    with session_scope(engine) as db:
                        future.set_result(store(db, facts, "cdr")[1])
                except Exception as exc:
                    future.set_exception(exc)
            continue
        for (_, _, future), was_created in zip(group, created):
            future.set_result(was_created)


async def post_cdr(request: Request) -> Response:
    settings = request.app.state.settings
    refused = refusal(request, settings)
    if refused is not None:
        return refused
    global _waiting
    if _waiting >= MAX_WAITING:
        return _busy(request)
    body = await read_limited(request, MAX_BODY_BYTES)
    if body is None:
        return PlainTextResponse("too large for a call record\n", status_code=413)
    _waiting += 1
    try:
        created = await asyncio.wrap_future(_submit(request.app.state.engine, body,
                                                    request.headers.get("content-type", "")))
    except NotACdr as exc:
        log.warning("refused a CDR post (uuid=%s): %s", request.query_params.get("uuid", "?"), exc)
        return PlainTextResponse(f"not a call record: {exc}\n", status_code=400)
    except Exception:
        log.exception("could not store a CDR (uuid=%s); FreeSWITCH will retry", request.query_params.get("uuid", "?"))
        return PlainTextResponse("not stored now, try again later\n", status_code=503, headers={"Retry-After": "5"})
    finally:
        _waiting -= 1
    return PlainTextResponse("stored\n" if created else "already stored\n")


def _busy(request: Request) -> Response:
    """503 for a post while MAX_WAITING records wait: FreeSWITCH retries, then spools it for the bridge.
    Logged once per BUSY_LOG_SECONDS with how many were refused since (one line per post would add to
    what the process cannot keep up with)."""
    global _busy_logged, _busy_refused
    _busy_refused += 1
    now = time.monotonic()
    if now - _busy_logged >= BUSY_LOG_SECONDS:
        log.warning("%d call record post(s) refused (503) with %d waiting to be stored in this process; "
                    "FreeSWITCH retries them, then spools them for the bridge (uuid=%s)", _busy_refused,
                    MAX_WAITING, request.query_params.get("uuid", "?"))
        _busy_logged, _busy_refused = now, 0
    return PlainTextResponse("busy storing call records, try again later\n", status_code=503,
                             headers={"Retry-After": "5"})


class CdrRoute(Route):
    # web.permissions: no portal role holds it; the route checks FreeSWITCH's own credentials
    permission = "freeswitch"

    def __init__(self):
        super().__init__(PATH, post_cdr, methods=["POST"], name="freeswitch_cdr")


def routes() -> list[Route]:
    return [CdrRoute()]
