"""The configuration section: callcenter.conf, made from the database for every tenant (and, by their own
modules, acl.conf and voicemail.conf). Every other file answers "not found" and FreeSWITCH reads its own
(freeswitch/autoload_configs).

Names as the dialplan uses them: queues "q<id>@<domain>", and "q<id>w<seconds>@<domain>" for a plan's
queue step with its own maximum wait (mod_callcenter reads max-wait-time from the queue, not from the
channel), with the same agents and tiers; agents "u<user id>@<domain>", one per user, so the feature
codes can log any user in. mod_callcenter applies an agent's status found here at every load (module
load, `callcenter_config queue load|reload`), so an agent carries one only when the app knows the
agent's choice (queue_agent, kept by the bridge and the agents API), and then the status to hold NOW:
never 'Available' for an agent without a registered phone (web.domain.agents.effective, FusionPBX #2831).
Agents the app knows nothing of keep what mod_callcenter's own database holds. Those statuses change
with every registration, so they are put into the cached document at each fetch (with_statuses), not
built into it.

mod_callcenter asks for callcenter.conf when it loads and again for a queue it has not loaded yet (a
new queue or variant entering service), so the answer is the whole file, cached until a tenant changes."""

from __future__ import annotations

import logging
import re
from typing import Optional

from pydantic import ValidationError
from sqlmodel import select

from callplan import recording
from callplan.objects import TenantObjects
from callplan.xml import Document
from web.domain.callplan_snapshot import published_documents, with_diversions
from web.db import session_scope
from web.models.call_plan import CallPlanRecord
from web.models.company import CompanySettings
from web.models.pbx_user import AgentSettings, PbxUser
from web.models.queue import CallQueue
from web.models.tenant import Tenant
from web.scoping import scoped
from web.xml_curl import acl, cache, voicemail_conf

log = logging.getLogger("web.xml_curl")

FILE = "callcenter.conf"
FIELDS = ("key_value",)
DEFAULT_MOH = "local_stream://moh"
# mod_callcenter cannot say a caller's position; "announce position" plays this between the music
ANNOUNCE_SOUND = "ivr/ivr-one_moment_please.wav"
AGENT_RING_S = 20  # how long a queue call rings an agent before trying the next
# The same settings as freeswitch/autoload_configs/callcenter.conf.xml: this answer replaces that file.
SETTINGS = {"dbname": "callcenter", "truncate-tiers-on-load": "false", "truncate-agents-on-load": "false"}


def answer(engine, settings, fields: dict) -> Optional[bytes]:
    if fields.get("key_value") == acl.FILE:  # blocked addresses (web.xml_curl.acl)
        return acl.answer(engine, settings, fields)
    if fields.get("key_value") == voicemail_conf.FILE:  # a profile per longest message
        return voicemail_conf.answer(engine)
    if fields.get("key_value") != FILE:
        return None
    generations = cache.all_generations(engine)
    document = cache.of(engine).callcenter.get(FILE, generations, lambda: (build(engine, settings), None))
    return with_statuses(engine, document)


_AGENT_TAG = re.compile(rb'<agent name="(u\d+@[a-z0-9.-]+)" ')


def with_statuses(engine, document: bytes) -> bytes:
    """The document with the status each known agent must hold now (web.domain.agents.conf_statuses); one
    query, and one pass over the text."""
    from web.domain.agents import conf_statuses

    with session_scope(engine) as db:
        statuses = conf_statuses(db)
    if not statuses:
        return document

    def add(match: re.Match) -> bytes:
        status = statuses.get(match.group(1).decode())
        if status is None:
            return match.group(0)
        return match.group(0) + b'status="' + status.encode() + b'" '

    return _AGENT_TAG.sub(add, document)


def variants(document: dict, active: list, queues: dict) -> set[tuple[int, int]]:
    """(queue id, max wait) of a published plan's queue steps that wait other than their queue, in
    every branch and diversion (switching a diversion on must not need a new queue)."""
    try:
        plan = with_diversions(document, active)
    except ValidationError:
        return set()
    found = set()
    for _, step in plan.walk():
        if step.type == "queue" and step.queue in queues and step.max_wait_s is not None \
                and step.max_wait_s != queues[step.queue].max_wait_s:
            found.add((step.queue, step.max_wait_s))
    return found


