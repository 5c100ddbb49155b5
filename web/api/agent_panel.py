"""The agent panel's API (seed 004, #15 item 3): one read of everything the panel shows, the current
call's controls, the outcome of a call, and the call-back tasks. The rules are in web.domain.agent_panel
and web.domain.agent_calls; the agent's own status stays with /api/me/agent (web/api/agents.py).

Agents see and act on their own: their calls, records and tasks; anything else of the company, or of
another company, reads as not found. Admins see the same panel for any agent (`?user_id=`) and a view
per queue, and may act on any call of the company."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from web import clock
from web.api.agents import AgentPublic, public_agent as agent_public
from web.api.params import int_param
from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.domain import agent_calls, agent_panel, agents
from web.models.agent_panel import AgentTask
from web.models.call_record import CallRecord
from web.models.live import QueueAgent
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.permissions import allowed
from web.scoping import get_owned, scoped
from web.validation import Instant, Note


class QueueRef(BaseModel):
    id: int
    name: str
    extension: Optional[str] = None


class UserRef(BaseModel):
    id: int
    name: str
    extension: str


class CallCard(BaseModel):
    call_uuid: str
    direction: str
    caller_number: str
    caller_name: str
    dialled_number: str
    state: str
    offered: bool  # ringing the agent, not taken yet
    started_at: datetime
    bridged_at: Optional[datetime] = None
    waiting_seconds: int  # from the start until a person took it (or now)
    queue_id: Optional[int] = None
    queue_name: Optional[str] = None
    plan_id: Optional[int] = None
    steps: list[str] = []  # the plan steps it took, in order
    agent_leg_known: bool  # hold and attended transfer act on the agent's own leg


class Tile(BaseModel):
    user_id: int
    name: str
    extension: str
    status: str  # available, on_break, logged_out
    state: str
    phone_registered: bool
    on_call: bool
    status_changed_at: Optional[datetime] = None


class DayStatsPublic(BaseModel):
    answered: int
    missed: int
    talk_seconds: int
    average_handling_seconds: int
    break_seconds: int


class RecentCall(BaseModel):
    id: int
    direction: Literal["inbound", "outbound"]  # received by the agent, or made by them
    number: str  # the other party: whom to call back
    name: str
    started_at: datetime
    billed_seconds: int
    missed: bool
    outcome_status_id: Optional[int] = None
    outcome_label: str = ""
    outcome_note: str = ""
    outcome_at: Optional[datetime] = None


class TaskPublic(BaseModel):
    id: int
    number: str
    note: str
    due_at: datetime
    call_record_id: Optional[int] = None


class StatusRef(BaseModel):
    id: int
    name: str
    default_for: Optional[str] = None
    asks_callback: bool


class Panel(BaseModel):
    viewer_is_admin: bool
    agent: Optional[AgentPublic] = None  # None: an admin with no agent to show
    agents: list[UserRef]  # whose panel an admin may open
    queues: list[QueueRef]  # the agent's queues
    call: Optional[CallCard] = None
    tiles: list[Tile]
    stats: DayStatsPublic
    recent_calls: list[RecentCall]
    tasks: list[TaskPublic]  # due now
    later_tasks: int  # planned for later
    statuses: list[StatusRef]
    default_status: dict[str, int]  # direction -> status id preselected
    break_limit: Optional[int] = None
    on_break: int
    targets_users: list[UserRef]
    targets_queues: list[QueueRef]


# --- reading ----------------------------------------------------------------------------------------------


def _is_admin(ctx) -> bool:
    return allowed(ctx.role, "pbx.manage")


def _viewer(ctx) -> Optional[PbxUser]:
    return agent_panel.own_user(ctx.db, ctx.tenant_id, ctx.account.id)


def _card(ctx, call, row: Optional[QueueAgent], queues) -> CallCard:
    queue = queues.get(call.queue_id) if call.queue_id is not None else None
    return CallCard(
        call_uuid=call.call_uuid, direction=call.direction, caller_number=call.caller_number,
        caller_name=call.caller_name, dialled_number=call.dialled_number, state=call.state,
        offered=call.bridged_at is None and row is not None and row.call_uuid == call.call_uuid and not row.agent_uuid,
        started_at=call.started_at, bridged_at=call.bridged_at, waiting_seconds=agent_panel.waiting_seconds(call, clock.now()),
        queue_id=call.queue_id, queue_name=queue.name if queue is not None else None, plan_id=call.plan_id,
        steps=[str(step) for step in (call.steps or ([call.step] if call.step else []))],
        agent_leg_known=bool(row is not None and row.agent_uuid and row.call_uuid == call.call_uuid))


def _recent(record: CallRecord, user: PbxUser) -> RecentCall:
    made = agent_panel.made_by(record, user)
    return RecentCall(
        id=record.id, direction="outbound" if made else "inbound", number=agent_panel.other_party(record, user),
        name="" if made else record.caller_name, started_at=record.started_at, billed_seconds=record.billed_seconds,
        missed=record.missed, outcome_status_id=record.outcome_status_id, outcome_label=record.outcome_label,
        outcome_note=record.outcome_note, outcome_at=record.outcome_at)


def _agent_to_show(ctx, viewer: Optional[PbxUser], admin: bool, visible: list[PbxUser]) -> Optional[PbxUser]:
    wanted = int_param(ctx.request.query_params, "user_id", None, 1, 2**31 - 1)
    if wanted is not None:
        if not admin and (viewer is None or wanted != viewer.id):
            raise Problem(404, "not_found")
        user = get_owned(ctx.db, PbxUser, ctx.tenant_id, wanted)
        if not agents.queues_of_users(ctx.db, ctx.tenant_id).get(user.id):
            raise Problem(409, "not_an_agent")
        return user
    if viewer is not None and agents.queues_of_users(ctx.db, ctx.tenant_id).get(viewer.id):
        return viewer
    if admin:
        return visible[0] if visible else None
    if viewer is None:
        raise Problem(409, "no_pbx_user")
    raise Problem(409, "not_an_agent")


def get_panel(ctx):
    """Everything the agent panel shows: the agent's status and queues, the current call, colleagues'
    tiles, today's statistics, today's calls with their outcomes, due call-back tasks, the statuses to
    choose from. Admins: `?user_id=` shows that agent's panel."""
    db, tenant_id = ctx.db, ctx.tenant_id
    admin = _is_admin(ctx)
    viewer = _viewer(ctx)
    everyone = agent_panel.visible_agents(db, tenant_id, viewer, admin=True)
    user = _agent_to_show(ctx, viewer, admin, everyone)
    queues = agent_panel.queue_names(db, tenant_id)
    of_users = agents.queues_of_users(db, tenant_id)
    rows = {row.user_id: row for row in db.exec(scoped(QueueAgent, tenant_id)).all()}
    registered = agents.registered_users(db, tenant_id)
    settings = agents.company_settings(db, tenant_id)
    statuses = [StatusRef(id=s.id, name=s.name, default_for=s.default_for, asks_callback=s.asks_callback)
                for s in agent_panel.statuses(db, tenant_id)]
    panel = dict(viewer_is_admin=admin, agents=[UserRef(id=u.id, name=agent_panel.name_of(u), extension=u.extension)
                                                for u in (everyone if admin else [])],
                 statuses=statuses, default_status=agent_panel.default_statuses(db, tenant_id),
                 break_limit=settings.max_agents_on_break, on_break=agents.on_break_count(db, tenant_id),
                 targets_users=[UserRef(id=u.id, name=agent_panel.name_of(u), extension=u.extension)
                                for u in db.exec(scoped(PbxUser, tenant_id).order_by(PbxUser.extension)).all()],
                 targets_queues=[QueueRef(id=q.id, name=q.name, extension=q.extension) for q in queues.values()])
    if user is None:
        return Panel(**panel, queues=[], tiles=[], stats=DayStatsPublic(**agent_panel.DayStats().__dict__),
                     recent_calls=[], tasks=[], later_tasks=0)
    row = rows.get(user.id)
    call = agent_panel.current_call(db, tenant_id, user.id, row)
    shown = user if admin else viewer
    tile_users = agent_panel.visible_agents(db, tenant_id, shown, admin=admin)
    busy = {r.user_id for r in rows.values() if r.call_uuid} | agent_panel.users_on_calls(db, tenant_id)
    tiles = [Tile(user_id=u.id, name=agent_panel.name_of(u), extension=u.extension,
                  status=agents.API_WORDS.get(rows[u.id].status if u.id in rows else agents.LOGGED_OUT, "logged_out"),
                  state=rows[u.id].state if u.id in rows else "Waiting", phone_registered=u.id in registered,
                  on_call=u.id in busy, status_changed_at=rows[u.id].status_changed_at if u.id in rows else None)
             for u in tile_users if u.id != user.id]
    stats = agent_panel.stats_today(db, tenant_id, [user.id])[user.id]
    due, later = agent_panel.tasks(db, tenant_id, user.id)
    return Panel(
        **panel, agent=agent_public(user, row, of_users.get(user.id, []), user.id in registered),
        queues=[QueueRef(id=q, name=queues[q].name, extension=queues[q].extension) for q in of_users.get(user.id, []) if q in queues],
        call=_card(ctx, call, row, queues) if call is not None else None, tiles=tiles,
        stats=DayStatsPublic(**stats.__dict__),
        recent_calls=[_recent(record, user) for record in agent_panel.recent_calls(db, tenant_id, user)],
        tasks=[TaskPublic(id=t.id, number=t.number, note=t.note, due_at=t.due_at, call_record_id=t.call_record_id) for t in due],
        later_tasks=later)


