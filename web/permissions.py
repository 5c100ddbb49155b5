"""Who may do what: the one permission table.

Every route names one permission from `PERMISSIONS`; the route walk test (tests/web/test_permissions.py)
fails on a route without one and on any outcome that differs from this table.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["operator", "admin", "user", "agent", "reports"]
ROLES: tuple[str, ...] = ("operator", "admin", "user", "agent", "reports")

ANONYMOUS = "anonymous"
STAFF = frozenset({"admin", "user", "agent", "reports"})  # everyone who belongs to a tenant
EVERYONE = STAFF | {"operator"}

# permission -> the roles that hold it. "public" is the only one anonymous callers hold.
PERMISSIONS: dict[str, frozenset[str]] = {
    "public": frozenset(EVERYONE | {ANONYMOUS}),
    # one's own session, profile, password, second factors and API tokens
    "self": EVERYONE,
    # the platform: tenants and their first admins
    "tenants.manage": frozenset({"operator"}),
    # public numbers and caller IDs as a platform resource: assigning numbers and blocks to companies,
    # taking them back, verifying a company's own outside numbers as caller IDs (web/api/platform_numbers.py)
    "numbers.assign": frozenset({"operator"}),
    # the tenant's own company record (name, time zone, 2FA policy)
    "tenant.read": STAFF,
    "tenant.write": frozenset({"admin"}),
    # portal accounts of the tenant
    "accounts.manage": frozenset({"admin"}),
    # the audit log and login history (seed 003: the admin sees the login history)
    "audit.read": frozenset({"admin", "operator"}),
    # the PBX's objects: users, devices, numbers, schedules, groups, queues, menus, boxes, audio, ...
    "pbx.manage": frozenset({"admin"}),
    # the company phonebook: everyone in the company reads it (seed 003: users see the global book)
    "phonebook.read": STAFF,
    # revealing a device's SIP password after creation (audited)
    "secrets.reveal": frozenset({"admin"}),
    # FreeSWITCH's mod_xml_curl fetches (web.xml_curl): no portal role holds it; the route checks its
    # own HTTP basic credentials and source addresses instead
    "freeswitch": frozenset(),
    # call records and what is happening now (live calls, registrations, agents' panel)
    "calls.read": frozenset({"admin", "reports"}),
    # the monthly statements: making one for a past month, the archive, the PDFs (#17 item 6)
    "statements.manage": frozenset({"admin"}),
    "live.read": frozenset({"admin", "agent", "reports"}),
    # call recordings (#18 item 1): everyone hears their own, admins all, the reports role all when the
    # company grants it (web/domain/recording_access.py); only admins delete them
    "recordings.read": STAFF,
    "recordings.manage": frozenset({"admin"}),
    # one's own phone: click-to-dial, logging oneself in and out of the queues as an agent
    "phone.self": STAFF,
    # addresses blocked for guessing SIP passwords: the tenant admin sees (and lifts) those that tried
    # the tenant's domain, the operator all of them
    "blocking.manage": frozenset({"admin", "operator"}),
    # the platform's health (the ESL bridge connected to FreeSWITCH or not): tenant admins and the operator
    "system.read": frozenset({"admin", "operator"}),
}


def allowed(role: str | None, permission: str) -> bool:
    return (role or ANONYMOUS) in PERMISSIONS[permission]


# Tenant-scoped permissions: the route works inside the caller's tenant, so callers without one
# (platform operators) are refused even when the table would otherwise let them in.
TENANT_SCOPED = frozenset({"tenant.read", "tenant.write", "accounts.manage", "pbx.manage", "phonebook.read", "secrets.reveal",
                           "calls.read", "live.read", "phone.self", "statements.manage",
                           "recordings.read", "recordings.manage"})
