"""Staying connected to FreeSWITCH's Event Socket.

greenswitch neither reconnects nor notices a dead socket by itself, so the bridge owns the loop: connect,
authenticate, subscribe, wait until the connection drops, then try again with a capped exponential
backoff, logging clearly while FreeSWITCH does not answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import gevent
import greenswitch

log = logging.getLogger("fs_bridge")

EVENTS = "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE_COMPLETE DTMF CUSTOM sofia::register sofia::unregister sofia::expire sofia::register_failure callcenter::info"


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


def connect(host: str, port: int, password: str, timeout: float = 5.0) -> greenswitch.InboundESL:
    esl = greenswitch.InboundESL(host=host, port=port, password=password, timeout=timeout)
    # greenswitch waits forever for an answer that never comes; a half-dead switch must not hang us.
    with gevent.Timeout(timeout):
        esl.connect()
        esl.send(f"event plain {EVENTS}")
    return esl


def run_forever(host: str, port: int, password: str, on_connected=None) -> None:
    backoff = Backoff()
    while True:
        try:
            esl = connect(host, port, password)
        except (Exception, gevent.Timeout) as exc:  # refused, timed out, bad password: all mean "not yet"
            delay = backoff.next()
            log.warning("FreeSWITCH event socket at %s:%s not answering (%s); retrying in %.0f s", host, port, exc, delay)
            gevent.sleep(delay)
            continue
        backoff.reset()
        log.info("connected to FreeSWITCH event socket at %s:%s", host, port)
        if on_connected is not None:
            on_connected(esl)
        while esl.connected:
            gevent.sleep(1)
        log.warning("FreeSWITCH event socket at %s:%s closed; reconnecting", host, port)
