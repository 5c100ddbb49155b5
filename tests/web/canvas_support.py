"""Helpers for the call-plan canvas tests and bench/canvas.py: an administrator of the demo company with a
known password, a logged-in browser context (the API shares its cookies), the demo objects by name, and
drag and drop with real mouse moves (the canvas listens to pointer events, as for a person)."""

from __future__ import annotations

import io
import time
import wave
from dataclasses import dataclass

from tests.conftest import fast_settings

CANVAS_ADMIN = "canvas-admin@demo.example.com"
CANVAS_PASSWORD = "a canvas full of call plans"


def ensure_admin(database_url: str, email: str = CANVAS_ADMIN, password: str = CANVAS_PASSWORD, language: str = "en") -> None:
    """An admin of the demo company who can log in at once (no password change, no second factor)."""
    from sqlmodel import select

    from web.domain import audit
    from web.auth.passwords import hash_password
    from web.db import make_engine, session_scope
    from web.models import Account, Tenant

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            if db.exec(select(Account).where(Account.email == email)).first() is not None:
                return
            tenant = db.exec(select(Tenant)).first()
            db.add(Account(email=email, role="admin", tenant_id=tenant.id, first_name="Canvas", last_name="Admin",
                           language=language, password_hash=hash_password(fast_settings(database_url), password)))
    finally:
        engine.dispose()


def assign_number(database_url: str, number: str, label: str = "") -> None:
    """The operator's part: a public number assigned to the demo company (its admin then routes it)."""
    from sqlmodel import select

    from web.db import make_engine, session_scope
    from web.domain import audit, numbers
    from web.models import Tenant

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            (row,) = numbers.assign(db, db.exec(select(Tenant)).first().id, [number])
            row.label = label
    finally:
        engine.dispose()


@dataclass
class Session:
    context: object
    base_url: str
    csrf: str

    def call(self, method: str, path: str, body=None, expect: int | None = None, **options):
        headers = {"X-CSRF-Token": self.csrf, "Origin": self.base_url}
        response = self.context.request.fetch(self.base_url + path, method=method, headers=headers,
                                              data=body, fail_on_status_code=False, **options)
        if expect is not None:
            assert response.status == expect, f"{method} {path}: {response.status} {response.text()}"
        if response.status == 204 or not response.body():
            return None
        if "json" in (response.headers.get("content-type") or ""):
            return response.json()
        return response.text()

    def get(self, path: str):
        return self.call("GET", path, expect=200)

    def post(self, path: str, body=None, expect: int = 200):
        return self.call("POST", path, body if body is not None else {}, expect=expect)


def log_in(browser, live_server, *, locale="en-GB", email=CANVAS_ADMIN, password=CANVAS_PASSWORD,
           viewport=None, timezone="Europe/Amsterdam") -> Session:
    ensure_admin(live_server.database_url, email, password)
    context = browser.new_context(locale=locale, timezone_id=timezone, viewport=viewport or {"width": 1400, "height": 900})
    response = context.request.post(live_server.url("/api/auth/login"), data={"email": email, "password": password},
                                    headers={"Origin": live_server.base_url})
    assert response.status == 200, response.text()
    state = response.json()
    assert state["stage"] == "full", state
    return Session(context, live_server.base_url, state["csrf_token"])


def demo_objects(session: Session) -> dict[str, dict[str, int]]:
    """The demo company's objects: {"queues": {"Support": 3}, ...}."""
    lists = {"queues": "/api/queues", "ring_groups": "/api/ring-groups", "schedules": "/api/schedules",
             "holidays": "/api/holiday-schedules", "ivr_menus": "/api/ivr-menus", "audio": "/api/audio",
             "users": "/api/users", "voicemail_boxes": "/api/voicemail-boxes"}
    return {name: {row.get("name") or row.get("first_name"): row["id"] for row in session.get(path)} for name, path in lists.items()}


