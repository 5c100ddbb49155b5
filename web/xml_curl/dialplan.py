"""The dialplan section: one context per tenant (named after its SIP domain), and "public".

"public" is where calls from carriers arrive (the external profile's context). The dialled number is
looked up among the platform's public numbers; the answer is a one-extension "public" context that
sets domain_name and transfers the call, number unchanged (E.164), into the owner's context. A number
nobody owns answers "not found" and FreeSWITCH uses its static public context (fallback routing).

A tenant's context is one document: the published plans' segments first (a plan's entry matches its
numbers, E.164 included), then its public numbers that no plan answers (each to its stored
destination, or refused), then the base dialplan (feature codes, users, groups, ..., calls out). The
order matters: FreeSWITCH runs the first extension that matches, and the base dialplan ends with the
catch-all that calls numbers out through the gateway. A public number of the tenant reaching that
catch-all would be dialled out and come straight back in, so every number the tenant owns is matched
before it.

That document is built and cached whole, but each fetch is answered with the part of it that can run
for the number being routed (`TenantDialplan.for_number`): the extensions, in order, whose first
condition on destination_number matches it. For a company of 1,000 users the whole context is over a
megabyte, and FreeSWITCH fetches it again at every transfer; sending it whole would cost more than
everything else together. The part runs exactly as the whole would: mod_dialplan_xml hunts the
extensions in order and one whose first condition fails adds nothing and does not stop the hunt (no
extension here has anti-actions, "break", "regex" or time attributes on its first condition; one that
had would always be sent), and no extension sets "continue". The number is matched with Python's re
on patterns made by callplan.xml (literal alternatives, a literal prefix, a few character classes),
where it agrees with FreeSWITCH's PCRE; a pattern it cannot read is always sent.

What changes with every call stays out of the cached document: a circular or uniform ring group is
ordered by who took its last calls, so its bridge is kept open (callplan.nodes.ring_group.Rotation) and
filled in per fetch from ring_group_state (`rotation_state`, one query, only for numbers that reach such
a group). Answered calls therefore never bump the configuration generation (web.domain.audit.NOT_CONFIG)
and never cost a rebuild."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from pydantic import ValidationError

from callplan import home
from callplan.base_dialplan import COMPANY_SCREEN, BaseDialplan
from callplan.compiler import compile_plan
from callplan.destinations import emit, extension_of
from callplan.engine import Compilation, Segment
from callplan.model import CallPlan
from callplan.nodes import ivr, queue, ring_group, time_condition, voicemail
from callplan.objects import TenantObjects
from callplan.reads import Reading, unchanged
from callplan.xml import (Document, Exact, Prefix, attribute_text, context_head, exact, extension_pieces,
                          plain_extensions)
from web import clock
from web.domain.callplan_snapshot import (KeptChecks, checked_rows, plan_rows, published_versions, snapshot,
                                          with_diversions)
from web.db import session_scope
from web.models.phone_number import PhoneNumber
from web.xml_curl import cache

log = logging.getLogger("web.xml_curl")

PUBLIC = "public"
FIELDS = ("Hunt-Context", "Caller-Context", "Hunt-Destination-Number", "Caller-Destination-Number")

# Objects a public number can be routed to that have no extension to transfer to: their step type's
# own compile function rings them, as the base dialplan does for their extensions.
_STEPS = {"ring_group": (ring_group, "group"), "queue": (queue, "queue"), "ivr_menu": (ivr, "menu"),
          "voicemail_box": (voicemail, "box")}


def context_of(fields: dict) -> str:
    # Hunt-* is the caller profile being routed (after a transfer, the new one); Caller-* as a fallback.
    return fields.get("Hunt-Context") or fields.get("Caller-Context") or ""


def destination_of(fields: dict) -> str:
    return fields.get("Hunt-Destination-Number") or fields.get("Caller-Destination-Number") or ""


def e164(dialled: str) -> Optional[str]:
    """A carrier's dialled number as E.164: "+31201234567", "0031201234567" and "31201234567" alike."""
    number = dialled.strip()
    for pattern, prefix_length in ((r"\+[1-9][0-9]{5,14}", 1), (r"00[1-9][0-9]{5,14}", 2), (r"[1-9][0-9]{5,14}", 0)):
        if re.fullmatch(pattern, number):
            return "+" + number[prefix_length:]
    return None


