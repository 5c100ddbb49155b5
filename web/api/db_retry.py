"""Running an API handler again when PostgreSQL aborted its transaction for a reason that is gone on the
next try: a deadlock (SQLSTATE 40P01) or a serialization failure (40001). PostgreSQL's own advice for
both is to retry the transaction; without it the caller got 500 for a race it had no part in (one such
deadlock, a phone deleted while the bridge unregistered it, was fixed at its cause in 01f5a3e; this is
the net for the ones nobody has found yet).

What is retried: the whole handler, from authentication to commit, in a fresh session and transaction
(web/api/routing.py), at most RETRIES more times after short jittered waits, so two requests that
deadlocked each other do not meet again in step.

What is not: a run that already did something outside the database (web/side_effects.py: mail sent,
FreeSWITCH told, a file written, a multipart body read, part of its work committed by the handler
itself). The choice is made per run, not per route: a handler is safe to run again until the moment
it first reaches outside, and most deadlocks happen at a flush, before any of that. A run that cannot
be retried, or that still fails after the last retry, answers 503 `database_busy` with Retry-After (the
database has rolled it back: nothing of it was kept, and the caller may simply send it again), never
500. Every retry and every refusal is logged as a warning naming the route.

Only the two SQLSTATEs above are retried, nothing else: a unique violation is an answer (409), a lost
connection or a timeout is not made better by waiting 50 ms. SQLite never raises them: its writers take
the database's one write lock in turn (web/db.py waits up to 30 s for it), so two of them cannot
deadlock on rows and no transaction is aborted for serialization; there this code never runs.
"""

from __future__ import annotations

import random

from sqlalchemy.exc import DBAPIError

RETRIES = 3  # runs after the first; a deadlock costs PostgreSQL's deadlock_timeout (1 s) to notice
BACKOFF_S = 0.05  # first wait, doubled each time, each drawn from 50% to 150% of it
RETRY_AFTER_S = 2  # what a caller is told to wait after the last try failed

TRANSIENT = {"40P01": "deadlock", "40001": "serialization failure"}


def transient_sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a deadlock or serialization failure behind `exc` (psycopg's DeadlockDetected or
    SerializationFailure, wrapped by SQLAlchemy in OperationalError), else None. The chain of causes is
    followed: a handler that went on after one gets a PendingRollbackError whose context is the abort."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DBAPIError):
            orig = exc.orig
            state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3, psycopg2
            if state in TRANSIENT:
                return state
        exc = exc.__cause__ or exc.__context__
    return None


def backoff(retry: int) -> float:
    """Seconds to wait before the `retry`-th run again (1, 2, ...): 50 ms, 100 ms, 200 ms, jittered."""
    return BACKOFF_S * 2 ** (retry - 1) * random.uniform(0.5, 1.5)
