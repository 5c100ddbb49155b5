"""Queue agents: what an agent chose (available, on break, logged out), what FreeSWITCH must hold for
them, and the rules between the two. Shared by the web API (web/api/agents.py) and the bridge
(fs_bridge/agents.py, fs_bridge/registrations.py), so both apply the same rule.

The rule (FusionPBX issue #2831: an agent whose phone was unplugged kept being offered calls that rang
nowhere): an agent is 'Available' in mod_callcenter only while one of its phones is registered. The
agent's own choice is kept in queue_agent.status; FreeSWITCH is told `effective()` of it, which is
'Logged Out' for an available agent without a registered phone. When the phone registers again the
bridge restores 'Available'.

Agents are named u<user id>@<sip domain> in mod_callcenter (web/xml_curl/configuration.py)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from sqlmodel import Session, select

from web import clock
from web.db import dialect_insert
from web.models.company import CompanySettings
from web.models.live import AGENT_STATUSES, QueueAgent, SipRegistration
from web.models.queue import CallQueue
from web.scoping import scoped

log = logging.getLogger("web.domain.agents")

AVAILABLE, ON_BREAK, LOGGED_OUT = AGENT_STATUSES[1], AGENT_STATUSES[2], AGENT_STATUSES[0]
# the API's words -> mod_callcenter's own
STATUS_WORDS = {"available": AVAILABLE, "on_break": ON_BREAK, "logged_out": LOGGED_OUT}
API_WORDS = {word: key for key, word in STATUS_WORDS.items()}
# A registration is believed this long past its expiry: phones re-register shortly before it, and an
# agent must not flap to 'Logged Out' and back because the re-REGISTER came a few seconds late.
EXPIRY_GRACE = timedelta(seconds=60)
ESL_TIMEOUT = 2.0  # a web request waits at most this long for FreeSWITCH

_AGENT_NAME = re.compile(r"^u([0-9]{1,18})@([a-z0-9.-]{1,253})\Z")


def agent_name(user_id: int, domain: str) -> str:
    return f"u{user_id}@{domain}"


def parse_agent_name(name: str) -> Optional[tuple[int, str]]:
    """(user id, domain) of an agent name we gave, else None (agents made by hand in FreeSWITCH)."""
    match = _AGENT_NAME.match((name or "").strip().lower())
    return (int(match.group(1)), match.group(2)) if match else None


def effective(status: str, registered: bool) -> str:
    """What FreeSWITCH must hold for an agent who chose `status`: never 'Available' without a phone."""
    return LOGGED_OUT if status == AVAILABLE and not registered else status


def status_command(user_id: int, domain: str, word: str) -> str:
    """The callcenter_config command for a status. Quoted like the feature codes do it
    (callplan/base_dialplan.py): 'On Break' and 'Logged Out' are two words, and mod_callcenter splits its
    arguments on spaces unless they are quoted (fixtures README)."""
    if word not in AGENT_STATUSES:
        raise ValueError(f"not a mod_callcenter status: {word!r}")
    return f"callcenter_config agent set status {agent_name(user_id, domain)} '{word}'"


# --- what the database knows --------------------------------------------------------------------------


def live_registrations(db: Session, tenant_id: Optional[int] = None):
    """SELECT of registrations not (yet) expired, for one tenant or all."""
    query = select(SipRegistration).where(SipRegistration.expires_at > clock.now() - EXPIRY_GRACE)
    if tenant_id is not None:
        query = query.where(SipRegistration.tenant_id == tenant_id)
    return query


def registered_users(db: Session, tenant_id: Optional[int] = None) -> set[int]:
    """Users with at least one phone registered now."""
    rows = db.exec(live_registrations(db, tenant_id)).all()
    return {row.user_id for row in rows if row.user_id is not None}


def user_registered(db: Session, tenant_id: int, user_id: int) -> bool:
    query = live_registrations(db, tenant_id).where(SipRegistration.user_id == user_id)
    return db.exec(query).first() is not None


def queues_of_users(db: Session, tenant_id: int) -> dict[int, list[int]]:
    """user id -> ids of the queues whose tiers hold the user (the tenant's agents)."""
    found: dict[int, list[int]] = {}
    for queue in db.exec(scoped(CallQueue, tenant_id).order_by(CallQueue.id)).all():
        for tier in queue.tiers or []:
            user_id = tier.get("user_id") if isinstance(tier, dict) else None
            if isinstance(user_id, int) and queue.id not in found.setdefault(user_id, []):
                found[user_id].append(queue.id)
    return found


def agent_row(db: Session, tenant_id: int, user_id: int, create: bool = True) -> Optional[QueueAgent]:
    row = db.exec(scoped(QueueAgent, tenant_id).where(QueueAgent.user_id == user_id)).first()
    if row is None and create:
        row = QueueAgent(tenant_id=tenant_id, user_id=user_id, status=LOGGED_OUT, state="Waiting",
                         phone_registered=user_registered(db, tenant_id, user_id))
        db.add(row)
    return row


def company_settings(db: Session, tenant_id: int) -> CompanySettings:
    return db.exec(scoped(CompanySettings, tenant_id)).first() or CompanySettings(tenant_id=tenant_id)


def on_break_count(db: Session, tenant_id: int, except_user: Optional[int] = None) -> int:
    query = scoped(QueueAgent, tenant_id).where(QueueAgent.status == ON_BREAK)
    if except_user is not None:
        query = query.where(QueueAgent.user_id != except_user)
    return len(db.exec(query).all())


# --- today's counters (the agent panel's statistics) -----------------------------------------------------


def utc(moment: Optional[datetime]) -> Optional[datetime]:
    """SQLite hands back naive UTC; PostgreSQL aware."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def company_day(db: Session, tenant_id: int, at: datetime) -> tuple[str, datetime]:
    """(the day as YYYY-MM-DD, its start in UTC) in the company's time zone: "today" is the company's."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from web.models.tenant import Tenant

    tenant = db.get(Tenant, tenant_id)
    try:
        zone = ZoneInfo(tenant.timezone) if tenant is not None else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc
    local = at.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.date().isoformat(), start.astimezone(timezone.utc)


def roll_day(db: Session, row: QueueAgent, at: datetime) -> datetime:
    """Start today's counters afresh on the first change of a new day; the day's start (UTC)."""
    day, start = company_day(db, row.tenant_id, at)
    if row.day != day:
        row.day, row.break_seconds, row.missed = day, 0, 0
    return start


def break_so_far(row: QueueAgent, start: datetime, at: datetime) -> int:
    """Seconds of the break the agent is on now that fall on today (0 when not on break)."""
    changed = utc(row.status_changed_at)
    if row.status != ON_BREAK or changed is None:
        return 0
    return max(0, int((at - max(changed, start)).total_seconds()))


def account_status(db: Session, row: QueueAgent, new_status: str, at: datetime) -> None:
    """Before an agent's status changes (the API's choice, or FreeSWITCH's event in the bridge): a break
    that ends adds its seconds of today to the day's break time."""
    start = roll_day(db, row, at)
    if row.status == ON_BREAK and new_status != ON_BREAK:
        row.break_seconds = (row.break_seconds or 0) + break_so_far(row, start, at)


@dataclass
class Change:
    """The outcome of setting an agent's status: the row, the command FreeSWITCH gets, and the warning
    when more agents than the company's limit are on break now (seed 004: allowed, but the agent is
    warned and the admins can see it)."""

    row: QueueAgent
    command: str
    over_break_limit: Optional[dict] = None


def choose(db: Session, tenant_id: int, domain: str, user_id: int, word: str) -> Change:
    """Record an agent's choice (mod_callcenter's word) and say what FreeSWITCH must be told. The caller
    sends the command (the API with a bounded wait, the bridge after its commit)."""
    if word not in AGENT_STATUSES:
        raise ValueError(word)
    # Every read first, every write after: nothing is flushed here, so a caller that talks to
    # FreeSWITCH before flushing holds no write lock (SQLite: the bridge's) while it waits.
    row = agent_row(db, tenant_id, user_id, create=False)
    registered = user_registered(db, tenant_id, user_id)
    over = None
    if word == ON_BREAK and (row is None or row.status != ON_BREAK):
        limit = company_settings(db, tenant_id).max_agents_on_break
        already = on_break_count(db, tenant_id, except_user=user_id)
        if limit is not None and already + 1 > limit:
            over = {"on_break": already + 1, "limit": limit}
    if row is None:
        row = QueueAgent(tenant_id=tenant_id, user_id=user_id, status=LOGGED_OUT, state="Waiting")
    now = clock.now()
    account_status(db, row, word, now)
    if row.status != word:
        row.status_changed_at = now
    row.status = word
    row.phone_registered = registered
    row.updated_at = now
    db.add(row)
    return Change(row, status_command(user_id, domain, effective(word, registered)), over)


def keep(db: Session, tenant_id: int, domain: str, user_id: int, word: str, change: Change) -> Change:
    """Write what `choose` recorded. An agent without a row yet gets one here, after FreeSWITCH was told;
    but telling it makes its agent-status event, on which the bridge makes the row at once, and a plain
    insert then broke the unique user_id (409 to the admin, seen with two switches). So the row is inserted
    unless one is there by now, and the choice is then made again on whichever row is there."""
    row = change.row
    if row.id is None:
        db.expunge(row)
        columns = {column.name: getattr(row, column.name) for column in QueueAgent.__table__.c if column.name != "id"}
        db.connection().execute(dialect_insert(db)(QueueAgent.__table__).values(**columns)
                                .on_conflict_do_nothing(index_elements=["user_id"]))
        again = choose(db, tenant_id, domain, user_id, word)  # on the row now there, ours or the bridge's
        change = Change(again.row, change.command, change.over_break_limit)
    db.flush()
    return change


def send(settings, commands: Iterable[str], timeout: float = ESL_TIMEOUT) -> bool:
    """Send commands to every FreeSWITCH from the web app (blocking, bounded, all at once); False when
    one cannot be told or refuses (the database keeps the choice; its bridge applies it when it
    reconnects)."""
    from web.domain import switches

    commands = list(commands)
    told = True
    for answer in switches.broadcast(settings, commands, timeout):
        told = told and answer.reached
        refused = [(command, reply.strip()) for command, reply in zip(commands, answer.replies)
                   if reply.startswith("-ERR")]
        for command, reply in refused:
            log.warning("FreeSWITCH %s refused %r: %s", answer.switch.name, command, reply)
        told = told and not refused
    return told


# --- callcenter.conf --------------------------------------------------------------------------------


def conf_statuses(db: Session) -> dict[str, str]:
    """agent name -> the status callcenter.conf carries for it, for every agent the bridge or the API
    has a choice for. mod_callcenter applies a status in the file at every load (module load, queue
    reload), so the file must carry the status to hold now, never 'Available' without a phone. Agents
    without a row get none and keep what FreeSWITCH holds."""
    from web.models.tenant import Tenant

    registered = registered_users(db)
    rows = db.exec(select(QueueAgent.user_id, QueueAgent.status, Tenant.sip_domain)
                   .join(Tenant, Tenant.id == QueueAgent.tenant_id)).all()
    return {agent_name(user_id, domain): effective(status, user_id in registered) for user_id, status, domain in rows}