class QueueAgentStats(BaseModel):
    user_id: int
    name: str
    extension: str
    status: str
    on_call: bool
    stats: DayStatsPublic


class QueueOverview(BaseModel):
    queue: QueueRef
    agents: list[QueueAgentStats]
    waiting: list[CallCard]
    totals: DayStatsPublic  # its agents' statistics of today, added up


def get_queues(ctx):
    """Per queue (admins and reports): its agents with their status and statistics of today, the calls
    waiting in it now, and the totals."""
    db, tenant_id = ctx.db, ctx.tenant_id
    views = agent_panel.queues_overview(db, tenant_id)
    user_ids = sorted({user_id for view in views for user_id in view.agent_ids})
    users = {u.id: u for u in db.exec(scoped(PbxUser, tenant_id).where(PbxUser.id.in_(user_ids))).all()} if user_ids else {}
    rows = {row.user_id: row for row in db.exec(scoped(QueueAgent, tenant_id)).all()}
    stats = agent_panel.stats_today(db, tenant_id, user_ids)
    busy = {r.user_id for r in rows.values() if r.call_uuid} | agent_panel.users_on_calls(db, tenant_id)
    queues = {view.queue.id: view.queue for view in views}
    answer = []
    for view in views:
        members = [QueueAgentStats(
            user_id=user_id, name=agent_panel.name_of(users[user_id]), extension=users[user_id].extension,
            status=agents.API_WORDS.get(rows[user_id].status if user_id in rows else agents.LOGGED_OUT, "logged_out"),
            on_call=user_id in busy, stats=DayStatsPublic(**stats[user_id].__dict__))
            for user_id in view.agent_ids if user_id in users]
        totals = {name: sum(getattr(m.stats, name) for m in members) for name in DayStatsPublic.model_fields}
        totals["average_handling_seconds"] = round(totals["talk_seconds"] / totals["answered"]) if totals["answered"] else 0
        answer.append(QueueOverview(queue=QueueRef(id=view.queue.id, name=view.queue.name, extension=view.queue.extension),
                                    agents=members, waiting=[_card(ctx, call, None, queues) for call in view.waiting],
                                    totals=DayStatsPublic(**totals)))
    return answer