def answer(engine, settings, fields: dict) -> Optional[str | bytes]:
    """The document for a dialplan fetch, or None for "not found"."""
    context = context_of(fields)
    if context == PUBLIC:
        return public_context(engine, destination_of(fields), settings)
    tenant = cache.tenant_by_domain(engine, context)
    if tenant is None:
        return None
    tenant_id, generation = tenant
    dialplan = cache.of(engine).dialplans.get(
        tenant_id, generation, lambda: tenant_context(engine, settings, tenant_id, clock.now(), generation))
    return dialplan.for_number(destination_of(fields), lambda: rotation_state(engine, tenant_id))


def rotation_state(engine, tenant_id: int) -> RotationState:
    """ring_group_state as it is now (one indexed query; asked only for numbers that reach a rotating
    group). A member's idle time counts its last answered call in any group."""
    last_answered, idle_since = {}, {}
    for group_id, index, calls in cache.ring_group_states(engine, tenant_id):
        if index is not None:
            last_answered[group_id] = index
        for key, at in (json.loads(calls) if isinstance(calls, str) else calls or {}).items():
            if at > idle_since.get(key, float("-inf")):
                idle_since[key] = at
    return RotationState(last_answered, idle_since)


# --- public ----------------------------------------------------------------------------------------


def public_context(engine, dialled: str, settings=None) -> Optional[str]:
    handed = home.PUBLIC_NUMBER.fullmatch(dialled)
    if handed and settings is not None:
        return home_arrival(engine, settings, int(handed.group(1)), handed.group(2), handed.group(3))
    handed = home.PLAN_NUMBER.fullmatch(dialled)
    if handed and settings is not None:
        tenant_id, plan_id, version, step_id = handed.groups()
        return home_arrival(engine, settings, int(tenant_id), home.PLAN_KIND, step_id,
                            plan=(int(plan_id), int(version)))
    number = e164(dialled)
    owner = cache.tenant_by_number(engine, number) if number else None
    if owner is None:
        return None
    tenant_id, domain, music = owner
    document = Document("dialplan", description="public number")
    context = document.child(document.section, "context", name=PUBLIC)
    extension = document.child(context, "extension", name="public_number")
    condition = document.child(extension, "condition", field="destination_number", expression=exact(dialled))
    # whose call this is, as the app routed it (call records and live calls read these, never SIP headers)
    document.child(condition, "action", application="set", data=f"cp_tenant_id={int(tenant_id)}")
    document.child(condition, "action", application="set", data=f"domain_name={domain}")
    if music is not None and settings is not None:
        # a caller who puts the call on hold plays the company's music to the phone (web.xml_curl.directory.hold_music)
        paths = TenantObjects.model_construct(tenant_id=tenant_id, audio_dir=str(settings.audio_dir))
        document.child(condition, "action", application="set", data=f"hold_music={paths.audio_path(music)}")
    # a call from outside: the company's and its users' incoming call blocking apply (callplan.blocking)
    document.child(condition, "action", application="set", data="cp_from_outside=true")
    document.child(condition, "action", application="transfer", data=f"{number} XML {domain}")
    return document.to_string()


