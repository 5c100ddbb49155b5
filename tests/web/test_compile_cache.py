"""Compile once (#20 item 3): each published plan version is compiled once per process and kept with what
it read of the company's objects (callplan.reads); a change compiles again exactly the plans that read
what changed, and the context assembled from kept pieces is the one a fresh process builds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.web.factories_audio import make_audio_file
from tests.web.pbx import admin  # noqa: F401  (fixture)
from tests.web.test_xml_curl import _fresh_cache, fs, ok, plan_on, settings  # noqa: F401  (fixtures)
from web.domain import callplan_snapshot
from web.xml_curl import cache, dialplan


class Compiled(list):
    base = None
    bases = 0  # base dialplans made by the last change's build (changed())


@pytest.fixture
def compiled(monkeypatch):
    """The plan ids compiled since the last clear(), and how often the base dialplan was made."""
    found = Compiled()
    compile_plan, base = dialplan.compile_plan, dialplan.BaseDialplan

    def counting_compile(plan, plan_id, *args, **kwargs):
        found.append(plan_id)
        return compile_plan(plan, plan_id, *args, **kwargs)

    def counting_base(*args, **kwargs):
        counting_base.made += 1
        return base(*args, **kwargs)

    counting_base.made = 0
    monkeypatch.setattr(dialplan, "compile_plan", counting_compile)
    monkeypatch.setattr(dialplan, "BaseDialplan", counting_base)
    found.base = counting_base
    return found


class Company:
    """Users, a group, a queue, a schedule, a menu with a greeting, and one plan on each of them (and
    one on nothing), all published and fetched once."""

    def __init__(self, admin, fs, db, settings):
        self.admin, self.fs = admin, fs
        self.anna, self.bob = admin.user("201", "Anna"), admin.user("202", "Bob")
        self.group = admin.create("/api/ring-groups", name="Sales", extension="300",
                                  members=[{"type": "user", "id": self.anna["id"]}])
        self.queue = admin.create("/api/queues", name="Support", extension="400", max_wait_s=120)
        self.office = admin.create("/api/schedules", name="Office", periods=[
            {"from_day": "mon", "from_time": "00:00", "to_day": "sun", "to_time": "23:59"}])
        self.hello = make_audio_file(db, settings, admin.tenant.id, name="Hello")
        self.welcome = make_audio_file(db, settings, admin.tenant.id, name="Welcome")
        self.menu = admin.create("/api/ivr-menus", name="Main", extension="500", greeting_audio_id=self.hello,
                                 keys={"9": {"action": "hang_up"}})
        self.plans = {
            "user": plan_on(admin, "250", steps=[{"id": "s1", "type": "user", "user": self.anna["id"]}]),
            "group": plan_on(admin, "251", steps=[{"id": "s1", "type": "ring_group", "group": self.group["id"]}]),
            "queue": plan_on(admin, "252", steps=[{"id": "s1", "type": "queue", "queue": self.queue["id"]}]),
            "time": plan_on(admin, "253", steps=[{"id": "s1", "type": "time_condition", "schedule": self.office["id"],
                                                  "then": [{"id": "s2", "type": "hang_up"}]}]),
            "menu": plan_on(admin, "254", steps=[{"id": "s1", "type": "ivr", "menu": self.menu["id"]}]),
            "plain": plan_on(admin, "255", steps=[{"id": "s1", "type": "hang_up"}]),
        }
        self.ids = {kind: plan["id"] for kind, plan in self.plans.items()}
        self.whole()  # everything compiled once

    def whole(self) -> bytes:
        """The whole context as FreeSWITCH gets it (every answer must be well-formed XML: fetch parses it)."""
        return ET.tostring(self.fs.dialplan(self.admin.tenant.sip_domain, ""))

    def fresh(self) -> bytes:
        """The whole context as a new process builds it: nothing compiled, no row checked."""
        cache.invalidate()
        return self.whole()


@pytest.fixture
def company(admin, fs, db, settings, compiled):  # noqa: F811
    made = Company(admin, fs, db, settings)
    compiled.clear()
    compiled.base.made = 0
    return made


def changed(company, compiled, action) -> set[int]:
    """Do `action` (a change the generation sees), fetch the whole context; the plan ids compiled again.
    What the kept pieces assembled must be byte for byte what a fresh process builds."""
    compiled.clear()
    compiled.base.made = 0
    action()
    assembled = company.whole()
    again, compiled.bases = set(compiled), compiled.base.made  # before fresh() makes everything again
    assert assembled == company.fresh()
    return again


def test_a_publish_compiles_that_plan_only(company, compiled):
    admin, ids = company.admin, company.ids
    again = changed(company, compiled, lambda: ok(admin.client.post(f"/api/plans/{ids['menu']}/publish", json={})))
    assert again == {ids["menu"]}
    assert compiled.bases == 0  # the objects did not change: the base dialplan is kept too


def test_a_user_a_plan_rings_compiles_the_plans_that_ring_the_user(company, compiled):
    admin, ids = company.admin, company.ids
    before = company.whole()
    again = changed(company, compiled, lambda: ok(admin.client.patch(
        f"/api/users/{company.anna['id']}", json={"extension": "209"})))
    # the user step and the group Anna is in ring her extension; the other plans read nothing of her
    assert {ids["user"], ids["group"]} <= again
    assert not again & {ids["queue"], ids["time"], ids["plain"]}
    assert b"user/201@" in before and b"user/201@" not in company.whole() and b"user/209@" in company.whole()


def test_each_kind_of_object_compiles_the_plans_that_use_it(company, compiled):
    admin, ids = company.admin, company.ids
    group = changed(company, compiled, lambda: ok(admin.client.patch(
        f"/api/ring-groups/{company.group['id']}", json={"members": [{"type": "user", "id": company.bob["id"]}]})))
    assert group == {ids["group"]}
    assert b"user/202@" in company.whole()

    queue = changed(company, compiled, lambda: ok(admin.client.patch(
        f"/api/queues/{company.queue['id']}", json={"max_wait_s": 300})))
    assert queue == {ids["queue"]}

    menu = changed(company, compiled, lambda: ok(admin.client.patch(
        f"/api/ivr-menus/{company.menu['id']}", json={"greeting_audio_id": company.welcome})))
    assert menu == {ids["menu"]}
    assert f"/16000/{company.welcome}.wav".encode() in company.whole()

    # the schedule decides the time condition: closed now, the plan takes its other branch
    schedule = changed(company, compiled, lambda: ok(admin.client.patch(
        f"/api/schedules/{company.office['id']}", json={"periods": []})))
    assert schedule == {ids["time"]}


def test_changes_no_plan_reads_compile_nothing(company, compiled):
    admin = company.admin
    builds = cache.of(company.fs.engine).dialplans.builds
    # a new user (the base dialplan gets the extension), a user no plan rings, an audio file's name
    created = changed(company, compiled, lambda: admin.user("203", "Carol"))
    assert created == set() and compiled.bases == 1 and b"user_203" in company.whole()
    renamed = changed(company, compiled, lambda: ok(admin.client.patch(
        f"/api/users/{company.bob['id']}", json={"first_name": "Robert"})))
    assert renamed == set()
    audio = changed(company, compiled, lambda: ok(admin.client.patch(
        f"/api/audio/{company.hello}", json={"name": "Hello there"})))
    assert audio == set()
    # each change was a new generation: the context was assembled again every time (and fresh() twice)
    assert cache.of(company.fs.engine).dialplans.builds > builds


def test_a_row_changed_behind_the_api_is_checked_again(company, compiled, db):
    """The snapshot keeps what it made of each row by the row's stored values: a value written past the
    API (here a name holding a control character) is seen at once, and the user is left out of calls."""
    from sqlalchemy import update

    from web.models import Tenant
    from web.models.pbx_user import PbxUser

    with db() as session:
        session.execute(update(PbxUser).where(PbxUser.id == company.anna["id"]).values(first_name="An\x07na"))
        session.execute(update(Tenant).where(Tenant.id == company.admin.tenant.id)
                        .values(config_generation=Tenant.config_generation + 1))
    whole = company.whole()
    assert b"user/201@" not in whole  # Anna is no longer rung
    compiled.clear()
    assert whole == company.fresh()


def test_the_kept_rows_are_not_the_callers_objects(admin, db, settings):  # noqa: F811
    """Rows the snapshot keeps are loaded by a session of its own: a caller's session, with changes of
    its own pending, never hands its objects to the memo, nor sees the memo's."""
    from web.models.pbx_user import PbxUser

    anna = admin.user("201", "Anna")
    callplan_snapshot.forget_rows()
    with db() as session:
        mine = session.get(PbxUser, anna["id"])
        mine.first_name = "Changed"  # pending in this session only
        objects = callplan_snapshot.snapshot(session, admin.tenant.id, settings)
        kept = callplan_snapshot.checked_rows(session, PbxUser, admin.tenant.id)
        assert all(row is not mine for row in kept)
        session.rollback()
    # as an ORM query would, the snapshot sees the session's own pending change (flushed first)
    assert objects.users[anna["id"]].name.startswith("Changed")
    with db() as session:
        fresh = callplan_snapshot.snapshot(session, admin.tenant.id, settings)
    assert fresh.users[anna["id"]].name == "Anna"


