"""Telling FreeSWITCH: `api` commands over an inbound event-socket connection, from the web app's
threads (the bridge has its own long-lived connection). Used for directory cache flushes, `reloadxml`,
`reloadacl`, agent status and click-to-dial; which switches are told is web/domain/switches.py's."""

from __future__ import annotations

import logging
import re
import socket
import time
from typing import Iterable

from web import side_effects

log = logging.getLogger("web.switch")

FLUSH_ALL_ABOVE = 100  # more names than this: one command that empties FreeSWITCH's whole user cache

_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,64}@[a-z0-9.-]{1,253}")


class EslError(Exception):
    pass


class _Frames:
    """Reads event-socket frames: headers up to a blank line, then Content-Length bytes of body."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline, self.buffer = sock, deadline, b""

    def _fill(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise EslError("timed out")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EslError("connection closed")
        self.buffer += chunk

    def next(self) -> tuple[dict, str]:
        while b"\n\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\n\n", 1)
        headers = dict(line.split(": ", 1) for line in head.decode(errors="replace").split("\n") if ": " in line)
        length = int(headers.get("Content-Length", "0") or 0)
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return headers, body.decode(errors="replace")


def esl_api(host: str, port: int, password: str, commands: Iterable[str], timeout: float = 2.0) -> list[str]:
    """Run `api <command>` for each command on one inbound event-socket connection; their replies.
    Blocking, and bounded: the whole exchange gives up after `timeout` seconds."""
    commands = list(commands)
    for command in commands:
        if "\n" in command or "\r" in command:
            raise EslError("a command cannot span lines")  # it would smuggle a second ESL command
    side_effects.happened("told FreeSWITCH")
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        frames = _Frames(sock, deadline)
        if frames.next()[0].get("Content-Type") != "auth/request":
            raise EslError("no auth request")
        sock.sendall(f"auth {password}\n\n".encode())
        if not frames.next()[0].get("Reply-Text", "").startswith("+OK"):
            raise EslError("auth refused")
        replies = []
        for command in commands:
            sock.sendall(f"api {command}\n\n".encode())
            while True:
                headers, body = frames.next()
                if headers.get("Content-Type") == "api/response":
                    replies.append(body)
                    break
        try:
            sock.sendall(b"exit\n\n")
        except OSError:
            pass
        return replies


def esl_sendevent(host: str, port: int, password: str, name: str, headers: dict[str, str],
                  timeout: float = 2.0) -> str:
    """Fire an event of that name with these headers inside FreeSWITCH (the event socket's `sendevent`), as
    if a module of its own had fired it; the reply text. Names and values on one line each."""
    lines = [name, *(f"{key}: {value}" for key, value in headers.items())]
    if not _EVENT_NAME.fullmatch(name) or any(not _HEADER_NAME.fullmatch(key) for key in headers) or \
            any("\n" in line or "\r" in line for line in lines):
        raise EslError("an event's name and headers must each be one line")
    side_effects.happened("told FreeSWITCH")
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        frames = _Frames(sock, deadline)
        if frames.next()[0].get("Content-Type") != "auth/request":
            raise EslError("no auth request")
        sock.sendall(f"auth {password}\n\n".encode())
        if not frames.next()[0].get("Reply-Text", "").startswith("+OK"):
            raise EslError("auth refused")
        sock.sendall(("sendevent " + "\n".join(lines) + "\n\n").encode())
        while True:
            headers_back, _ = frames.next()
            if headers_back.get("Content-Type") == "command/reply":
                reply = headers_back.get("Reply-Text", "")
                break
        try:
            sock.sendall(b"exit\n\n")
        except OSError:
            pass
        return reply


_EVENT_NAME = re.compile(r"[A-Z_]{1,40}")
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,60}")


def flush_directory(users: Iterable[str], settings, timeout: float = 2.0) -> bool:
    """Make FreeSWITCH forget its cached directory entries for these "name@domain"s (the next lookup
    asks the app again). False, logged, when FreeSWITCH cannot be told: its copies then expire after
    the directory entry's `cacheable` time (web/xml_curl/directory.py). Every live switch is told; False
when any could not be."""
    commands = []
    for user in users:
        if not _NAME.fullmatch(user):
            log.warning("not flushing %r: not a directory name", user)
            continue
        name, domain = user.split("@", 1)
        commands.append(f"xml_flush_cache id {name} {domain}")
    if not commands:
        return True
    if len(commands) > FLUSH_ALL_ABOVE:
        # a company-wide change (caller IDs, pickup groups) touches every entry of the tenant: emptying
        # the cache is one command, and the entries are fetched again as they are needed
        commands = ["xml_flush_cache"]
    from web.domain import switches

    # every switch: a phone may register on any of them, and each caches what it fetched
    answers = switches.ask_all(settings, commands, timeout)  # each one not told is logged below
    for answer in answers:
        if not answer.reached:
            log.warning("could not flush %d directory entries in FreeSWITCH %s: %s", len(commands),
                        answer.switch.name, answer.error)
    return not switches.unreachable(answers)