def home_arrival(engine, settings, tenant_id: int, kind: str, object_id: str,
                 plan: Optional[tuple[int, int]] = None) -> Optional[str]:
    """A call another switch hands to this one, the home switch (callplan.home): into the company's context
    at the service's home extension, only with the installation's token in X-Callplan-Home (anyone can
    send this profile an INVITE; without the token the call is refused like a number nobody owns).
    Kind "plan" (`plan`: the plan and version the call was in, `object_id` the queue step): into the
    plan's continuation from that step, the plan's own variables set as its entry sets them."""
    from web.domain.switches import handover_token
    from web.models.tenant import Tenant

    if not settings.home_switch:
        return None
    with session_scope(engine) as db:
        tenant = db.get(Tenant, tenant_id)
        domain = tenant.sip_domain if tenant is not None else None
    if domain is None:
        return None
    document = Document("dialplan", description="handed to the home switch")
    context = document.child(document.section, "context", name=PUBLIC)
    extension = document.child(context, "extension", name="home_arrival")
    if plan is not None:
        dialled = home.plan_public_number(tenant_id, plan[0], plan[1], object_id)
        target = home.continuation(plan[0], object_id)
    else:
        dialled, target = home.public_number(tenant_id, kind, object_id), home.number(kind, object_id)
    document.child(extension, "condition", field="destination_number", expression=exact(dialled))
    condition = document.child(extension, "condition", field=f"${{sip_h_{home.HEADER}}}",
                               expression=exact(handover_token(settings)))
    document.child(condition, "action", application="set", data=f"cp_tenant_id={int(tenant_id)}")
    document.child(condition, "action", application="set", data=f"domain_name={domain}")
    document.child(condition, "action", application="set", data=f"{home.ARRIVED_VARIABLE}=true")
    # the forwarding switch's uuid of this call: its continuation here is no second call (fs_bridge.calls,
    # web.domain.call_records)
    document.child(condition, "action", application="set",
                   data=f"{home.ORIGIN_VARIABLE}=${{sip_h_{home.ORIGIN_HEADER}}}")
    if kind in home.CARRIED:  # who parked it (for the return when nobody takes it), a message's greeting
        header, variable = home.CARRIED[kind]
        document.child(condition, "action", application="set", data=f"{variable}=${{sip_h_{header}}}")
    if plan is not None:  # what callplan.compiler's entry sets, which this leg never passed
        for data in ("continue_on_fail=true", "hangup_after_bridge=true", f"cp_plan={int(plan[0])}",
                     f"cp_version={int(plan[1])}"):
            document.child(condition, "action", application="set", data=data)
    document.child(condition, "action", application="transfer", data=f"{target} XML {domain}")
    document.child(condition, "anti-action", application="respond", data="403 Forbidden")
    return document.to_string()


# --- a tenant's context -----------------------------------------------------------------------------


