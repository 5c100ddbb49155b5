"""Print what validating and compiling a large call plan costs, for 1,000 and 10,000 steps.

    .venv/bin/python bench/compile.py            # the figures
    .venv/bin/python bench/compile.py --profile  # and where the time goes (cProfile, 10,000 steps)

The plans are trees of IVR menus (every key branch is a dialplan segment of its own, so every step in
them is compiled), with time conditions, ring groups, users, queues, transfers, prefixes, e-mails,
announcements and voicemail in the branches, against the test suite's fixture tenant. Targets:
1,000 steps in 20 ms or less, 10,000 in 200 ms or less (validate + compile + serialize); #20 asks 10 ms
for the 1,000. Then a 200-plan company's whole dialplan as the endpoint builds it (web.xml_curl.dialplan):
cold (a new process: nothing compiled, no row checked by it, the rows' checks kept in the database by
an earlier one: web.models.row_check), cold after a new release (no check kept either), after one
publish (one plan compiled, the rest kept per version), after a user no plan rings changed (no plan
compiled), unchanged; beside the floor measured in the same run: reading the rows a cold build reads,
making nothing of them. Target: cold in 100 ms CPU or less, until the document is there to answer with;
the collection and freeze of what it kept, which follow the answer, are printed apart. Compare CPU figures on a shared machine
(bench/README.md)."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import callplan.nodes  # noqa: E402,F401  (before any CallPlan is validated)
from callplan.compiler import compile_plan  # noqa: E402
from callplan.model import CallPlan  # noqa: E402
from tests.callplan import objects_fixture as fx  # noqa: E402

try:
    from callplan.validate import validate  # noqa: E402
except ImportError:  # written by another piece of work; the bench runs without it
    validate = None

SIZES = {1_000: 30, 10_000: 10}  # steps -> timed runs
TARGET_MS = {1_000: 10, 10_000: 200}  # 1,000 steps: #20


def build_plan(total: int, seed: int = 4) -> CallPlan:
    """A plan of about `total` steps (the exact count is printed)."""
    rng = random.Random(seed)
    count = 0

    def step(kind: str, **fields) -> dict:
        nonlocal count
        count += 1
        return {"id": f"s{count}", "type": kind, **fields}

    def ringing() -> dict:
        choice = rng.randrange(6)
        if choice == 0:
            return step("user", user=rng.choice([201, 202, 203, 204]), timeout_s=rng.choice([15, 20, 30]))
        if choice == 1:
            return step("ring_group", group=rng.choice([1, 2, 4, 5]))
        if choice == 2:
            return step("queue", queue=rng.choice([1, 2]), max_wait_s=rng.choice([None, 60, 120]))
        if choice == 3:
            return step("transfer", to=rng.choice([{"user": 202}, {"external": "+32471234567"}, {"extension": "203"}]))
        if choice == 4:
            return step("announcement", audio=rng.choice([1, 3, 4]))
        return step("time_condition", schedule=1, holidays=1, then=[ringing(), step("prefix", text="MISSED ")],
                    **{"else": [step("announcement", audio=5)]})

    def branch(frontier) -> list[dict]:
        steps = [ringing() for _ in range(rng.randint(2, 4))] + [step("email", to=["info@example.com"])]
        if count < total:
            menu = step("ivr", menu=rng.choice([1, 2, 2]))  # the main menu has 7 key actions of its own
            frontier.append(menu)
            steps.append(menu)
        else:
            steps.append(step("voicemail", box=rng.choice([1, 2, 3])) if rng.random() < 0.5 else step("hang_up"))
        return steps

    top = [step("prefix", text="Acme "), step("time_condition", schedule=1, holidays=1,
                                               then=[step("queue", queue=1)], **{"else": [step("announcement", audio=5)]})]
    first = step("ivr", menu=1)
    top.append(first)
    frontier = deque([first])
    while frontier and count < total:
        menu = frontier.popleft()
        menu["keys"] = {key: branch(frontier) for key in "5678"}
        menu["no_input"] = [step("announcement", audio=3), step("hang_up")]
    return CallPlan.model_validate({"name": "Bench", "numbers": ["+3225805000", "200"], "steps": top})


def run_once(plan: CallPlan, objects) -> dict[str, tuple[float, float]]:
    """(wall, CPU) milliseconds of each part; CPU time is what the process itself spent, so it moves
    less than wall time when other work shares the machine."""
    marks = [(time.perf_counter(), time.process_time())]
    if validate is not None:
        validate(plan, objects, plan_id=1)
    marks.append((time.perf_counter(), time.process_time()))
    compilation = compile_plan(plan, 1, 1, objects, fx.OPEN)
    marks.append((time.perf_counter(), time.process_time()))
    compilation.document()
    marks.append((time.perf_counter(), time.process_time()))
    spans = {"validate": (0, 1), "compile": (1, 2), "document": (2, 3), "total": (0, 3)}
    return {part: ((marks[b][0] - marks[a][0]) * 1000, (marks[b][1] - marks[a][1]) * 1000) for part, (a, b) in spans.items()}


def calibration_ms() -> float:
    """sum(range(10**6)), best of 5: to compare machines (about 8-12 ms on a current laptop)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        sum(range(10**6))
        best = min(best, time.perf_counter() - start)
    return best * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


