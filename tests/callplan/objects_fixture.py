"""A realistic tenant snapshot for the call-plan engine's tests: a small Brussels company with users,
phones, ring groups of every strategy, a queue, an IVR menu, voicemail boxes, opening hours, holidays,
audio files and a second plan. Ids are fixed so golden files and generated plans can refer to them.

    objects()          the TenantObjects, optionally with fields replaced (objects(domain="x.test"))
    OPEN, CLOSED, LUNCH, HOLIDAY   instants (aware, UTC) inside and outside the opening hours
    ids for strategies: USERS, RING_GROUPS, QUEUES, IVR_MENUS, VOICEMAIL_BOXES, CONFERENCE_ROOMS, SCHEDULES, HOLIDAYS,
    AUDIO, PLANS, EXTENSIONS
"""

from __future__ import annotations

from datetime import datetime, timezone

import callplan.nodes  # noqa: F401  (must come before any CallPlan is validated: see test_registry)
from callplan.objects import TenantObjects

UTC = timezone.utc
DOMAIN = "acme.pbx.test"
ZONE = "Europe/Brussels"

# Tuesday 10 March 2026 (CET, UTC+1): 10:00, 12:30 and 20:00 local; Christmas Day 2026 at 10:00 local.
OPEN = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
LUNCH = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)
CLOSED = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
HOLIDAY = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)


def _period(day, start, end):
    return {"from_day": day, "from_time": start, "to_day": day, "to_time": end}


def _forward(destination=None, enabled=True, **extra):
    return {"enabled": enabled, "to": destination, **extra}


USERS = {
    # desk phone and mobile ring together (Anywhere); unanswered after 25 s: the mobile alone
    201: {"id": 201, "extension": "201", "name": "Jan Janssens",
          "forwarding": {"always": _forward(enabled=False), "busy": _forward(enabled=False),
                         "no_answer": _forward({"type": "external", "number": "+32470123456"}, after_s=25),
                         "unregistered": _forward(enabled=False)},
          "anywhere": {"enabled": True, "number": "+32470123456"}, "voicemail_box_id": 2},
    # plain: no forwarding at all
    202: {"id": 202, "extension": "202", "name": "Marie Dubois", "voicemail_box_id": 3},
    # everything forwarded to a colleague
    203: {"id": 203, "extension": "203", "name": "Piet de Vries",
          "forwarding": {"always": _forward({"type": "user", "id": 202})}},
    # do not disturb, busy goes to the reception's extension
    204: {"id": 204, "extension": "204", "name": "Sofie Peeters", "dnd": True,
          "forwarding": {"busy": _forward({"type": "extension", "number": "202"})}},
}

DEVICES = {
    11: {"id": 11, "sip_username": "acme-201-desk", "user_id": 201},
    12: {"id": 12, "sip_username": "acme-lobby", "user_id": None},
}

RING_GROUPS = {
    1: {"id": 1, "name": "Sales", "display_name": "Sales", "extension": "300", "strategy": "simultaneous",
        "members": [{"type": "user", "id": 201}, {"type": "user", "id": 202}, {"type": "device", "id": 12}],
        "member_ring_time_s": 20, "total_timeout_s": 15},
    2: {"id": 2, "name": "Backoffice", "display_name": "Backoffice", "extension": "301", "strategy": "fixed_order",
        "members": [{"type": "user", "id": 202}, {"type": "user", "id": 201, "ring_time_s": 10},
                    {"type": "external", "number": "+32471234567"}]},
    # unanswered: the company voicemail box takes the call (a transfer: nothing after the group runs)
    3: {"id": 3, "name": "Helpdesk", "extension": "302", "strategy": "circular",
        "members": [{"type": "user", "id": 201}, {"type": "user", "id": 202}, {"type": "user", "id": 204}],
        "forward_after": {"type": "voicemail_box", "id": 1}},
    4: {"id": 4, "name": "Warehouse", "extension": "303", "strategy": "uniform",
        "members": [{"type": "user", "id": 201}, {"type": "user", "id": 202}, {"type": "device", "id": 11}]},
    5: {"id": 5, "name": "Management", "extension": "304", "strategy": "memory_hunt", "busy_members": "busy_tone",
        "members": [{"type": "user", "id": 201}, {"type": "user", "id": 202}, {"type": "user", "id": 203}],
        "member_ring_time_s": 15, "forward_after": {"type": "external", "number": "+32471234567"}},
}

