"""Which module handles which events. Each module in MODULES has the same small interface:

    HANDLES = {"CHANNEL_HANGUP_COMPLETE": fn, "callplan::email": fn}   # fn(ctx, event), quick
    on_connected(ctx)   optional: after every (re)connect, e.g. read the state FreeSWITCH holds now
    tick(ctx)           optional: every few seconds (expiries, timers)
    run(bridge)         optional: a long-running job of its own (the outbox delivery)

Adding a concern is one new module plus one entry here."""

from __future__ import annotations

import importlib

MODULES = (
    "fs_bridge.calls",          # active calls (live) and call records from CHANNEL_HANGUP_COMPLETE
    "fs_bridge.features",       # phone feature codes: diversions, night mode, do not disturb
    "fs_bridge.notices",        # missed-call and voicemail notices, call_ended webhooks (into the outbox)
    "fs_bridge.voicemail",      # a voicemail box's messages changed: the browser's /messages page reads it again
    "fs_bridge.fax",            # faxes received (recorded, mailed as PDF) and sent (status, pages) at hang-up
    "fs_bridge.recordings",     # call recordings FreeSWITCH wrote (RECORD_STOP), and the companies' retention
    "fs_bridge.outbox",         # delivering the outbox: mail and webhooks, with retries
    "fs_bridge.report_mail",    # the usage alert and the monthly report mail (into the outbox), once per period
    "fs_bridge.agents",         # queue agents' status mirrored from callcenter::info
    "fs_bridge.queue_stats",    # the queue and agent reports' rows from callcenter::info (after agents)
    "fs_bridge.registrations",  # phones' registrations (live), which agents may be offered calls
    "fs_bridge.brute_force",    # blocking addresses that guess SIP passwords
    "fs_bridge.statements",     # last month's statement of every company, from the 1st on (#17 item 6)
)


def modules(names=None) -> list:
    """The handler modules: MODULES, or the given names or module objects (tests)."""
    return [importlib.import_module(name) if isinstance(name, str) else name for name in (names or MODULES)]


def table(names=None) -> dict[str, list]:
    by_key: dict[str, list] = {}
    for module in modules(names):
        for key, handler in getattr(module, "HANDLES", {}).items():
            by_key.setdefault(key, []).append(handler)
    return by_key