def tenant_context(engine, settings, tenant_id: int, at: datetime,
                   generation=None) -> tuple["TenantDialplan", Optional[datetime]]:
    """The tenant's whole context at `at`, and until when it holds. Rotating ring groups are left open
    (rotation_at_fetch): their order is put in per fetch, so answered calls never rebuild this. Each
    published plan version is compiled once (`compiled_plan`): a publish compiles that plan again, the
    others come from the cache. What was read for a generation is kept with it (`generation` given): a
    rebuild because the time moved on reads nothing again."""
    store = cache.of(engine).plans
    reads = store.get(("reads", tenant_id)) if generation is not None else None
    if reads is None or reads[0] != generation:
        checks = KeptChecks(tenant_id)
        with session_scope(engine) as db:
            # the published versions and the plans' rows, read once for the snapshot and the plans
            published, rows = published_versions(db, tenant_id), plan_rows(db, tenant_id)
            objects = snapshot(db, tenant_id, settings, checks, plans_read=(published, rows))
            active = {plan_id: diversions for plan_id, _, diversions in rows}
            numbers = sorted(checked_rows(db, PhoneNumber, tenant_id, checks), key=lambda n: n.number)
        checks.write(engine)  # for the next process's first build (web.models.row_check)
        reads = (generation, objects, published, active, numbers)
        if generation is not None:
            store[("reads", tenant_id)] = reads
    _, objects, published, active, numbers = reads
    decided = {}  # (schedule, holidays) -> (open?, until when), for the whole build
    base_extensions, valid_until = base_dialplan(store, tenant_id, objects, at)
    keep_snapshot(store, tenant_id, objects)
    extensions: list[Extension] = []
    answered: set[str] = set()
    for plan_id, version in sorted(published.items()):
        diversions = active.get(plan_id, [])
        # (most plans have no diversion on: the text json.dumps gives for none, without an encoder made per plan)
        key = (tenant_id, plan_id, version.version,
               json.dumps(diversions, sort_keys=True, default=str) if diversions else "[]")
        try:
            plan, until = compiled_plan(store, key, lambda: with_diversions(version.document, diversions), objects, at,
                                        decided)
        except ValidationError:
            # Stored versions were valid when published; one that no longer parses is skipped, not fatal
            # for the other plans and the base dialplan.
            log.warning("call plan %s version %s no longer parses; left out of the dialplan", plan_id, version.version)
            continue
        except Exception:
            # a plan that cannot be compiled (a bug, or objects that changed under it) costs only itself
            log.exception("call plan %s version %s could not be compiled; left out of the dialplan", plan_id, version.version)
            continue
        extensions += plan.extensions
        answered.update(plan.numbers)
        valid_until = cache.earliest(valid_until, until)
    extensions += [Extension(segment.name, [("destination_number", segment.match, segment.actions, [])])
                   for segment in public_numbers([n for n in numbers if n.number not in answered], objects, at)]
    # The base dialplan's extensions have conditions of their own (calls out check the caller ID with a
    # second condition and anti-actions). The company's incoming call blocking goes first: it turns a
    # caller away whatever plan or destination answers the number.
    screen, rest = [], []
    for extension in base_extensions:
        (screen if extension.name.startswith(COMPANY_SCREEN) else rest).append(extension)
    return TenantDialplan(objects.domain, screen + extensions + rest), valid_until


# --- compiled once per published version -------------------------------------------------------------

PLANS_KEPT = 20_000  # compiled plan versions kept per process; then the cache starts again
# What was read for a company's context (its snapshot: the reads and the base dialplan's objects) is kept
# for the companies built last, up to this many of their objects (users, phones, boxes, groups, ...: some
# 2 kB each, so some 40 MB per process), the latest company's always. It is what a rebuild for the same
# generation (the time moved on past a schedule's change) and a publish (the base dialplan compared) save
# reading and making again: ~0.4 against ~12 ms of CPU for a company of 50 users. Kept for every company it
# was most of what a process holds per company: a provider's thousands of companies each cost it ~350 kB
# more in every web process (bench/tenants.py). A company whose snapshot was let go reads it again at its
# next build, as a new process does; its documents stay cached (web.xml_curl.cache).
SNAPSHOT_OBJECTS_KEPT = 20_000
_SNAPSHOTS = ("snapshots",)  # the store's key of the companies whose snapshot is kept, oldest first


def _weight(objects: TenantObjects) -> int:
    return 1 + sum(len(value) for value in objects.__dict__.values() if isinstance(value, dict))


def keep_snapshot(store: dict, tenant_id: int, objects: TenantObjects) -> None:
    """Count the company's snapshot as the latest kept; let go of the oldest ones beyond
    SNAPSHOT_OBJECTS_KEPT objects (their reads and base dialplan: the compiled plans stay)."""
    kept = store.get(_SNAPSHOTS)
    if kept is None:
        kept = store[_SNAPSHOTS] = {}  # tenant id -> weight, in the order last kept (dicts keep it)
    kept.pop(tenant_id, None)
    kept[tenant_id] = _weight(objects)
    total = sum(kept.values())
    while total > SNAPSHOT_OBJECTS_KEPT and len(kept) > 1:
        oldest = next(iter(kept))
        total -= kept.pop(oldest)
        store.pop(("reads", oldest), None)
        store.pop(("base", oldest), None)

