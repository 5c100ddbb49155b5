"""What a request has done outside its database transaction, so that the API's router knows whether
running a handler again is safe (web/api/routing.py runs a handler again when PostgreSQL aborted its
transaction for a deadlock or a serialization failure, but only while nothing irreversible happened).

Every way the app reaches outside the database calls `happened(what)` just before it acts: mail handed
to the relay, a command or event sent to FreeSWITCH, a file written or removed where FreeSWITCH and the
bridge read, a webhook posted, a request's body stream read (it cannot be read twice). Outside a
watched request (the bridge, the command line, a thread a handler started) it does nothing.

A new way out of the process must call it too: tests/web/test_side_effects.py lists the modules that
use files, sockets, mail, HTTP or processes, and fails for one it does not know.

Temporary files in a work folder that are removed on failure (an upload being converted, speech being
rendered) are no side effect: a second run makes its own. An in-process cache filled or emptied is none
either: it is filled again from the database."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

# The list of what happened in the current watched run; None outside one. A ContextVar, not a global:
# every handler runs in a thread of the pool with its own copy of the context.
_seen: ContextVar[list[str] | None] = ContextVar("side_effects", default=None)


def happened(what: str) -> None:
    """Note that something irreversible outside the database is about to happen ("sent mail")."""
    seen = _seen.get()
    if seen is not None:
        seen.append(what)


@contextmanager
def watch() -> Iterator[list[str]]:
    """Collect what happens inside the block (in this thread and context); yields the list."""
    seen: list[str] = []
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)
