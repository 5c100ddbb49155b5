"""Which module handles which events. Each module in MODULES has the same small interface:

    HANDLES = {"CHANNEL_HANGUP_COMPLETE": fn, "callplan::email": fn}   # fn(ctx, event), quick
    ONLY = {"CHANNEL_EXECUTE": ("Application", ("push", ...))}          optional: of an event it handles,
                        only those whose header has one of these values (FreeSWITCH drops the others)
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
    "fs_bridge.mwi",            # with a home switch: message lamps of phones registered on the other switches
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


def filters(names=None) -> list[tuple[str, str]]:
    """The event socket's filters (`filter <header> <value>`) that keep what no handler wants from being
    formatted and sent: for an event every module handling it narrows with ONLY, the (header, value) pairs
    they name; then every other event the bridge takes, by name (a CUSTOM one by its subclass). FreeSWITCH
    sends an event that passes any one filter (mod_event_socket.c), so the pairs add up, and an event one
    module takes whole is sent whole. [] (no filter, every subscribed event) when nothing narrows.
    A CHANNEL_EXECUTE carries every channel variable (several kB) and a call runs a dozen applications:
    most of what a call made FreeSWITCH format and the bridge read (#20)."""
    found = modules(names)
    narrowed: dict[str, set[tuple[str, str]]] = {}
    whole: set[str] = set()
    for module in found:
        only = getattr(module, "ONLY", {})
        for key in getattr(module, "HANDLES", {}):
            if key in only:
                header, values = only[key]
                narrowed.setdefault(key, set()).update((header, value) for value in values)
            else:
                whole.add(key)
    narrowed = {key: pairs for key, pairs in narrowed.items() if key not in whole}
    if not narrowed:
        return []
    pairs = {pair for key_pairs in narrowed.values() for pair in key_pairs}
    pairs |= {("Event-Subclass", key) if "::" in key else ("Event-Name", key) for key in whole}
    return sorted(pairs)
