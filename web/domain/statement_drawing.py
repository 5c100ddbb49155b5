"""Drawing statements' PDFs in a child process (#17 item 6), for the bridge's monthly job and for the admin's
"Make statement" in a web process: neither's event loop waits for the drawing.

fpdf2 is pure Python: drawing one PDF is CPU work (0.3 s for a small company, 1.5 s and more for a large
one; bench/statements.py). In the bridge's process it would hold gevent's loop, and with it every
FreeSWITCH event, for that long; in a web process (the request runs in a thread of Starlette's pool) it
would hold the GIL against the asyncio loop and every other request of that worker. A thread does not help:
the GIL still lets only one of them run Python at a time. So the PDF is drawn in a child process and the
caller waits for its answer on a pipe, which holds no GIL: the bridge's greenlet through gevent.subprocess
(fs_bridge/statement_drawing.py, cooperative), the web request's thread through subprocess (blocking that
thread only).

Why a child speaking pickles over its stdin/stdout, not multiprocessing or concurrent.futures'
ProcessPoolExecutor: the bridge is monkey-patched (greenswitch needs it), and those two run helper threads,
queues and locks that monkey-patching turns into greenlets, a combination gevent documents as unsupported;
one protocol serves both callers. The child gets plain data (statement_pdf.StatementData: the figures
already gathered, no ORM objects, no database) and sends back bytes.

A `Drawer` (a context manager) starts its child at the first drawing and stops it at close: the bridge uses
one per check round, not one per statement (starting Python and importing fpdf2 costs about as much as
drawing a small statement), the web one per request (an admin's click; a child kept between requests would
need a lock across the pool's threads for a rare button). A child that dies or answers nonsense is stopped;
the statement it was drawing is not stored (its transaction rolls back) and the next try starts a new one.

The child's side is `main()` below (`python -m web.domain.statement_drawing`); it imports neither gevent
nor the database."""

from __future__ import annotations

import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
HEADER = struct.Struct(">cI")  # a frame: its kind (OK, FAILED, or DRAW for a request) and its length
DRAW, OK, FAILED = b"D", b"K", b"F"
STOP_SECONDS = 5.0


class DrawingFailed(RuntimeError):
    """The child could not draw the statement (its error's text), or died."""


def _send(stream: BinaryIO, kind: bytes, payload: bytes) -> None:
    stream.write(HEADER.pack(kind, len(payload)) + payload)
    stream.flush()


def _read(stream: BinaryIO, size: int) -> Optional[bytes]:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None  # the other side has gone
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(stream: BinaryIO) -> Optional[tuple[bytes, bytes]]:
    head = _read(stream, HEADER.size)
    if head is None:
        return None
    kind, size = HEADER.unpack(head)
    payload = _read(stream, size)
    return None if payload is None else (kind, payload)


# --- the parent's side ------------------------------------------------------------------------------------


class Drawer:
    """`draw(data) -> bytes` in a child process, started at the first drawing and stopped by `close()`.
    `popen`: subprocess.Popen, or gevent.subprocess.Popen in the bridge (its pipes wait cooperatively)."""

    def __init__(self, popen: Callable = subprocess.Popen):
        self._popen = popen
        self._child = None

    def draw(self, data) -> bytes:
        child = self._start()
        try:
            _send(child.stdin, DRAW, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
            answer = _receive(child.stdout)
        except Exception:
            self.close()
            raise
        if answer is None:
            self.close()
            raise DrawingFailed("the statement drawing process died")
        kind, payload = answer
        if kind != OK:
            raise DrawingFailed(payload.decode("utf-8", "replace"))
        return payload

    def _start(self):
        if self._child is None or self._child.poll() is not None:
            self.close()
            self._child = self._popen(
                [sys.executable, "-m", "web.domain.statement_drawing"], cwd=str(ROOT),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # stderr: the parent's log
        return self._child

    @property
    def pid(self) -> Optional[int]:
        """The child's process id while it runs (tests: the drawing was not done here)."""
        return self._child.pid if self._child is not None else None

    def close(self) -> None:
        """Stop the child: end of its input, then a kill if it does not leave within a few seconds."""
        child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stdin.close()
        except Exception:
            pass
        try:
            child.wait(timeout=STOP_SECONDS)
        except Exception:  # subprocess.TimeoutExpired, or gevent's Timeout
            child.kill()
            child.wait()
        child.stdout.close()

    def __enter__(self) -> "Drawer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- the child's side -------------------------------------------------------------------------------------


def main() -> None:
    """Draw each statement read from stdin, answer each on stdout, until stdin ends."""
    import traceback

    from web.domain import statement_pdf

    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not land inside the answers
    while True:
        request = _receive(requests)
        if request is None:
            return
        try:
            pdf = statement_pdf.render(pickle.loads(request[1]))  # from our parent only: its own pipe
        except Exception:
            _send(answers, FAILED, traceback.format_exc().encode())
        else:
            _send(answers, OK, pdf)


if __name__ == "__main__":
    main()