def wav_bytes(seconds: float = 0.3, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x10" * int(rate * seconds))
    return buffer.getvalue()


def ensure_audio(session: Session, name: str) -> int:
    for row in session.get("/api/audio"):
        if row["name"] == name:
            return row["id"]
    created = session.call("POST", "/api/audio", multipart={
        "name": name, "file": {"name": "closed.wav", "mimeType": "audio/wav", "buffer": wav_bytes()}}, expect=201)
    return created["id"]


def new_plan(session: Session, name: str, **document) -> int:
    return session.post("/api/plans", {"name": name, **document}, expect=201)["id"]


def open_plan(page, session: Session, plan_id: int) -> None:
    page.goto(f"{session.base_url}/plans/{plan_id}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("body[data-validated]")


def drag(page, source, target, *, where: str = "top", steps: int = 8) -> None:
    """Press on `source`, move in small steps, release over `target` ("top"/"bottom" half or "middle")."""
    settle(page)
    # The target mid-window, away from the edges where the canvas scrolls by itself during a drag.
    goal = box_of(page, target, block="center")
    box = box_of(page, source, block="nearest")
    goal = box_of(page, target, block=None) or goal
    page.mouse.move(box["x"] + min(20, box["width"] / 2), box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2 + 10, steps=3)
    def aim(goal):
        y = {"top": goal["y"] + 3, "bottom": goal["y"] + goal["height"] - 3, "middle": goal["y"] + goal["height"] / 2}[where]
        return goal["x"] + min(40, goal["width"] / 2), y

    page.mouse.move(*aim(goal), steps=steps)
    # a press near the window's edge (a palette step low on the screen) scrolls the page by itself for a
    # moment, as it does for a person: aim at where the target is now before letting go
    page.wait_for_timeout(100)
    page.mouse.move(*aim(box_of(page, target, block=None)), steps=2)
    page.mouse.up()


def box_of(page, locator, *, block: str | None, seconds: float = 20) -> dict:
    """Where `locator` is on screen, scrolled into view first (`block`) without Playwright's wait for a
    "stable" element: on a loaded machine a redraw after validation can keep replacing it for a while, so
    ask again until it has a box, as a person waits for the page to stop moving."""
    locator.wait_for(state="visible", timeout=seconds * 1000)
    deadline = time.monotonic() + seconds
    while True:
        if block is not None:
            locator.evaluate(f"element => element.scrollIntoView({{block: '{block}'}})")
        box = locator.bounding_box()
        if box and box["width"] > 0 and box["height"] > 0:
            return box
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} has no place on screen")
        page.wait_for_timeout(100)


def settle(page) -> None:
    """Wait for the validation of the last edit: its answer redraws the plan (problem lines move steps),
    so a person would aim after it too."""
    page.wait_for_function("() => document.getElementById('publish').getAttribute('aria-busy') !== 'true'")


def drop_zone(page, container: str):
    """The step list named `container` ("root", "s1|then", "s6|keys/1", "div:d1")."""
    return page.locator(f'[data-container="{container}"]')


def card(page, step_id: str):
    return page.locator(f'[data-step-id="{step_id}"] > .step-card')


def palette(page, step_type: str):
    return page.locator(f'.palette-item[data-type="{step_type}"]')


def drag_new(page, step_type: str, container: str, *, position: str = "end") -> None:
    """Drag a new step from the palette into `container`: at its end (below its last step or onto its
    empty hint) or, with position="start", above its first step."""
    zone = drop_zone(page, container)
    steps = zone.locator(":scope > [data-step-id]")
    if steps.count() == 0:
        drag(page, palette(page, step_type), zone.locator(":scope > .drop-hint"), where="middle")
    elif position == "start":
        drag(page, palette(page, step_type), steps.first.locator(":scope > .step-card"), where="top")
    else:
        last = steps.nth(steps.count() - 1)
        drag(page, palette(page, step_type), last.locator(":scope > .step-card"), where="bottom")


def strip_ids(document: dict) -> dict:
    """The document with step ids left out (the editor numbers new steps itself)."""
    def steps(items):
        out = []
        for step in items:
            step = {key: value for key, value in step.items() if key != "id"}
            for name in ("then", "else", "no_input", "invalid"):
                if name in step:
                    step[name] = steps(step[name])
            if "keys" in step:
                step["keys"] = {key: steps(value) for key, value in step["keys"].items()}
            out.append(step)
        return out

    result = dict(document)
    result["steps"] = steps(document.get("steps", []))
    result["diversions"] = [{**d, "steps": steps(d.get("steps", []))} for d in document.get("diversions", [])]
    return result


def all_step_ids(document: dict) -> list[str]:
    found = []

    def walk(items):
        for step in items:
            found.append(step["id"])
            for name in ("then", "else", "no_input", "invalid"):
                walk(step.get(name, []))
            for value in (step.get("keys") or {}).values():
                walk(value)

    walk(document.get("steps", []))
    for diversion in document.get("diversions", []):
        walk(diversion.get("steps", []))
    return found
