"""The loopback channel from the bridge to the web app: a TCP server (127.0.0.1 by default) that sends
every connected web-app process one JSON object per line:

    {"tenant_id": 7, "kind": "call", "data": {...}}

The web app (web/live.py) fans these out to the tenant's authenticated websockets. The database is the
truth (a page loads a snapshot from it); the feed only says what changed since. A slow reader is dropped
rather than allowed to hold the bridge up."""

from __future__ import annotations

import json
import logging

import gevent
from gevent.queue import Full, Queue
from gevent.server import StreamServer

log = logging.getLogger("fs_bridge.live")
QUEUE_LIMIT = 10_000


class LiveFeed:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._clients: set[Queue] = set()
        self._server = StreamServer((host, port), self._serve)
        self.published = 0

    def start(self) -> None:
        self._server.start()
        log.info("live feed for the web app on %s:%s", *self._server.address[:2])

    @property
    def port(self) -> int:
        return self._server.address[1]

    def stop(self) -> None:
        for queue in list(self._clients):  # readers are told to go, then the server closes
            queue.put_nowait(None) if not queue.full() else None
        self._clients.clear()
        self._server.stop(timeout=1)

    def publish(self, tenant_id, kind: str, data: dict) -> None:
        self.published += 1
        if not self._clients:  # nobody reads (on PostgreSQL the web processes LISTEN): no line to make
            return
        line = (json.dumps({"tenant_id": tenant_id, "kind": kind, "data": data}, default=str) + "\n").encode()
        for queue in list(self._clients):
            try:
                queue.put_nowait(line)
            except Full:  # this reader fell far behind: cut it off; it reconnects and reloads
                self._clients.discard(queue)
                queue.queue.clear()
                queue.put_nowait(None)

    def _serve(self, sock, address) -> None:
        queue: Queue = Queue(QUEUE_LIMIT)
        self._clients.add(queue)
        reader = gevent.spawn(self._drain, sock)  # notices the web app going away
        reader.link(lambda _: queue.put_nowait(None) if not queue.full() else None)  # and wakes the writer
        try:
            while True:
                line = queue.get()
                if line is None or reader.dead:
                    return
                sock.sendall(line)
        except OSError:
            return
        finally:
            self._clients.discard(queue)
            reader.kill()
            sock.close()

    @staticmethod
    def _drain(sock) -> None:
        try:
            while sock.recv(1024):
                pass
        except OSError:
            pass