VARIANTS_KEPT = 4  # per version: one per combination of time decisions met (open, closed, lunch, ...)


@dataclass
class CompiledPlan:
    extensions: list["Extension"]
    numbers: list[str]
    decisions: dict  # (schedule, holidays) -> open?, as the compilation decided them
    used: dict  # what the compilation read of the tenant's objects (callplan.reads)


def base_dialplan(store: dict, tenant_id: int, objects: TenantObjects,
                  at: datetime) -> tuple[list["Extension"], Optional[datetime]]:
    """The tenant's base dialplan, kept beside its plans: it depends on the objects (nearly all of them,
    so they are compared whole: the snapshot keeps the objects of unchanged rows, so that is mostly
    identity) and on the time only until its next night-mode change, so a publish reuses it."""
    key = ("base", tenant_id)
    kept = store.get(key)
    if kept is not None and kept[2] <= at and (kept[1] is None or at < kept[1]) and same_objects(kept[3], objects):
        return kept[0], kept[1]
    base = BaseDialplan(objects, at, rotation_at_fetch=True)
    extensions = [Extension(name, conditions) for name, conditions in base.records()]
    if len(store) >= PLANS_KEPT:
        store.clear()
    store[key] = (extensions, base.valid_until, at, objects)
    return extensions, base.valid_until


# Rotation state is put in per fetch (rotation_at_fetch): the base dialplan never reads it.
_PER_FETCH = frozenset({"last_answered", "idle_since"})


def same_objects(kept: TenantObjects, objects: TenantObjects) -> bool:
    if kept is objects:
        return True
    now = objects.__dict__
    return all(name in _PER_FETCH or value == now.get(name) for name, value in kept.__dict__.items())


def compiled_plan(store: dict, key: tuple, parse: Callable[[], CallPlan], objects: TenantObjects, at: datetime,
                  decided: dict) -> tuple[CompiledPlan, Optional[datetime]]:
    """The plan version compiled for `at`, and until when that holds. A compilation depends on the time
    only through the time conditions it decided, and on the objects only through what it read of them
    (callplan.reads): one compiled before is reused when each of its (schedule, holidays) pairs comes out
    the same at `at` (`decided` keeps each pair's verdict for the whole build) and each object it read is
    the same; otherwise it is compiled (once more: the variants are kept side by side)."""
    variants = store.get(key, ())
    for variant in variants:
        verdicts = [decided.get(pair) or decided.setdefault(pair, time_condition.decide(pair, objects, at))
                    for pair in variant.decisions]
        if all(verdict[0] == variant.decisions[pair] for pair, verdict in zip(variant.decisions, verdicts)) and \
                unchanged(variant.used, objects):
            return variant, cache.earliest(*(verdict[1] for verdict in verdicts))
    plan_id, version = key[1], key[2]
    plan = parse()
    reading = Reading(objects)
    compilation = compile_plan(plan, plan_id, version, reading, at, rotation_at_fetch=True, known=decided)
    # a segment's further conditions: a queue step's continuation on the home switch (callplan.engine)
    variant = CompiledPlan([Extension(segment.name, [("destination_number", segment.match, segment.actions, []),
                                                     *getattr(segment, "then", ())])
                            for segment in compilation.segments], list(plan.numbers), dict(compilation.decisions),
                           reading.reads)
    if len(store) >= PLANS_KEPT:
        store.clear()
    store[key] = [*variants, variant][-VARIANTS_KEPT:]
    return variant, compilation.valid_until


def public_numbers(numbers: list[PhoneNumber], objects: TenantObjects, at: datetime) -> list[Segment]:
    """One segment per public number no published plan answers: its stored destination, or refused."""
    compilation = Compilation(plan_id=0, version=0, objects=objects, at=at, marks=False, rotation_at_fetch=True)
    for did in numbers:
        segment = Segment(f"number_{did.number.lstrip('+')}", exact(did.number))
        compilation.segments.append(segment)
        if not _route(did.destination, segment, compilation, did.id):
            segment.action("hangup", "UNALLOCATED_NUMBER")
    return compilation.segments