@pytest.mark.parametrize("pattern", [
    ("exact", ("201",)), ("exact", ("+3225805000", "0032", "200")), ("exact", ("a|b", "c\\d", "x(y)", "*98", "#1", "")),
    ("exact", ("\x07bell", "x-pre-process", "é+", "sp ace", "[a]{1}$^.?/-")),
    ("after", ("user_2000_after_", "USER_BUSY", "NO_ANSWER")), ("after", ("a.b_", "x|y", "*")), ("after", ("", "1")),
    ("prefix", ("user_2000_after_",)), ("prefix", ("a.*b\x07",)), ("prefix", ("",))])
def test_patterns_that_carry_their_texts_index_as_their_text_does(pattern):
    """exact(), exact_after() and prefix() hand the context's index the texts they match (#20: parsing
    4,400 patterns back cost a cold build ~10 ms); read back from the text alone they index the same."""
    from callplan.xml import exact, exact_after, prefix

    kind, texts = pattern
    made = {"exact": exact, "after": exact_after, "prefix": prefix}[kind](*texts)
    carried, parsed = dialplan.literal_shape(made), dialplan.literal_shape(str(made))
    assert parsed is not None and (carried[0], list(carried[1])) == (parsed[0], list(parsed[1]))


@pytest.mark.parametrize("head", ["user_2000_after_", "a.b|c_", "\x07x-pre-process*", ""])
def test_after_patterns_are_exact_after_and_prefix(head):
    """The base dialplan's patterns for a user's cases, the head cleaned once (#20): the same texts and
    the same carried texts as exact_after() for each group and prefix()."""
    from callplan.xml import after_patterns, exact_after, prefix

    groups = (("USER_BUSY",), ("NO_ANSWER", "a|b"))
    made = after_patterns(head, groups)
    expected = [exact_after(head, *group) for group in groups] + [prefix(head)]
    assert [(type(p), str(p)) for p in made] == [(type(p), str(p)) for p in expected]
    assert [p.alternatives for p in made[:-1]] == [p.alternatives for p in expected[:-1]]
    assert made[-1].text == expected[-1].text


def test_a_cold_build_reads_the_plans_once(company):
    """The published versions and the plans' rows are read once per build, for the snapshot (PlanInfo)
    and the plans alike (#20 item 3: each read twice cost a cold build ~1 ms); the context is the same."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()).lower())

    before = company.fresh()
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        again = company.fresh()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    published = [s for s in statements if "from call_plan_version join call_plan" in s]
    plan_rows = [s for s in statements if "call_plan.active_diversions" in s and "from call_plan " in s]
    assert len(published) == 1, published
    assert len(plan_rows) == 1, plan_rows
    assert again == before
