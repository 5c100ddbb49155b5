"""Queue agents' panel (seed 004): who answers queue calls, their status and state, whether their phone
is registered; setting a status (an admin for anyone, an agent for themself).

A status goes to the database first and then to FreeSWITCH (web.domain.agents.send, bounded wait). When
FreeSWITCH cannot be told, the choice is kept and the answer is 202 with "applied": false; the bridge
sends it when it reconnects (fs_bridge.agents.reconcile). Going on break over the company's limit is
allowed, but answered with a warning and written to the audit log the admins read (seed 004)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict
from sqlmodel import select
from starlette.responses import JSONResponse

from web import clock
from web.domain import agents, callcenter
from web.api.me import own_user
from web.api.problems import Problem, field_problem
from web.api.routing import api, jsonable
from web.models.audit import AuditEntry
from web.models.live import QueueAgent
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.scoping import get_owned, scoped

StatusWord = Literal["available", "on_break", "logged_out"]


class AgentPublic(BaseModel):
    user_id: int
    name: str
    extension: str
    status: StatusWord  # the agent's choice
    freeswitch_status: str  # what mod_callcenter is told to hold: 'Logged Out' while no phone is registered
    offered: bool  # queue calls may be offered now (available, with a registered phone)
    state: str  # mod_callcenter's agent state (Waiting, Receiving, In a queue call, Idle)
    phone_registered: bool
    queues: list[int]
    status_changed_at: Optional[datetime] = None


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Optional in the shape so a foreign user id answers 404 before a missing status answers 422.
    status: Optional[StatusWord] = None


class BreakWarning(BaseModel):
    code: Literal["break_limit_exceeded"] = "break_limit_exceeded"
    message: str
    on_break: int
    limit: int


class StatusResult(BaseModel):
    agent: AgentPublic
    applied: bool  # FreeSWITCH took it; false: kept here and applied when FreeSWITCH is back (202)
    warning: Optional[BreakWarning] = None


def public_agent(user: PbxUser, row: Optional[QueueAgent], queues: list[int], registered: bool) -> AgentPublic:
    status = row.status if row is not None else agents.LOGGED_OUT
    return AgentPublic(
        user_id=user.id, name=f"{user.first_name} {user.last_name}".strip(), extension=user.extension,
        status=agents.API_WORDS.get(status, "logged_out"), freeswitch_status=agents.effective(status, registered),
        offered=status == agents.AVAILABLE and registered, state=row.state if row is not None else "Waiting",
        phone_registered=registered, queues=queues, status_changed_at=row.status_changed_at if row else None)


def list_agents(ctx):
    """Every agent of the company (users in any queue's tiers): status, state, phone, queues."""
    queues = agents.queues_of_users(ctx.db, ctx.tenant_id)
    if not queues:
        return []
    users = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.id.in_(list(queues)))
                        .order_by(PbxUser.extension)).all()
    rows = {row.user_id: row for row in ctx.db.exec(scoped(QueueAgent, ctx.tenant_id)).all()}
    registered = agents.registered_users(ctx.db, ctx.tenant_id)
    return [public_agent(user, rows.get(user.id), queues[user.id], user.id in registered) for user in users]


def _agent_user(ctx, user: PbxUser) -> list[int]:
    queues = agents.queues_of_users(ctx.db, ctx.tenant_id).get(user.id)
    if not queues:
        raise Problem(409, "not_an_agent")
    return queues