def _route(destination: Optional[dict], segment: Segment, compilation: Compilation, did_id: int) -> bool:
    objects = compilation.objects
    kind = (destination or {}).get("type")
    if kind == "user":
        # by the user's extension, so the call gets the user's forwarding and voicemail rules
        user = objects.users.get(destination.get("id"))
        if user is None:
            return False
        segment.action("transfer", f"{user.extension} XML {objects.domain}")
        return True
    if kind in _STEPS and extension_of(destination, objects) is None:
        module, field = _STEPS[kind]
        segment.action("set", "continue_on_fail=true")
        segment.action("set", "hangup_after_bridge=true")
        if kind == "queue":  # no plan: after the longest wait, the queue's own after_wait
            queue.compile_direct(destination.get("id"), segment, compilation, bridge_set=True)
            return True
        step = module.Step(id=f"n{did_id}", type=module.TYPE, **{field: destination.get("id")})
        if not module.compile(step, segment, compilation):
            segment.action("hangup", "NORMAL_CLEARING")
        return True
    if emit(destination, segment, compilation):
        return True
    if segment.actions:  # a bridge (external number): nothing after it but the end of the call
        segment.action("hangup", "NORMAL_CLEARING")
        return True
    return False


# --- the part of the context a number can run --------------------------------------------------------

ANSWERS_KEPT = 4096  # numbers whose part is kept per tenant; then the memo starts again

# A literal in a PCRE pattern as callplan.xml writes them: no metacharacter, or one escaped by a backslash
# (a backslash before a letter or digit is a class such as \\d: not a literal).
_LITERAL = r"(?:[^\\^$.|?*+()\[\]{}]|\\[^0-9A-Za-z])*"
_EXACT = re.compile(rf"\^({_LITERAL})\$")
_PREFIX = re.compile(rf"\^({_LITERAL})\.\*\$")
_ALTERNATIVES = re.compile(rf"\^({_LITERAL})\(({_LITERAL}(?:\|{_LITERAL})*)\)\$")
_ESCAPED_OR_BAR = re.compile(r"\\.|\|")
_ESCAPED = re.compile(r"\\([^0-9A-Za-z])")


_ESCAPED_PLUS_OR_STAR = re.compile(r"\\[+*]")
_METACHARACTERS = frozenset("\\^$.|?*+()[]{}") - {"|"}


def _text(literal: str) -> str:
    return _ESCAPED.sub(r"\1", literal) if "\\" in literal else literal


def _alternatives(inner: str) -> list[str]:
    found, start = [], 0
    for match in _ESCAPED_OR_BAR.finditer(inner):
        if match.group() == "|":
            found.append(_text(inner[start:match.start()]))
            start = match.end()
    return found + [_text(inner[start:])]


def literal_shape(expression: str) -> Optional[tuple[str, list[str]]]:
    """("exact", numbers) for ^L$ and ^L(A|B|...)$, ("prefix", [L]) for ^L.*$, with literal L, A, B
    (a list, or a tuple for a pattern that carries its texts: read only);
    None for any other pattern. (Regular expressions, not a loop over characters: a company of a thousand
    users has some five thousand extensions to index.)"""
    kind = expression.__class__
    if kind is Exact:  # made by callplan.xml.exact, which kept the texts it matches (a tuple: read only)
        return "exact", expression.alternatives
    if kind is Prefix:
        return "prefix", (expression.text,)
    if expression[:2] == "^(" and expression[-2:] == ")$":
        # the common case, as callplan.xml.exact writes it: ^(a|b|...)$ with + and * the only escapes
        inner = expression[2:-2]
        if _METACHARACTERS.isdisjoint(inner):
            return "exact", inner.split("|")
        if _METACHARACTERS.isdisjoint(_ESCAPED_PLUS_OR_STAR.sub("", inner)):
            return "exact", _ESCAPED_PLUS_OR_STAR.sub(lambda found: found.group()[1], inner).split("|")
    match = _EXACT.fullmatch(expression)
    if match:
        return "exact", [_text(match.group(1))]
    match = _PREFIX.fullmatch(expression)
    if match:
        return "prefix", [_text(match.group(1))]
    match = _ALTERNATIVES.fullmatch(expression)
    if match:
        head = _text(match.group(1))
        return "exact", [head + alternative for alternative in _alternatives(match.group(2))]
    return None