# --- the current call -----------------------------------------------------------------------------------


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Optional in the shape so a call that is not the caller's answers 404 before a missing field 422.
    to: Optional[Literal["user", "queue", "number"]] = None
    user_id: Optional[int] = None
    queue_id: Optional[int] = None
    number: Optional[str] = Field(default=None, max_length=40)
    attended: bool = False


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: bool = True


class CallActionResult(BaseModel):
    call_uuid: str
    action: str
    commands: int  # how many commands FreeSWITCH took


def _rights(ctx, call_uuid: str):
    if not agent_calls.UUID.match(call_uuid):
        raise Problem(404, "not_found")
    admin = _is_admin(ctx)
    viewer = _viewer(ctx)
    if viewer is None and not admin:
        raise Problem(409, "no_pbx_user")
    return agent_panel.call_for_action(ctx.db, ctx.tenant_id, call_uuid, viewer, admin)


def _target(ctx, body: TransferRequest) -> agent_calls.Target:
    from web.models.queue import CallQueue

    if body.to is None:
        raise field_problem(422, "invalid", "/to", "one of user, queue, number")
    if body.to == "user":
        if body.user_id is None:
            raise field_problem(422, "invalid", "/user_id", "choose a user")
        user = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.id == body.user_id)).first()
        if user is None:
            raise field_problem(422, "invalid", "/user_id", "not a user of the company")
        return agent_calls.Target(number=user.extension, user_extension=user.extension)
    if body.to == "queue":
        if body.queue_id is None:
            raise field_problem(422, "invalid", "/queue_id", "choose a queue")
        queue = ctx.db.exec(scoped(CallQueue, ctx.tenant_id).where(CallQueue.id == body.queue_id)).first()
        if queue is None:
            raise field_problem(422, "invalid", "/queue_id", "not a queue of the company")
        return agent_calls.Target(number=queue.extension, queue_id=queue.id)
    number = agent_calls.SEPARATORS.sub("", body.number or "")
    if not agent_calls.NUMBER.match(number):
        raise field_problem(422, "invalid", "/number", "must be a phone number: digits, a leading +, * and #")
    return agent_calls.Target(number=number)


