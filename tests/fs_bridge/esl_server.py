"""A small ESL server speaking FreeSWITCH's inbound event-socket protocol, for tests.

It asks for auth like FreeSWITCH does (`Content-Type: auth/request`), checks the password, answers
`event plain ...` and `api ...` commands with command/reply and api/response frames, can push event
texts (such as those in ../shared/fixtures/) as `text/event-plain`, and can drop every connection."""

from __future__ import annotations

import socket
import threading
import time


class EslServer:
    def __init__(self, password: str = "ClueCon", api_answers: dict[str, str] | None = None, port: int = 0):
        self.password = password
        self.api_answers = api_answers or {}
        self.commands: list[str] = []
        self.auths = 0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self._running:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket):
        file = conn.makefile("rb")
        try:
            conn.sendall(b"Content-Type: auth/request\n\n")
            while True:
                lines = []
                while True:
                    line = file.readline()
                    if not line:
                        return
                    line = line.decode().rstrip("\n")
                    if line == "":
                        break
                    lines.append(line)
                if not lines:
                    continue
                command = lines[0]
                with self._lock:
                    self.commands.append(command)
                conn.sendall(self._answer(command))
        except OSError:
            return

    def _answer(self, command: str) -> bytes:
        if command.startswith("auth "):
            if command[5:] == self.password:
                with self._lock:
                    self.auths += 1
                return b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
            return b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n"
        if command.startswith("event "):
            return b"Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n"
        if command.startswith("api "):
            body = self.api_answers.get(command[4:], "-ERR no such command\n").encode()
            return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body
        return b"Content-Type: command/reply\nReply-Text: +OK\n\n"

    def push_event(self, event_plain: str) -> None:
        """Send one `event plain` text (headers as FreeSWITCH writes them) to every client."""
        body = event_plain.rstrip("\n").encode() + b"\n\n"
        frame = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body
        with self._lock:
            for conn in list(self._clients):
                try:
                    conn.sendall(frame)
                except OSError:
                    pass

    def drop_clients(self) -> None:
        with self._lock:
            for conn in self._clients:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._clients.clear()

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._running = False
        try:
            # wakes the accepting thread: a listener only closed goes on taking connections meanwhile
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self.drop_clients()
