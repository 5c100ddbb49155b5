"""Per-process caches of what FreeSWITCH fetches, and the one cheap query each fetch makes.

Every change to a tenant's configuration bumps `tenant.config_generation` in the same transaction
(web.domain.audit; call traffic such as ring-group rotation, registrations and agents' status does not),
so a fetch asks the database for the tenant's current generation (one indexed row; on SQLite only when
anything was committed since it last asked, `_Readers`) and serves the document built for that
generation if it has one; otherwise it builds it once. Nothing has to tell the
other processes: they see the new generation on their next fetch. A document that depends on the time
(schedules, night mode) also carries `valid_until` and is rebuilt after it.

Builds run once per key at a time (a per-key lock): a burst of fetches right after a publish waits for
one compile instead of running twenty."""

from __future__ import annotations

import gc
import itertools
import queue
import threading
import time
import weakref
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Hashable, Optional

from sqlalchemy import event

from web import clock


class Miss(Exception):
    """A value must be built, and this thread may not build (the event loop: see no_build())."""


_local = threading.local()


@contextmanager
def no_build():
    """Within it, a cache miss raises Miss instead of building: the endpoint tries the cheap path on
    the event loop and sends only real work (compiling) to a worker thread."""
    _local.no_build = True
    try:
        yield
    finally:
        _local.no_build = False


_gc_lock = threading.Lock()
# pauses: builds under way; resume: the collector was on before the first of them; held: it is still off
# after them, until the housekeeping thread has collected and frozen what they kept (settle)
_gc_state = {"pauses": 0, "resume": False, "held": False}


@contextmanager
def paused_gc():
    """Python's cycle collector off while a document is built. A build makes tens of thousands of small
    objects, most of them kept (the cache), so the collector runs over and over during it and, with a
    company's objects kept in the process, goes through all of them: measured, it doubled a 1,000-user
    company's build (bench/compile.py). What a build makes holds no cycles worth waiting for; the
    collector runs again once no build is under way. Several threads may build at once: it is switched
    back on when the last one is done, and only if it was on; with FREEZE_BUILT, only after the
    collection and freeze that follow the answer (settle)."""
    with _gc_lock:
        _gc_state["pauses"] += 1
        if _gc_state["pauses"] == 1 and not _gc_state["held"]:
            _gc_state["resume"] = gc.isenabled()
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["pauses"] -= 1
            if _gc_state["pauses"] == 0:
                if FREEZE_BUILT:
                    _gc_state["held"] = True
                    _freeze_soon()
                elif _gc_state["resume"]:
                    gc.enable()


# Whether what a build kept is moved out of the collector's view (_freeze). On in every served process;
# tests/conftest.py turns it off so that a test session (thousands of engines and apps, each built and
# let go) does not pin what happens to be alive when a build ends; tests of the freeze turn it back on.
FREEZE_BUILT = True


def _freeze() -> None:
    """What a build kept lives as long as the cache entry, and a process holding every company's
    documents holds millions of objects the collector would otherwise go through in every full collection
    (bench/tenants.py: 2.1 million with 1,000 companies, 1.5 s per collection, no request answered
    meanwhile). gc.freeze() moves every object tracked now into the permanent generation, which
    collections skip; frozen objects are still freed by reference counting when an entry is replaced
    (documents hold no cycles). First a full collection, as cyclic garbage that is frozen is never freed
    (bench/tenants.py counts what an unfrozen collection still finds: none). It is cheap: frozen objects
    are not gone through, only what was made since the last build. Run when no build is under way, so no
    half-made document's garbage is frozen."""
    gc.collect()
    gc.freeze()


# The collection and freeze run just after the answer, not on its path: they are the process's
# housekeeping, not the document, and they took 13-20 ms of a 200-plan company's ~115 ms cold build
# (bench/compile.py prints both). A thread of their own does them FREEZE_AFTER_S after the last build
# ended, under the lock builds take to pause the collector, so no build is under way meanwhile (one that
# starts then waits those milliseconds, as it waited for an inline freeze before). The collector stays
# off until then: switched on at once, it would go through everything the build made at the next
# allocation, on the answer's path again.
FREEZE_AFTER_S = 0.02  # long enough for the worker thread to hand the answer to the event loop
_freeze_due = threading.Event()
_housekeeper: list[threading.Thread] = []


def _freeze_soon() -> None:
    """Called with _gc_lock held, when the last build ends."""
    _freeze_due.set()
    if not _housekeeper or not _housekeeper[0].is_alive():  # none yet, or this is a forked worker
        thread = threading.Thread(target=_housekeep, name="xml-cache-freeze", daemon=True)
        _housekeeper[:] = [thread]
        thread.start()