def build(engine, settings) -> bytes:
    document = Document("configuration")
    conf = document.child(document.section, "configuration", name=FILE,
                          description="queues, agents and tiers of every tenant")
    element = document.child(conf, "settings")
    for name, value in SETTINGS.items():
        document.child(element, "param", name=name, value=value)
    queues_element = document.child(conf, "queues")
    agents_element = document.child(conf, "agents")
    tiers_element = document.child(conf, "tiers")
    with session_scope(engine) as db:
        tenants = db.exec(select(Tenant.id, Tenant.sip_domain).order_by(Tenant.id)).all()
        for tenant_id, domain in tenants:
            queues = {q.id: q for q in db.exec(scoped(CallQueue, tenant_id).order_by(CallQueue.id)).all()}
            users = db.exec(scoped(PbxUser, tenant_id).order_by(PbxUser.id)).all()
            company = db.exec(scoped(CompanySettings, tenant_id)).first()
            active = {r.id: r.active_diversions for r in db.exec(scoped(CallPlanRecord, tenant_id)).all()}
            waits: set[tuple[int, int]] = set()
            for plan_id, version in published_documents(db, tenant_id).items():
                waits |= variants(version.document, active.get(plan_id, []), queues)
            paths = TenantObjects.model_construct(tenant_id=tenant_id, audio_dir=str(settings.audio_dir))
            company_moh = company.music_on_hold_audio_id if company is not None else None
            user_ids = {user.id for user in users}
            for user in users:
                _agent(document, agents_element, user, domain)
            for queue in queues.values():
                moh_id = queue.music_on_hold_audio_id if queue.music_on_hold_audio_id is not None else company_moh
                moh = paths.audio_path(moh_id) if moh_id is not None else DEFAULT_MOH
                names = [(f"q{queue.id}@{domain}", queue.max_wait_s)]
                names += [(f"q{queue.id}w{wait}@{domain}", wait) for qid, wait in sorted(waits) if qid == queue.id]
                for name, wait in names:
                    _queue(document, queues_element, name, queue, moh, wait)
                    for tier in queue.tiers:
                        if tier.get("user_id") in user_ids:
                            document.child(tiers_element, "tier", agent=f"u{tier['user_id']}@{domain}", queue=name,
                                           level=str(tier.get("level", 1)), position=str(tier.get("position", 1)))
    return document.to_string().encode()


def _queue(document: Document, parent, name: str, queue: CallQueue, moh: str, wait: int) -> None:
    element = document.child(parent, "queue", name=name)
    params = {
        "strategy": queue.strategy,
        "moh-sound": moh,
        "time-base-score": "system",
        "max-wait-time": str(wait),
        "max-wait-time-with-no-agent": "0",
        "max-wait-time-with-no-agent-time-reached": "5",
        "tier-rules-apply": "false",
        "discard-abandoned-after": "60",
        "abandoned-resume-allowed": "false",
    }
    if queue.announce_position:
        params.update({"announce-sound": ANNOUNCE_SOUND, "announce-frequency": str(queue.announce_every_s)})
    if queue.record_calls:
        # mod_callcenter records the caller's leg once an agent takes the call (callplan.recording)
        params["record-template"] = recording.queue_template(queue.tenant_id)
    for key, value in params.items():
        document.child(element, "param", name=key, value=value)


def _agent(document: Document, parent, user: PbxUser, domain: str) -> None:
    try:
        agent = AgentSettings.model_validate(user.agent or {})
    except ValidationError:
        agent = AgentSettings()
    document.child(parent, "agent", name=f"u{user.id}@{domain}", type="callback",
                   contact=f"[call_timeout={AGENT_RING_S}]user/{user.extension}@{domain}",
                   **{"max-no-answer": str(agent.max_no_answer), "wrap-up-time": str(agent.wrap_up_time_s),
                      "reject-delay-time": str(agent.reject_delay_s), "busy-delay-time": str(agent.busy_delay_s),
                      "no-answer-delay-time": str(agent.no_answer_delay_s)})
