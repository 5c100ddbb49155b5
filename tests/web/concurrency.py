"""Real parallel requests against a running server: the app under test served by uvicorn (in a thread
of the test process, on the test's own database, SQLite or PostgreSQL), and many clients released at
once by a barrier, each on its own connection. The handlers run in the server's thread pool, so the
requests really overlap in the database, which a TestClient's one-at-a-time calls never do."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import httpx
import uvicorn

from tests.conftest import free_port


@contextmanager
def serving(app, port: int | None = None) -> Iterator[str]:
    """The app on a loopback port (a free one unless given) for the length of the block; yields its base URL."""
    port = port or free_port()
    # connections are opened before the race and wait for it: keep them however slow the arranging is
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, timeout_keep_alive=300))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def at_once(clients: list[httpx.Client], send: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """`send(client, n)` on every client at the same moment (each in a thread of its own, released
    together); the answers in the clients' order."""
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def run(n: int) -> None:
        barrier.wait()
        try:
            answers[n] = send(clients[n], n)
        except Exception as exc:  # reported below, with the others' answers
            answers[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    failed = [answer for answer in answers if not isinstance(answer, httpx.Response)]
    assert not failed, failed
    return answers


@contextmanager
def clients(base_url: str, count: int, **options) -> Iterator[list[httpx.Client]]:
    """`count` clients of their own (own cookies, own connections), already connected."""
    made = [httpx.Client(base_url=base_url, timeout=60, **options) for _ in range(count)]
    try:
        for client in made:
            client.get("/api/health")  # open the connection now, not in the race
        yield made
    finally:
        for client in made:
            client.close()