def _housekeep() -> None:
    while True:
        _freeze_due.wait()
        time.sleep(FREEZE_AFTER_S)
        settle()


def settle() -> bool:
    """Collect and freeze what the builds kept, and switch the collector back on, now, unless a build is
    under way (its end makes it due again). True when it ran. Benches and tests call it to measure it or
    to see its outcome."""
    with _gc_lock:
        if not _gc_state["held"]:
            _freeze_due.clear()
            return False
        if _gc_state["pauses"]:
            return False
        _freeze_due.clear()
        _gc_state["held"] = False
        _freeze()
        if _gc_state["resume"]:
            gc.enable()
        return True


class Cached:
    __slots__ = ("generation", "value", "valid_until", "size", "used")

    def __init__(self, generation, value, valid_until: Optional[datetime], size: int = 0, used: int = 0):
        self.generation, self.value, self.valid_until = generation, value, valid_until
        self.size, self.used = size, used  # size_of(value); when it was last asked for (Budget's clock)

    def fresh(self, generation, now: datetime) -> bool:
        return self.generation == generation and (self.valid_until is None or now < self.valid_until)


def size_of(value) -> int:
    """About how many bytes a cached value holds: its own `cached_size` (a dialplan's or directory's text and
    index, web.xml_curl.dialplan / directory), else a text's length."""
    size = getattr(value, "cached_size", None)
    if size is not None:
        return size
    return len(value) if isinstance(value, (bytes, str)) else 0


class Budget:
    """At most `limit` bytes (size_of, about) of documents in the caches that share it: past it, the
    entries asked for least recently are let go, down to nine tenths of it (so that a build does not
    evict at every step), and are built again at their next fetch, as in a new process. None: no limit.
    Every web process caches every company FreeSWITCH asks it about (settings.xml_cache_mb)."""

    SLACK = 0.9

    def __init__(self, limit: Optional[int] = None):
        self.limit = limit
        self.held = 0  # bytes of the entries kept
        self.evicted = 0  # entries let go to stay within the limit (benches, tests)
        self.clock = itertools.count(1)  # next() is atomic: a hit stamps its entry without a lock
        self._lock = threading.Lock()
        self._caches: list["GenerationCache"] = []

    def put(self, cache: "GenerationCache", key: Hashable, entry: Cached) -> None:
        with self._lock:
            old = cache._entries.get(key)
            cache._entries[key] = entry
            self.held += entry.size - (old.size if old is not None else 0)
            if self.limit is not None and self.held > self.limit:
                self._evict(entry)

    def _evict(self, keep: Cached) -> None:
        oldest = sorted(((entry.used, index, key) for index, cache in enumerate(self._caches)
                         for key, entry in list(cache._entries.items()) if entry is not keep), key=lambda item: item[0])
        for _, index, key in oldest:
            if self.held <= self.limit * self.SLACK:
                break
            entry = self._caches[index]._entries.pop(key, None)
            if entry is not None:
                self.held -= entry.size
                self.evicted += 1

    def forget(self, cache: "GenerationCache") -> None:
        with self._lock:
            self.held -= sum(entry.size for entry in cache._entries.values())
            cache._entries.clear()


