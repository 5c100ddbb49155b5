"""A token bucket per source address, in this process's memory: phone provisioning spends one per
request, FreeSWITCH's endpoints (/freeswitch/xml, /freeswitch/cdr) one per failed credential.

Not web.auth.ratelimit: that one counts failed logins of accounts in the login history, and a phone or
a FreeSWITCH is no account; writing a row per phone fetch would also make every boot of every phone a
database write. Memory per process is enough to slow a guesser: with N web processes the budget is N
times the rate, still far from enough for a random password. Time comes from web.clock so tests can
move it. It runs on the event loop only (never in the thread pool), so it needs no lock.
"""

from __future__ import annotations

import math

from web import clock

MAX_ADDRESSES = 10_000  # bounds the limiter's memory when very many addresses call


class AddressLimiter:
    def __init__(self, per_minute: int, burst: int, max_addresses: int = MAX_ADDRESSES):
        self.rate = per_minute / 60.0
        self.burst = burst
        self.max_addresses = max_addresses
        self.buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def _tokens(self, address: str, now: float) -> float:
        tokens, at = self.buckets.get(address, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1 - tokens) / self.rate))

    def wait(self, address: str) -> int | None:
        """Without spending: None if a token is there, else the seconds until there is."""
        tokens = self._tokens(address, clock.timestamp())
        return None if tokens >= 1 else self._wait(tokens)

    def take(self, address: str) -> int | None:
        """Spend one token; None if there was one, else the seconds until there is."""
        now = clock.timestamp()
        tokens = self._tokens(address, now)
        if tokens < 1:
            self.buckets[address] = (tokens, now)
            return self._wait(tokens)
        if address not in self.buckets and len(self.buckets) >= self.max_addresses:
            self._forget_full(now)
        self.buckets[address] = (tokens - 1, now)
        return None

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled is the same as none; if all are busy, the oldest half goes.
        refill = self.burst / self.rate
        self.buckets = {a: (t, at) for a, (t, at) in self.buckets.items() if now - at < refill}
        if len(self.buckets) >= self.max_addresses:
            keep = sorted(self.buckets.items(), key=lambda item: item[1][1])[len(self.buckets) // 2:]
            self.buckets = dict(keep)
