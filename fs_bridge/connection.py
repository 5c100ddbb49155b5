"""Staying connected to FreeSWITCH's Event Socket.

greenswitch neither reconnects nor notices a dead socket by itself, runs every handler one after another
in one greenlet, and its `send()` waits for ever. So the bridge owns the loop (connect, authenticate,
subscribe, wait until the connection drops, try again with a capped exponential backoff), takes events
off the socket itself into its own queue (`sink`) instead of greenswitch's handler chain, and bounds
every command with a timeout."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Optional

import gevent
import greenswitch

from fs_bridge import handlers
from fs_bridge.events import Event, parse_plain

log = logging.getLogger("fs_bridge")



def subscription(keys) -> str:
    """What `event plain` asks for: exactly the events some handler takes (fs_bridge.handlers.table's
    keys), so FreeSWITCH neither formats nor sends the others. A key with "::" is a CUSTOM subclass."""
    names = sorted(key for key in keys if "::" not in key)
    subclasses = sorted(key for key in keys if "::" in key)
    return " ".join(names + (["CUSTOM", *subclasses] if subclasses else []))


@dataclass
class Backoff:
    first: float = 1.0
    cap: float = 30.0
    current: float = 0.0

    def next(self) -> float:
        self.current = self.first if self.current == 0 else min(self.cap, self.current * 2)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


class EventSocket(greenswitch.InboundESL):
    """greenswitch's inbound client, with events handed to `sink` as they are read (parsed header by
    header, see fs_bridge.events) and commands that give up after a timeout."""

    def __init__(self, host: str, port: int, password: str, sink: Callable[[Event], None], timeout: float = 5.0):
        super().__init__(host=host, port=port, password=password, timeout=timeout)
        self.sink = sink

    def handle_event(self, event):
        if event.headers.get("Content-Type") == "text/event-plain":
            text = self._read_socket(self.sock_file, int(event.headers["Content-Length"]))
            parsed = parse_plain(text)
            parsed.received_at = time.monotonic()
            self.sink(parsed)
            return
        super().handle_event(event)

    def api(self, command: str, timeout: float = 5.0) -> str:
        """`api <command>`'s reply text. Raises gevent.Timeout (a BaseException: catch it by name) or
        greenswitch.NotConnectedError."""
        if "\n" in command or "\r" in command:
            raise ValueError("a command cannot span lines")  # it would smuggle a second ESL command
        with gevent.Timeout(timeout):
            return self.send(f"api {command}").data


def connect(host: str, port: int, password: str, sink: Optional[Callable[[Event], None]] = None,
            timeout: float = 5.0, events: Optional[str] = None,
            filters: Optional[list[tuple[str, str]]] = None) -> EventSocket:
    """Connected, authenticated and subscribed to `events` (default: what the handlers take), narrowed by
    `filters` (default: the handlers' fs_bridge.handlers.filters; [] for none)."""
    esl = EventSocket(host, port, password, sink or (lambda event: None), timeout=timeout)
    # greenswitch waits forever for an answer that never comes; a half-dead switch must not hang us.
    try:
        with gevent.Timeout(timeout):
            esl.connect()
            # filters first: no event the handlers do not want arrives between the two
            for header, value in (handlers.filters() if filters is None else filters):
                reply = esl.send(f"filter {header} {value}")
                if not str(getattr(reply, "data", "")).startswith("+OK"):
                    raise ConnectionError(f"filter refused: {getattr(reply, 'data', reply)}")
            reply = esl.send(f"event plain {events or subscription(handlers.table())}")
    except BaseException:
        esl.connected = False
        try:
            esl.sock.close()
        except Exception:
            pass
        raise
    if not str(getattr(reply, "data", "")).startswith("+OK"):
        raise ConnectionError(f"subscription refused: {getattr(reply, 'data', reply)}")
    return esl


def run_forever(host: str, port: int, password: str, on_connected=None, sink=None, on_disconnected=None,
                should_run=lambda: True, events: Optional[str] = None,
                filters: Optional[list[tuple[str, str]]] = None) -> None:
    backoff = Backoff()
    said = None  # the reason last logged: a switch that stays away is said once, not every 30 s
    while should_run():
        try:
            esl = connect(host, port, password, sink, events=events, filters=filters)
        except (Exception, gevent.Timeout) as exc:  # refused, timed out, bad password: all mean "not yet"
            delay, reason = backoff.next(), str(exc) or exc.__class__.__name__
            if reason != said:
                log.warning("FreeSWITCH event socket at %s:%s not answering (%s); retrying, at most %.0f s apart "
                            "(said again when the reason changes)", host, port, reason, backoff.cap)
                said = reason
            else:
                log.debug("FreeSWITCH event socket at %s:%s not answering (%s); retrying in %.0f s", host, port,
                          reason, delay)
            if on_disconnected is not None:
                on_disconnected(reason)
            gevent.sleep(delay)
            continue
        backoff.reset()
        said = None
        log.info("connected to FreeSWITCH event socket at %s:%s", host, port)
        if on_connected is not None:
            on_connected(esl)
        while esl.connected and should_run():
            gevent.sleep(0.2)
        log.warning("FreeSWITCH event socket at %s:%s closed; reconnecting", host, port)
        if on_disconnected is not None:
            on_disconnected("connection closed")