class GenerationCache:
    """key (a tenant id) -> the value built for one generation; only the latest is kept, and only while
    its budget (shared with other caches) has room for it."""

    def __init__(self, name: str, budget: Optional[Budget] = None):
        self.name = name
        self.builds = 0  # how many times a value was built (tests tell a hit from a rebuild)
        self._entries: dict[Hashable, Cached] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()
        self.budget = budget or Budget()
        self.budget._caches.append(self)

    def peek(self, key: Hashable, generation, now: Optional[datetime] = None):
        """The cached value if it is still good, else None; never builds (the event loop's fast path)."""
        entry = self._entries.get(key)
        if entry is not None and entry.fresh(generation, now or clock.now()):
            entry.used = next(self.budget.clock)
            return entry.value
        return None

    def get(self, key: Hashable, generation, build: Callable[[], tuple[Any, Optional[datetime]]]):
        """The value for (key, generation), built by `build() -> (value, valid_until)` when missing or
        stale. `build` must read the database after the generation was read, so a value is never older
        than the generation it is stored under."""
        value = self.peek(key, generation)
        if value is not None:
            return value
        if getattr(_local, "no_build", False):
            raise Miss(self.name)
        with self._lock_for(key):
            value = self.peek(key, generation)  # built by another thread while this one waited
            if value is not None:
                return value
            with paused_gc():
                value, valid_until = build()
            self.budget.put(self, key, Cached(generation, value, valid_until, size_of(value), next(self.budget.clock)))
            self.builds += 1
            return value

    def _lock_for(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def clear(self) -> None:
        self.budget.forget(self)


class Caches:
    """The documents built from one database. Kept per engine (one per process in production), so two
    apps in one process, such as tests on fresh databases whose ids and generations repeat, never share
    an entry. The dialplans and directories share one budget (limit(): settings.xml_cache_mb)."""

    def __init__(self):
        self.documents = Budget()
        self.dialplans = GenerationCache("dialplan", self.documents)
        self.directories = GenerationCache("directory", self.documents)
        self.callcenter = GenerationCache("callcenter")
        # compiled plan versions (web.xml_curl.dialplan.compiled): a publish recompiles one plan
        self.plans: dict = {}

    def limit(self, megabytes: int) -> None:
        """At most this many MB of dialplans and directories (about); 0: no limit."""
        self.documents.limit = megabytes * 2**20 if megabytes > 0 else None

    def clear(self) -> None:
        for cache in (self.dialplans, self.directories, self.callcenter):
            cache.clear()
        self.plans.clear()


_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def of(engine) -> Caches:
    caches = _caches.get(engine)
    if caches is None:
        with _caches_lock:
            caches = _caches.setdefault(engine, Caches())
    return caches


def invalidate() -> None:
    """Forget everything this process built (tests; the generation makes it unnecessary otherwise),
    the snapshot's checked rows included: a start as a new process makes."""
    from web.domain.callplan_snapshot import forget_rows

    for caches in list(_caches.values()):
        caches.clear()
    forget_rows()
    gc.unfreeze()  # nothing cached is left to keep out of the collector's view


def earliest(*moments: Optional[datetime]) -> Optional[datetime]:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


# --- the cheap queries ------------------------------------------------------------------------------
# Plain DBAPI, not SQLAlchemy statements: building and compiling even a cached Core select costs a fetch
# ~150 µs, the query itself ~20 µs on SQLite (bench/xml_curl.py). Names below are the tables' own.
#
# Made on the event loop (no_build()), they use connections of their own in autocommit: on PostgreSQL
# a pooled connection costs three round trips per query (the pool's ping, the query, the rollback when
# it goes back), ~250 µs; an autocommit one a single round trip, ~60 µs. Lookups made by a worker
# thread (while building) use the engine's pool like everything else.

_TENANT_BY_DOMAIN = "SELECT id, config_generation FROM tenant WHERE sip_domain = ?"
_TENANT_BY_DOMAIN_PG = _TENANT_BY_DOMAIN.replace("?", "%s")
_TENANT_BY_NUMBER = ("SELECT tenant.id, tenant.sip_domain, company_settings.music_on_hold_audio_id FROM phone_number"
                     " JOIN tenant ON tenant.id = phone_number.tenant_id"
                     " LEFT JOIN company_settings ON company_settings.tenant_id = tenant.id"
                     " WHERE phone_number.number = ?")
_ALL_TENANTS = "SELECT id, config_generation FROM tenant ORDER BY id"
_RING_GROUP_STATES = ("SELECT ring_group_id, last_answered_index, last_call_at FROM ring_group_state"
                      " WHERE tenant_id = ?")
_HOT_DESK_LOGINS = "SELECT device_id, user_id FROM hot_desk_login WHERE tenant_id = ?"


_DATA_VERSION = "PRAGMA data_version"
_DOMAINS_KEPT = 10_000


class _Reader:
    """One autocommit connection, its cursor, and (SQLite) what it last read of each domain's tenant,
    with the database's data_version it was read at."""

    __slots__ = ("connection", "cursor", "version", "domains")

    def __init__(self, connection, cursor):
        self.connection, self.cursor = connection, cursor
        self.version, self.domains = None, {}


class _Readers:
    """Autocommit connections of one engine, taken out of its pool, for the event loop's lookups (one
    in use per event loop at a time: a lookup never awaits). Closed with the engine.

    On SQLite a tenant looked up by domain is kept with the connection until anything is committed to
    the database by any connection of any process (`PRAGMA data_version` moves: SQLite's own check, a
    few µs, cheaper than the query and its rows): a fetch then asks the version only. A write of any
    kind (a call record, a registration) makes the next fetch ask again, so what it answers is always
    what the query would have found; only a database nobody writes to saves the query."""

    def __init__(self, engine):
        self._engine = weakref.ref(engine)
        self.sqlite = engine.dialect.name == "sqlite"
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._open: "weakref.WeakSet" = weakref.WeakSet()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def _connect(self):
        engine = self._engine()
        connection = engine.raw_connection()
        connection.detach()  # ours now: closing it closes it, it never goes back to the pool
        raw = connection.dbapi_connection
        if engine.dialect.name == "sqlite":
            raw.isolation_level = None
        else:
            raw.rollback()  # the pool's ping may have opened a transaction
            raw.autocommit = True
        self._open.add(connection)
        # the cursor kept: a new cursor per query costs more than the query on SQLite
        return _Reader(connection, raw.cursor())

    def rows(self, sql: str, params: tuple) -> list[tuple]:
        return self._with(lambda reader: _fetch(reader.cursor, sql, params))

    def tenant(self, sql: str, domain: str) -> list[tuple]:
        """The rows of the tenant-by-domain query `sql` for `domain` (see the class)."""
        return self._with(lambda reader: self._tenant(reader, sql, domain))

    def _tenant(self, reader: _Reader, sql: str, domain: str) -> list[tuple]:
        if not self.sqlite:
            return _fetch(reader.cursor, sql, (domain,))
        reader.cursor.execute(_DATA_VERSION)
        version = reader.cursor.fetchone()[0]
        domains = reader.domains
        if version != reader.version or len(domains) >= _DOMAINS_KEPT:
            domains.clear()
            reader.version = version  # read before the query: a commit after it moves the version
        rows = domains.get(domain)
        if rows is None:
            rows = domains[domain] = _fetch(reader.cursor, sql, (domain,))
        return rows

    def _with(self, use: Callable):
        try:
            reader, fresh = self._idle.get_nowait(), False
        except queue.Empty:
            reader, fresh = self._connect(), True
        try:
            result = use(reader)
        except Exception:
            reader.connection.close()
            if fresh:
                raise
            # an idle connection the database dropped (a restart): once more on a new one
            return self._with(use)
        self._idle.put(reader)
        return result

    def close(self) -> None:
        for connection in list(self._open):
            try:
                connection.close()
            except Exception:
                pass
        self._open = weakref.WeakSet()
        self._idle = queue.SimpleQueue()


_readers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def _fetch(cursor, sql: str, params: tuple) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _execute(connection, sql: str, params: tuple) -> list[tuple]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _readers_of(engine) -> _Readers:
    readers = _readers.get(engine)
    if readers is None:
        with _readers_lock:
            readers = _readers.setdefault(engine, _Readers(engine))
    return readers


def _rows(engine, sql: str, params: tuple = ()) -> list[tuple]:
    if engine.dialect.paramstyle != "qmark":  # psycopg: %s
        sql = sql.replace("?", "%s")
    if getattr(_local, "no_build", False):
        return _readers_of(engine).rows(sql, params)
    connection = engine.raw_connection()
    try:
        return _execute(connection, sql, params)
    finally:
        connection.close()  # back to the pool, which ends the read transaction


def tenant_by_domain(engine, domain: str) -> Optional[tuple[int, int]]:
    """(tenant id, generation) of the tenant whose SIP domain (= dialplan context) this is."""
    if not domain:
        return None
    if getattr(_local, "no_build", False):  # the event loop: kept per connection on SQLite (_Readers)
        readers = _readers_of(engine)
        rows = readers.tenant(_TENANT_BY_DOMAIN if readers.sqlite else _TENANT_BY_DOMAIN_PG, domain)
    else:
        rows = _rows(engine, _TENANT_BY_DOMAIN, (domain,))
    return (rows[0][0], rows[0][1]) if rows else None


def tenant_by_number(engine, number: str) -> Optional[tuple[int, str, Optional[int]]]:
    """(tenant id, SIP domain, its music on hold's audio id) of the tenant owning a public number (E.164)."""
    rows = _rows(engine, _TENANT_BY_NUMBER, (number,))
    return (rows[0][0], rows[0][1], rows[0][2]) if rows else None


def all_generations(engine) -> tuple[tuple[int, int], ...]:
    """Every tenant's (id, generation): the key of documents made for all tenants (callcenter.conf)."""
    return tuple((row[0], row[1]) for row in _rows(engine, _ALL_TENANTS))


def ring_group_states(engine, tenant_id: int) -> list[tuple]:
    """(ring group id, last answered index, last_call_at as stored: JSON text or already decoded) of
    every group of the tenant that has a state: call traffic, read per fetch, never cached."""
    return _rows(engine, _RING_GROUP_STATES, (tenant_id,))


def hot_desk_logins(engine, tenant_id: int) -> dict[int, int]:
    """device id -> user id of who is logged in on the tenant's hot-desking phones: call traffic, read per
    fetch of a name it changes (web.xml_curl.directory.Directory), never cached."""
    return {device_id: user_id for device_id, user_id in _rows(engine, _HOT_DESK_LOGINS, (tenant_id,))}