COMPANY_TARGET_MS = 100  # a 200-plan company's whole dialplan, nothing compiled yet (#20)


def company(args) -> bool:
    """The tenant of bench/xml_curl.py (1,000 users with phones and boxes, 20 groups, 5 queues, 200
    published plans) on a throw-away SQLite: its whole dialplan built cold (no plan version compiled
    yet: a new process), after one plan is published (that one plan compiled), and again with nothing
    changed (every version from the cache, as when a time decision or a generation moves)."""
    import shutil
    import tempfile

    from bench.xml_curl import populate
    from web import clock
    from web.db import make_engine
    from web.migrate import upgrade
    from web.models.call_plan import CallPlanVersion
    from web.settings import Settings
    from web.domain import callplan_snapshot
    from web.xml_curl import cache, dialplan

    folder = tempfile.mkdtemp(prefix="bench-compile-")
    url = f"sqlite:///{folder}/company.sqlite3"
    try:
        upgrade(url)
        tenant_id = populate(url, "bench-secret-key")["tenant_id"]
        engine = make_engine(url)
        settings = Settings(database_url=url, secret_key="bench-secret-key", audio_dir=folder)
        plans = cache.of(engine).plans

        housekeeping: list[float] = []  # CPU ms of the collection and freeze after each build

        def build() -> tuple[float, float]:
            """Until the document is there to answer with; then, measured apart, the collection and
            freeze that follow the answer (web.xml_curl.cache.settle: a thread of its own runs it in a
            served process, FREEZE_AFTER_S later)."""
            wall, cpu = time.perf_counter(), time.process_time()
            generation = cache.tenant_by_domain(engine, "bench.pbx.test")[1]  # as the endpoint asks it
            with cache.paused_gc():  # as GenerationCache.get builds
                dialplan.tenant_context(engine, settings, tenant_id, clock.now(), generation)
            ready = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
            after = time.process_time()
            cache.settle()
            housekeeping.append((time.process_time() - after) * 1000)
            return ready

        def change_user(run: int) -> None:
            """A user no plan names gets another name (the plans name users 1-1,000 at random; this
            one is added for it): the base dialplan is made again, no plan is compiled."""
            from sqlalchemy import update
            from web.models import Tenant
            from web.models.pbx_user import PbxUser

            with engine.begin() as conn:
                conn.execute(update(PbxUser.__table__).where(PbxUser.__table__.c.id == spare)
                             .values(first_name=f"Spare{run}"))
                conn.execute(update(Tenant.__table__).where(Tenant.id == tenant_id)
                             .values(config_generation=Tenant.__table__.c.config_generation + 1))

        def publish(version: int) -> None:
            from sqlalchemy import insert, select, update
            from web.models import Tenant
            from web.models.call_plan import CallPlanRecord

            with engine.begin() as conn:
                document = conn.execute(select(CallPlanVersion.document).where(CallPlanVersion.plan_id == 1)
                                        .order_by(CallPlanVersion.version.desc())).first()[0]
                conn.execute(insert(CallPlanVersion.__table__).values(
                    tenant_id=tenant_id, plan_id=1, version=version, document=document, published_at=clock.now()))
                conn.execute(update(CallPlanRecord.__table__).where(CallPlanRecord.id == 1).values(published_version=version))
                conn.execute(update(Tenant.__table__).where(Tenant.id == tenant_id)
                             .values(config_generation=Tenant.__table__.c.config_generation + 1))  # as the ORM does

        def floor() -> tuple[float, float]:
            """Reading what a cold build reads, making nothing of it: every table's rows as the snapshot
            reads them (web.domain.callplan_snapshot) and the published versions."""
            from web.domain.stored_rows import _table_rules

            wall, cpu = time.perf_counter(), time.process_time()
            with engine.connect() as connection:
                for table in _table_rules():
                    if table.__tablename__ not in ("tenant", "company_settings"):
                        callplan_snapshot._fetch(connection, callplan_snapshot._row_read(table)[0], {"tenant_id": tenant_id})
                connection.execute(callplan_snapshot._PUBLISHED, {"tenant_id": tenant_id}).all()
            return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

        def forget_checks() -> None:
            """A new release: no row's check kept in the database (web.models.row_check) for this code."""
            from sqlalchemy import delete
            from web.models.row_check import RowCheck

            with engine.begin() as conn:
                conn.execute(delete(RowCheck.__table__))

        spare = add_spare_user(engine, tenant_id)
        build()  # imports, the database's own caches
        floor()
        cold = "cold (nothing compiled)"
        rows = {"floor (reading the rows)": [], cold: [], "cold, new release": [], "after publishing one plan": [],
                "after changing a user": [], "nothing changed": []}
        # cold: a new process, nothing compiled, nothing read, no row checked, the rows' checks kept in the
        # database by an earlier process; "new release": none kept either (code that checks differently).
        # "nothing changed": the generation is the same (a rebuild because a time decision came due)
        cold_housekeeping: list[float] = []
        for run in range(args.company_runs):
            rows["floor (reading the rows)"].append(floor())
            plans.clear()
            callplan_snapshot.forget_rows()
            rows[cold].append(build())
            cold_housekeeping.append(housekeeping[-1])
            plans.clear()
            callplan_snapshot.forget_rows()
            forget_checks()
            rows["cold, new release"].append(build())
            publish(run + 2)
            rows["after publishing one plan"].append(build())
            change_user(run)
            rows["after changing a user"].append(build())
            rows["nothing changed"].append(build())
        print(f"\n200-plan company (1,000 users, phones, boxes): its whole dialplan, {args.company_runs} runs")
        print(f"{'':<28} {'median ms':>9} {'CPU ms':>7} {'x floor':>7}  target")
        floor_cpu = statistics.median(c for _, c in rows["floor (reading the rows)"])
        cold_cpu = statistics.median(cpu for _, cpu in rows[cold])
        for label, samples in rows.items():
            wall, cpu = statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)
            verdict = ""
            if label == cold:
                verdict = f"<= {COMPANY_TARGET_MS} ms (CPU): {'ok' if cpu <= COMPANY_TARGET_MS else 'MISSED'}"
            print(f"{label:<28} {wall:>9.1f} {cpu:>7.1f} {cpu / floor_cpu:>7.1f}  {verdict}")
        print(f"then, after the answer (a thread of its own): the collection and freeze of what a cold build "
              f"kept, {statistics.median(cold_housekeeping):.1f} ms CPU (median; web.xml_curl.cache.settle)")
        engine.dispose()
        return cold_cpu <= COMPANY_TARGET_MS
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def add_spare_user(engine, tenant_id: int) -> int:
    """A user of the bench company that no plan names (with an internal number, as users have)."""
    from sqlalchemy import func, insert, select

    from web import clock
    from web.models.internal_number import InternalNumber
    from web.models.pbx_user import PbxUser

    with engine.begin() as conn:
        user_id = conn.execute(select(func.max(PbxUser.__table__.c.id))).scalar() + 1
        conn.execute(insert(PbxUser.__table__).values(**{
            **{k: v for k, v in PbxUser(tenant_id=tenant_id, first_name="Spare", extension="7000", forwarding={},
                                        anywhere={}, voicemail={}, agent={}, created_at=clock.now()).model_dump().items()
               if k != "id"}, "id": user_id}))
        conn.execute(insert(InternalNumber.__table__).values(tenant_id=tenant_id, number="7000", owner_kind="user",
                                                             owner_id=user_id))
    return user_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", action="store_true", help="profile the 10,000-step run with cProfile")
    parser.add_argument("--company-runs", type=int, default=5, help="runs of the 200-plan company's dialplan")
    args = parser.parse_args(argv)
    objects = fx.objects()
    print(f"validate: {'callplan.validate.validate' if validate else 'not present (compile only)'}; "
          f"this machine: sum(range(10**6)) in {calibration_ms():.1f} ms")
    print(f"{'steps':>7} {'segments':>8} {'runs':>4}  {'part':<8} {'median ms':>9} {'p95 ms':>8} {'CPU ms':>7} "
          f"{'ms/1000 steps':>13}  target")
    ok = True
    for size, runs in SIZES.items():
        plan = build_plan(size)
        steps = sum(1 for _ in plan.walk())
        segments = len(compile_plan(plan, 1, 1, objects, fx.OPEN).segments)
        for _ in range(3):  # warm caches (schedules are compiled once per process, like the server)
            run_once(plan, objects)
        samples = [run_once(plan, objects) for _ in range(runs)]
        for part in ("validate", "compile", "document", "total"):
            wall = [sample[part][0] for sample in samples]
            cpu = statistics.median(sample[part][1] for sample in samples)
            median, p95 = statistics.median(wall), percentile(wall, 0.95)
            verdict = ""
            if part == "total":
                verdict = f"<= {TARGET_MS[size]} ms: {'ok' if median <= TARGET_MS[size] else 'MISSED'}"
                ok = ok and median <= TARGET_MS[size]
            print(f"{steps:>7} {segments:>8} {runs:>4}  {part:<8} {median:>9.2f} {p95:>8.2f} {cpu:>7.2f} "
                  f"{median * 1000 / steps:>13.2f}  {verdict}")
    ok = company(args) and ok
    if args.profile:
        plan = build_plan(10_000)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            run_once(plan, objects)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