def transfer_call(ctx, body: TransferRequest, call_uuid: str):
    """Transfer the call to a user, a queue or a number: blind (the caller goes there now), or attended
    (the agent talks to the target first; hanging up joins the caller and the target)."""
    rights = _rights(ctx, call_uuid)
    target = _target(ctx, body)
    domain = ctx.db.get(Tenant, ctx.tenant_id).sip_domain
    if body.attended:
        leg = agent_calls.agent_leg(ctx.settings, call_uuid, rights.agent_leg, rights.call.switch)
        commands = agent_calls.attended_transfer(leg, domain, target, _parker(ctx, rights, target))
    else:
        commands = agent_calls.blind_transfer(call_uuid, domain, target, _parker(ctx, rights, target))
    agent_calls.run(ctx.settings, commands, rights.call.switch)
    return CallActionResult(call_uuid=call_uuid, action="attended_transfer" if body.attended else "transfer",
                            commands=len(commands))


def _parker(ctx, rights, target: agent_calls.Target) -> Optional[str]:
    """The extension a parked call returns to, when the transfer parks it: the agent whose call it is (an
    admin acting on an agent's call parks it for that agent), else the one asking."""
    from web.domain import parking

    if target.number is None or target.queue_id is not None or not parking.parks(ctx.db, ctx.tenant_id, target.number):
        return None
    owner = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.id == rights.owner_id)).first() \
        if rights.owner_id is not None else None
    owner = owner or _viewer(ctx)
    return owner.extension if owner is not None else None


def hang_up_call(ctx, call_uuid: str):
    """End the call."""
    rights = _rights(ctx, call_uuid)
    commands = agent_calls.hang_up(call_uuid)
    agent_calls.run(ctx.settings, commands, rights.call.switch)
    return CallActionResult(call_uuid=call_uuid, action="hang_up", commands=len(commands))


def hold_call(ctx, body: HoldRequest, call_uuid: str):
    """Put the caller on hold (they hear the hold music) or take them off it."""
    rights = _rights(ctx, call_uuid)
    leg = agent_calls.agent_leg(ctx.settings, call_uuid, rights.agent_leg, rights.call.switch)
    commands = agent_calls.hold(leg, body.on)
    agent_calls.run(ctx.settings, commands, rights.call.switch)
    return CallActionResult(call_uuid=call_uuid, action="hold" if body.on else "resume", commands=len(commands))


# --- after the call ---------------------------------------------------------------------------------------


class OutcomeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status_id: Optional[int] = None
    note: Note = ""
    callback_at: Optional[Instant] = None  # a task for the agent from then on


class OutcomePublic(BaseModel):
    id: int
    outcome_status_id: Optional[int] = None
    outcome_label: str
    outcome_note: str
    outcome_by_user_id: Optional[int] = None
    outcome_at: Optional[datetime] = None
    task: Optional[TaskPublic] = None


def set_outcome(ctx, body: OutcomeRequest, id: int):
    """The agent's word on one of their calls: a status of the company's list, a note, and optionally a
    time to call back (a task in their list from then on). Admins: any call of the company."""
    admin = _is_admin(ctx)
    viewer = _viewer(ctx)
    record = agent_panel.record_for_outcome(ctx.db, ctx.tenant_id, id, viewer, admin)
    task = agent_panel.set_outcome(ctx.db, ctx.tenant_id, record, viewer,
                                   agent_panel.Outcome(body.status_id, body.note or "", body.callback_at))
    ctx.db.flush()
    return OutcomePublic(id=record.id, outcome_status_id=record.outcome_status_id, outcome_label=record.outcome_label,
                         outcome_note=record.outcome_note, outcome_by_user_id=record.outcome_by_user_id,
                         outcome_at=record.outcome_at,
                         task=TaskPublic(id=task.id, number=task.number, note=task.note, due_at=task.due_at,
                                         call_record_id=task.call_record_id) if task is not None else None)


def task_done(ctx, id: int):
    """Tick a call-back task off."""
    task = agent_panel.task_for(ctx.db, ctx.tenant_id, id, _viewer(ctx), _is_admin(ctx))
    if task.done_at is None:
        task.done_at = clock.now()
        ctx.db.add(task)
    return None


routes = [
    api("GET", "/api/agent-panel", get_panel, permission="phone.self", response=Panel),
    api("GET", "/api/agent-panel/queues", get_queues, permission="calls.read", response=list[QueueOverview]),
    api("POST", "/api/agent-panel/calls/{call_uuid}/transfer", transfer_call, permission="phone.self",
        body=TransferRequest, response=CallActionResult),
    api("POST", "/api/agent-panel/calls/{call_uuid}/hang-up", hang_up_call, permission="phone.self",
        response=CallActionResult),
    api("POST", "/api/agent-panel/calls/{call_uuid}/hold", hold_call, permission="phone.self", body=HoldRequest,
        response=CallActionResult),
    api("PUT", "/api/call-records/{id:int}/outcome", set_outcome, permission="phone.self", body=OutcomeRequest,
        response=OutcomePublic, model=CallRecord),
    api("POST", "/api/agent-panel/tasks/{id:int}/done", task_done, permission="phone.self", status=204, model=AgentTask),
]