@dataclass(frozen=True)
class RotationState:
    """What rotating ring groups are ordered by, as ring_group_state holds it when a fetch is answered."""

    last_answered: dict[int, int]  # group id -> index of the member who took its last call
    idle_since: dict[str, float]  # member key -> epoch seconds of its last answered call, any group


NO_ROTATION = RotationState({}, {})
DESCRIPTION = "tenant context: call plans, public numbers, base dialplan"


class Extension:
    """One extension of a tenant's context: its conditions, and, made when first asked and kept with a
    compiled plan, its text (bytes, or pieces around values decided per fetch) and how a number finds it.
    Once both are made the conditions are let go (`_settle`): nothing reads them again, and they took
    more memory than the text (every process caches every company's context, bench/tenants.py). The
    shape is kept as its two halves, not as a tuple: one object less per extension for the collection
    that ends a build (web.xml_curl.cache._freeze goes through every one a build made, #20)."""

    __slots__ = ("name", "conditions", "_part", "_kind", "_found")

    def __init__(self, name: str, conditions: list):
        self.name, self.conditions = name, conditions
        self._part = self._kind = self._found = None

    @property
    def part(self) -> bytes | tuple:
        if self._part is None:
            pieces = extension_pieces(self.name, self.conditions)
            self._part = pieces[0].encode() if len(pieces) == 1 else \
                tuple(piece.encode() if isinstance(piece, str) else piece for piece in pieces)
            self._settle()
        return self._part

    @staticmethod
    def write(extensions: list["Extension"]) -> None:
        """Make the text of those not written yet that are one plain piece, checked together
        (callplan.xml.plain_extensions): what `part` makes of each, for a fraction of the cost."""
        todo = [extension for extension in extensions if extension._part is None]
        for extension, text in zip(todo, plain_extensions([(extension.name, extension.conditions) for extension in todo])):
            if text is not None:
                extension._part = text.encode()
                if extension._kind is not None:  # _settle(), in line: thousands of a company's extensions
                    extension.conditions = None

    def _settle(self) -> None:
        if self._part is not None and self._kind is not None:
            self.conditions = None

    @property
    def shape(self) -> tuple:
        """("exact", numbers), ("prefix", [text]), ("pattern", compiled) or ("always", None)."""
        if self._kind is None:
            field, expression, _, anti_actions = self.conditions[0] if self.conditions else ("", "", [], [])
            plain = field == "destination_number" and not anti_actions
            shape = literal_shape(expression) if plain else None
            if shape is None:
                try:
                    shape = ("pattern", re.compile(expression)) if plain else ("always", None)
                except re.error:
                    shape = ("always", None)
            self._kind, self._found = shape
            self._settle()
        return self._kind, self._found


