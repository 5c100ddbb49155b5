"""How fast the call-plan canvas opens and drags, in Debian's Chromium driven by Playwright.

    .venv/bin/python bench/canvas.py [--steps 500] [--runs 7] [--moves 150] [--settle-ms 1000]

Starts the app under uvicorn on a throw-away SQLite database with the demo company, logs in an admin,
creates a plan of --steps steps (time conditions holding queues, ring groups, users, prefixes, e-mails
and hang-ups, three levels deep), then:

  * open: loads /plans/{id} --runs times, each in a new tab (browser cache warm after the first), and
    prints, per run, the time from navigation start until the plan's first screen is drawn (the steps
    that fill the window; the others follow its first frame, editor.js drawRest), until that frame was
    painted, and until every step is in the DOM; how long the drawings took (render() for the first
    screen, and the rest), and
    where the time went (the HTML in, the plan's request sent by the page's head and answered, the
    editor's script starting, all its data in). Before each, the same page opens a 1-step plan: the floor, everything but the steps (the page,
    its scripts and its four requests), measured in the same run under the same load. A new tab first
    gets --settle-ms on about:blank: Chromium's own start-up of a tab (its renderer, the omnibox's WebUI,
    Playwright's hooks) keeps ~half of this 2-core machine busy for ~0.5-1 s and, measured at once,
    lands in the figures (--settle-ms 0 measures that way: tens of ms more, and noisier);
  * drag: picks up a step in the middle of the plan and moves it over the plan in --moves small mouse
    moves, then drops it; prints the work done per pointer move (hit test + drop line, from the page's
    own counters), the intervals between animation frames during the drag (what "smooth" means), and
    the time to draw the plan again after the drop.

Target (issue #20; #7 had 300 ms): a 500-step plan opens and is painted in <= 150 ms (median of the warm
runs); dragging stays smooth (frames at the display's rate: p95 frame interval <= 20 ms at 60 Hz, per-move
work well under 4 ms).
Not run in CI: figures depend on the machine."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_OPEN_MS = 150.0  # issue #20 (#7 had 300)

# What the page says about its own opening (performance marks set by static/js/canvas/), in ms after
# navigation start.
FIGURES = """() => ({
    html: performance.getEntriesByType('navigation')[0].responseEnd,
    // the plan's own request (GET /api/plans/{id}/editor): sent by the page's head, answered
    asked: performance.getEntriesByType('resource').find(entry => entry.name.endsWith('/editor')).startTime,
    answered: performance.getEntriesByType('resource').find(entry => entry.name.endsWith('/editor')).responseEnd,
    script: performance.getEntriesByName('canvas-start')[0].startTime,
    data: performance.getEntriesByName('canvas-data')[0].startTime,
    drawn: performance.getEntriesByName('canvas-drawn')[0].startTime,
    painted: performance.getEntriesByName('canvas-painted')[0].startTime,
    // every step in the DOM: the ones below the first screen are drawn after its first frame
    complete: performance.getEntriesByName('canvas-complete')[0].startTime,
    render: globalThis.canvasBench.renders[0],
    rest: globalThis.canvasBench.rest[0] || 0,
    cards: document.querySelectorAll('.step-card').length,
    // the cards of the first frame: drawn before it, and in the window
    first: document.querySelectorAll('.step-card').length - (globalThis.canvasBench.restCards || 0),
})"""


def start_server(tmp: Path):
    import httpx

    from tests.conftest import fast_settings, free_port
    from web import demo
    from web.app import create_app
    from web.migrate import upgrade

    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    upgrade(url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CALLPLAN_DATABASE_URL": url, "CALLPLAN_SECRET_KEY": "bench", "CALLPLAN_PUBLIC_BASE_URL": base_url,
           "CALLPLAN_ARGON2_MEMORY_KIB": "1024", "CALLPLAN_ARGON2_TIME_COST": "1", "CALLPLAN_ARGON2_PARALLELISM": "1",
           "CALLPLAN_SMTP_HOST": "127.0.0.1", "CALLPLAN_SMTP_PORT": str(free_port())}
    log = open(tmp / "uvicorn.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1", "--port", str(port),
                                "--log-level", "warning"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base_url + "/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.terminate()
        raise SystemExit((tmp / "uvicorn.log").read_text())
    app = create_app(fast_settings(url, public_base_url=base_url))
    demo.ensure_demo(app)
    app.state.engine.dispose()
    return process, base_url, url


def big_plan(objects: dict, total: int) -> dict:
    """`total` steps: blocks of a time condition with 7 steps in `then` (one of them a nested time
    condition with two more) and a hang-up in `else`; the rest to fill."""
    office, lunch = objects["schedules"]["Office hours"], objects["schedules"]["Lunch"]
    queue, group = objects["queues"]["Support"], objects["ring_groups"]["Sales"]
    user = next(iter(objects["users"].values()))
    counter = iter(range(1, 10 * total))

    def sid():
        return f"s{next(counter)}"

    steps, count = [], 0
    while count + 12 <= total:
        inner = {"id": sid(), "type": "time_condition", "schedule": lunch, "then": [
            {"id": sid(), "type": "prefix", "text": "LUNCH "}, {"id": sid(), "type": "ring_group", "group": group}]}
        steps.append({"id": sid(), "type": "time_condition", "schedule": office, "then": [
            {"id": sid(), "type": "queue", "queue": queue, "max_wait_s": 60},
            {"id": sid(), "type": "prefix", "text": "Q "},
            inner,
            {"id": sid(), "type": "user", "user": user},
            {"id": sid(), "type": "email", "to": ["bench@example.com"]},
            {"id": sid(), "type": "ring_group", "group": group},
            {"id": sid(), "type": "queue", "queue": queue},
        ], "else": [{"id": sid(), "type": "prefix", "text": "AFTER "}, {"id": sid(), "type": "user", "user": user}]})
        count += 12
    while count < total - 1:
        steps.append({"id": sid(), "type": "prefix", "text": "X "})
        count += 1
    steps.append({"id": sid(), "type": "hang_up"})
    return {"name": f"Bench {total}", "steps": steps}


def count_steps(steps) -> int:
    return sum(1 + count_steps(s.get("then", [])) + count_steps(s.get("else", [])) for s in steps)


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--moves", type=int, default=150)
    parser.add_argument("--settle-ms", type=int, default=1000, help="idle time in a new tab before navigating")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.web.browser_support import CHROMIUM, LAUNCH_ARGS, missing_browser_reason
    from tests.web.canvas_support import demo_objects, log_in

    if missing_browser_reason():
        raise SystemExit(missing_browser_reason())

    class Live:
        def __init__(self, base_url, database_url):
            self.base_url, self.database_url = base_url, database_url

        def url(self, path):
            return self.base_url + path

    with tempfile.TemporaryDirectory(prefix="canvas-bench-") as raw:
        process, base_url, database_url = start_server(Path(raw))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                session = log_in(browser, Live(base_url, database_url), viewport={"width": 1400, "height": 1000})
                plan = big_plan(demo_objects(session), args.steps)
                plan_id = session.post("/api/plans", plan, expect=201)["id"]
                print(f"plan {plan_id}: {count_steps(plan['steps'])} steps; Chromium {browser.version}; each open in a new "
                      f"tab, {f'settled for {args.settle_ms} ms' if args.settle_ms else 'at once'}")

                floor = {"name": "Bench floor", "steps": [{"id": "s1", "type": "hang_up"}]}
                floor_id = session.post("/api/plans", floor, expect=201)["id"]

                page = None

                def open_plan(plan_id: int, cards: int) -> dict:
                    nonlocal page
                    if page is not None:
                        page.close()
                    page = session.context.new_page()
                    if args.settle_ms:
                        page.goto("about:blank")
                        page.wait_for_timeout(args.settle_ms)
                    page.goto(f"{base_url}/plans/{plan_id}")
                    page.wait_for_selector("body[data-painted=true]", timeout=20000)
                    page.wait_for_selector("body[data-ready=true]", timeout=20000)
                    figures = page.evaluate(FIGURES)
                    assert figures["cards"] == cards, figures
                    return figures

                runs, floors = [], []
                for run in range(args.runs):
                    # the floor first, the plan last: the drag below works on the plan's page
                    floors.append(open_plan(floor_id, 1))
                    figures = open_plan(plan_id, count_steps(plan["steps"]))
                    runs.append(figures)
                    print(f"  open run {run + 1}: html {figures['html']:.0f}, plan asked {figures['asked']:.0f} and answered "
                          f"{figures['answered']:.0f}, script starts {figures['script']:.0f}, data in {figures['data']:.0f}, "
                          f"drawn {figures['drawn']:.0f}, "
                          f"painted {figures['painted']:.0f}, all steps drawn {figures['complete']:.0f} ms after navigation start; "
                          f"render() {figures['render']:.1f} ms for the first screen's {figures['first']} cards, the other "
                          f"{figures['cards'] - figures['first']} {figures['rest']:.1f} ms; floor (1 step) painted {floors[-1]['painted']:.0f} ms")
                warm, warm_floor = runs[1:] or runs, floors[1:] or floors  # the first open fills the browser's cache

                def spread(rows, key):
                    values = [row[key] for row in rows]
                    return (f"min {min(values):.0f} / median {statistics.median(values):.0f} / max {max(values):.0f} ms")

                painted = statistics.median(row["painted"] for row in warm)
                floor_painted = statistics.median(row["painted"] for row in warm_floor)
                print(f"open {count_steps(plan['steps'])} steps (warm runs): drawn {spread(warm, 'drawn')}; painted "
                      f"{spread(warm, 'painted')}; every step drawn {spread(warm, 'complete')}; render() median "
                      f"{statistics.median(row['render'] for row in runs):.1f} ms (first screen), the rest "
                      f"{statistics.median(row['rest'] for row in runs):.1f} ms")
                print(f"  where the time goes (medians, ms after navigation start): html "
                      + ", ".join(f"{label} {statistics.median(row[key] for row in warm):.0f}" for key, label in (
                          ("html", "in"), ("asked", "plan asked"), ("answered", "plan answered"), ("script", "editor starts"),
                          ("data", "data in"),
                          ("drawn", "drawn"), ("painted", "painted"), ("complete", "every step drawn"))))
                print(f"  floor, a 1-step plan (same page, scripts and requests): painted {spread(warm_floor, 'painted')}; "
                      f"data in median {statistics.median(row['data'] for row in warm_floor):.0f} ms")
                print(f"painted median {painted:.0f} ms (floor {floor_painted:.0f} ms, the 500 steps add "
                      f"{painted - floor_painted:.0f} ms) -> target <= {TARGET_OPEN_MS:.0f} ms (#20): "
                      f"{'met' if painted <= TARGET_OPEN_MS else 'NOT met'}")
                load = os.getloadavg()[0]
                if load > (os.cpu_count() or 1) * 0.75:
                    print(f"  note: load average {load:.1f} on {os.cpu_count()} CPUs while measuring; figures are inflated")

                # Drag a step in the middle over the plan and drop it.
                page.wait_for_selector("body[data-validated]", timeout=20000)
                cards = page.locator(".step-card")
                middle = cards.nth(cards.count() // 2)
                middle.evaluate("element => element.scrollIntoView({block: 'center'})")
                box = middle.bounding_box()
                page.evaluate("""() => {
                    globalThis.canvasBench.drag.length = 0;
                    const frames = globalThis.benchFrames = [];
                    let last = performance.now();
                    globalThis.benchFrameLoop = true;
                    const tick = (now) => { frames.push(now - last); last = now; if (globalThis.benchFrameLoop) requestAnimationFrame(tick); };
                    requestAnimationFrame(tick);
                }""")
                x, y = box["x"] + 40, box["y"] + box["height"] / 2
                page.mouse.move(x, y)
                page.mouse.down()
                began = time.perf_counter()
                for move in range(args.moves):
                    offset = (move % 60 - 30) * 12  # sweep up and down across ~700 px of the plan
                    page.mouse.move(x + (move % 7), y + offset)
                    page.wait_for_timeout(8)
                dragging_s = time.perf_counter() - began
                page.mouse.up()
                page.wait_for_timeout(300)
                figures = page.evaluate("""() => {
                    globalThis.benchFrameLoop = false;
                    return {moves: [...globalThis.canvasBench.drag], frames: globalThis.benchFrames.slice(2),
                            render: globalThis.canvasBench.renders.at(-1)};
                }""")
                moves, frames = figures["moves"], figures["frames"]
                print(f"drag over {args.steps} steps: {len(moves)} processed moves in {dragging_s:.1f} s; work per move "
                      f"median {statistics.median(moves):.2f} ms, p95 {percentile(moves, 95):.2f} ms, max {max(moves):.2f} ms")
                print(f"  frame intervals during the drag: median {statistics.median(frames):.1f} ms, p95 "
                      f"{percentile(frames, 95):.1f} ms, max {max(frames):.1f} ms, frames over 50 ms: "
                      f"{sum(1 for f in frames if f > 50)} of {len(frames)}")
                print(f"  drawing the plan again after the drop: {figures['render']:.1f} ms")
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