def _set(ctx, user: PbxUser, body: StatusRequest):
    if body.status is None:
        raise field_problem(422, "status_missing", "/status", "one of available, on_break, logged_out")
    queues = _agent_user(ctx, user)
    domain = ctx.db.get(Tenant, ctx.tenant_id).sip_domain
    change = agents.choose(ctx.db, ctx.tenant_id, domain, user.id, agents.STATUS_WORDS[body.status])
    warning = None
    if change.over_break_limit is not None:
        warning = BreakWarning(message=_break_text(ctx, change.over_break_limit), **change.over_break_limit)
        _audit_break(ctx, user, change.over_break_limit)
    # Sent before the row is written (no write lock held while FreeSWITCH answers) and before the
    # commit, so the answer can say whether it took: should the write fail after it, FreeSWITCH's
    # agent-status-change event brings the database back in line through the bridge.
    # The agent is loaded first: one FreeSWITCH has not loaded yet (added to a queue since it started)
    # would answer "Agent not found". A refusal is said as it is, and nothing is kept; FreeSWITCH out
    # of reach keeps the choice, which the bridge applies when it is back (202).
    report, _ = callcenter.run(ctx.settings, callcenter.status_commands(user.id, domain, change.command),
                               timeout=agents.ESL_TIMEOUT)
    if report.reachable and not report.applied:
        raise Problem(502, "freeswitch_refused", "; ".join(item["reply"] for item in report.refused),
                      extra={"refused": report.refused})
    applied = report.applied
    change = agents.keep(ctx.db, ctx.tenant_id, domain, user.id, agents.STATUS_WORDS[body.status], change)
    result = StatusResult(agent=public_agent(user, change.row, queues, change.row.phone_registered), applied=applied,
                          warning=warning)
    return JSONResponse(jsonable(result), status_code=200 if applied else 202)


def _break_text(ctx, over: dict) -> str:
    from web.i18n import t

    return t(ctx.lang, "agents.break_limit_exceeded", **over)


def _audit_break(ctx, user: PbxUser, over: dict) -> None:
    # No row of a configuration changes, so the flush listener writes nothing: the notice the admins
    # see in the audit log is written here.
    actor = ctx.actor()
    ctx.db.add(AuditEntry(
        tenant_id=ctx.tenant_id, at=clock.now(), actor_account_id=actor.account_id, actor_email=actor.email,
        source_ip=actor.source_ip, action="agent.break_limit_exceeded", object_type="agent",
        object_id=str(user.id), summary={"user_id": user.id, "extension": user.extension, **over}))


def set_agent_status(ctx, body: StatusRequest, id: int):
    """Set an agent's status (admin): available, on_break or logged_out."""
    user = get_owned(ctx.db, PbxUser, ctx.tenant_id, id)
    return _set(ctx, user, body)


def my_agent(ctx):
    """One's own agent status, state, phone and queues."""
    user = own_user(ctx)
    queues = _agent_user(ctx, user)
    row = agents.agent_row(ctx.db, ctx.tenant_id, user.id, create=False)
    return public_agent(user, row, queues, agents.user_registered(ctx.db, ctx.tenant_id, user.id))


def set_my_agent(ctx, body: StatusRequest):
    """Log oneself in or out of the queues, or take a break."""
    return _set(ctx, own_user(ctx), body)


def log_out_with_portal(ctx) -> None:
    """Logging out of the web panel logs the agent out of the queues too, unless the company switched it
    off (company_settings.agent_logout_with_portal; seed 004). Called by POST /api/auth/logout; never
    stops the logout: FreeSWITCH is told after the commit, off the request's path."""
    if ctx.account is None or ctx.tenant_id is None:
        return
    user = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.account_id == ctx.account.id)).first()
    if user is None or not agents.company_settings(ctx.db, ctx.tenant_id).agent_logout_with_portal:
        return
    row = agents.agent_row(ctx.db, ctx.tenant_id, user.id, create=False)
    if row is None or row.status == agents.LOGGED_OUT:
        return
    domain = ctx.db.get(Tenant, ctx.tenant_id).sip_domain
    change = agents.choose(ctx.db, ctx.tenant_id, domain, user.id, agents.LOGGED_OUT)
    settings = ctx.settings

    def tell():
        import threading

        commands = callcenter.status_commands(user.id, domain, change.command)
        threading.Thread(target=agents.send, args=(settings, commands), daemon=True).start()

    ctx.after_commit(tell)


routes = [
    api("GET", "/api/agents", list_agents, permission="live.read", response=list[AgentPublic]),
    api("PUT", "/api/agents/{id:int}/status", set_agent_status, permission="pbx.manage", body=StatusRequest,
        response=StatusResult, model=PbxUser),
    api("GET", "/api/me/agent", my_agent, permission="phone.self", response=AgentPublic),
    api("PUT", "/api/me/agent", set_my_agent, permission="phone.self", body=StatusRequest, response=StatusResult),
]