class TenantDialplan:
    """A tenant's whole context, and an index from a dialled number to the extensions it can run.

    Each extension is kept as its finished bytes, or, when it holds a value decided per fetch (a rotating
    ring group's order), as its pieces: bytes with those values between them."""

    def __init__(self, domain: str, extensions: list[Extension | tuple[str, list]]):
        head, tail = context_head(domain, DESCRIPTION)
        self.head, self.tail = head.encode(), tail.encode()
        self.parts: list[bytes | tuple] = []
        # number -> the index of the one extension it matches exactly, or a list of them when several do:
        # most numbers have one, and thousands of one-item lists cost the build (and the collector) more
        self.exact: dict[str, int | list[int]] = {}
        self.prefixes: list[tuple[int, str]] = []
        self.patterns: list[tuple[int, Optional[re.Pattern]]] = []  # None: sent for every number
        exact, parts = self.exact, self.parts
        extensions = [extension if isinstance(extension, Extension) else Extension(*extension) for extension in extensions]
        Extension.write(extensions)
        text = len(self.head) + len(self.tail)
        # (each extension's part and shape read from its slots when made: the properties make the rest)
        for index, extension in enumerate(extensions):
            part = extension._part
            if part is None:
                part = extension.part
            parts.append(part)
            if part.__class__ is bytes:
                text += len(part)
            else:
                text += sum(len(piece) for piece in part if piece.__class__ is bytes)
            kind = extension._kind
            if kind is None:
                kind, value = extension.shape
            else:
                value = extension._found
            if kind == "exact":
                for number in value:
                    had = exact.get(number)
                    if had is None:
                        exact[number] = index
                    elif had.__class__ is int:
                        exact[number] = [had, index]
                    else:
                        had.append(index)
            elif kind == "prefix":
                self.prefixes.append((index, value[0]))
            else:
                self.patterns.append((index, value))
        self.everything = list(range(len(parts)))
        # about what this holds, for the caches' budget (web.xml_curl.cache.Budget): the text, ~50 bytes per
        # part and ~100 per indexed number (measured: bench/tenants.py's companies hold ~1.1x this); the
        # memo of answers below comes on top
        self.cached_size = text + 50 * len(self.parts) + 100 * (len(exact) + len(self.prefixes) + len(self.patterns))
        self._answers: dict[str, bytes | list] = {}
        # the numbers that run the same extensions (every number called out runs the catch-all) share
        # one rendered answer: a memo of thousands of numbers holds a few documents, not thousands
        self._rendered: dict[tuple, bytes] = {}

    @property
    def whole(self) -> bytes:
        """The whole context, rotating groups in their own order (tests, benches)."""
        return self.render(self.everything, NO_ROTATION)

    def matching(self, number: str) -> list[int]:
        hit = self.exact.get(number, ())
        found = {hit} if hit.__class__ is int else set(hit)
        found.update(index for index, prefix in self.prefixes if number.startswith(prefix))
        found.update(index for index, pattern in self.patterns if pattern is None or pattern.search(number))
        return sorted(found)

    def render(self, indices: list[int], state: RotationState | Callable[[], RotationState]) -> bytes:
        """The document of these extensions; `state` (or what calling it gives, asked once and only when
        a chosen extension has a rotating group) orders the rotating groups."""
        out = [self.head]
        for index in indices:
            part = self.parts[index]
            if isinstance(part, bytes):
                out.append(part)
                continue
            for piece in part:
                if isinstance(piece, bytes):
                    out.append(piece)
                    continue
                if callable(state):
                    state = state()
                order = piece.dial_string(state.last_answered.get(piece.group), state.idle_since)
                out.append(attribute_text(order).encode())
        out.append(self.tail)
        return b"".join(out)

    def for_number(self, number: str, state: RotationState | Callable[[], RotationState] = NO_ROTATION) -> bytes:
        """The document FreeSWITCH gets when routing `number` (the whole context without a number)."""
        if not number or not number.isprintable():
            # (a SIP number never holds control characters; the whole is always right)
            return self.render(self.everything, state)
        answer = self._answers.get(number)
        if answer is None:
            indices = self.matching(number)
            if all(isinstance(self.parts[index], bytes) for index in indices):
                key = tuple(indices)
                answer = self._rendered.get(key)
                if answer is None:
                    answer = self._rendered[key] = self.render(indices, NO_ROTATION)
            else:
                answer = indices  # rendered at every fetch: the rotation moves with each answered call
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers, self._rendered = {}, {}
            self._answers[number] = answer
        return answer if isinstance(answer, bytes) else self.render(answer, state)