QUEUES = {
    1: {"id": 1, "name": "Support", "extension": "600", "max_wait_s": 300},
    2: {"id": 2, "name": "Orders", "extension": "601", "max_wait_s": 120},
}

IVR_MENUS = {
    1: {"id": 1, "name": "Main menu", "extension": "700", "greeting_audio_id": 1, "timeout_s": 5, "attempts": 3,
        "keys": {"1": {"action": "forward", "destination": {"type": "ring_group", "id": 1}},
                 "2": {"action": "forward_announced", "destination": {"type": "user", "id": 202}},
                 "3": {"action": "dial_by_extension"},
                 "4": {"action": "play_message", "audio_id": 3},
                 "9": {"action": "repeat"},
                 "0": {"action": "reception"},
                 "*": {"action": "hang_up"}},
        "reception": {"type": "user", "id": 201}},
    2: {"id": 2, "name": "Lunch menu", "extension": "701", "greeting_audio_id": 4, "timeout_s": 4, "attempts": 2,
        "keys": {"1": {"action": "forward", "destination": {"type": "queue", "id": 1}}},
        "reception": None},
}

VOICEMAIL_BOXES = {
    1: {"id": 1, "name": "Company box", "extension": "800", "greeting_audio_id": 2},
    2: {"id": 2, "name": "Jan Janssens", "user_id": 201},
    3: {"id": 3, "name": "Marie Dubois", "user_id": 202},
}

# a room reached by plans only (no number of its own), with both PINs
CONFERENCE_ROOMS = {1: {"id": 1, "name": "Board room", "pin": "1234", "moderator_pin": "9876"}}

SCHEDULES = {
    1: {"id": 1, "name": "Office hours",
        "periods": [_period(day, "08:30", "17:30") for day in ("mon", "tue", "wed", "thu", "fri")]},
    2: {"id": 2, "name": "Lunch", "periods": [_period(day, "12:00", "13:00") for day in ("mon", "tue", "wed", "thu", "fri")]},
}

HOLIDAYS = {
    1: {"id": 1, "name": "Belgian holidays", "entries": [
        {"start_date": "2026-12-25", "end_date": None, "from_time": None, "to_time": None, "yearly": True,
         "description": "Christmas"},
        {"start_date": "2026-07-21", "end_date": None, "from_time": None, "to_time": None, "yearly": True,
         "description": "National day"}]},
}

AUDIO = {
    1: {"id": 1, "name": "Welcome (nl)"},
    2: {"id": 2, "name": "Company box greeting"},
    3: {"id": 3, "name": "Opening hours"},
    4: {"id": 4, "name": "Lunch (nl)"},
    5: {"id": 5, "name": "Closed (nl)"},
}

PLANS = {
    2: {"id": 2, "name": "Night service", "numbers": ["+3225805099"]},
}

EXTENSIONS = {
    **{user["extension"]: "user" for user in USERS.values()},
    **{group["extension"]: "ring_group" for group in RING_GROUPS.values()},
    **{queue["extension"]: "queue" for queue in QUEUES.values()},
    **{menu["extension"]: "ivr_menu" for menu in IVR_MENUS.values()},
    "800": "voicemail_box",
}


def objects(**replace) -> TenantObjects:
    """The snapshot; keyword arguments replace top-level fields (validated like the real thing)."""
    data = {
        "tenant_id": 7,
        "domain": DOMAIN,
        "timezone": ZONE,
        "audio_dir": "/var/lib/callplan/audio",
        "gateway": "trunk1",
        "company_number": "+3225805000",
        "company": {"country": "BE"},
        "users": USERS,
        "devices": DEVICES,
        "ring_groups": RING_GROUPS,
        "queues": QUEUES,
        "ivr_menus": IVR_MENUS,
        "voicemail_boxes": VOICEMAIL_BOXES,
        "conference_rooms": CONFERENCE_ROOMS,
        "schedules": SCHEDULES,
        "holidays": HOLIDAYS,
        "audio": AUDIO,
        "plans": PLANS,
        "extensions": EXTENSIONS,
        # the Helpdesk's member 0 took the last call. idle_since is read as the moment (epoch seconds) a
        # member's last call ended, which is what ring_group.ordered_members' ascending sort needs to put
        # the longest idle first (objects.py's comment says "seconds since", which would reverse it):
        # device 11 has been idle longest in the Warehouse.
        "last_answered": {3: 0},
        "idle_since": {"user:201": 1_773_130_000.0, "user:202": 1_773_100_000.0, "device:11": 1_773_000_000.0},
    }
    data.update(replace)
    return TenantObjects.model_validate(data)
