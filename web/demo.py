"""The demo tenant `make run` creates on its first run: a living company, not empty lists.

The company's objects are made through the app's own API (in-process, with a token of the demo admin
that is revoked afterwards), so the demo obeys every rule a real admin meets: validation, the number
namespace, references, the audit log."""

from __future__ import annotations

import secrets

from sqlmodel import select

from web import clock
from web.domain import audit, numbers
from web.auth.passwords import hash_password
from web.auth.tokens import digest, new_api_token
from web.db import session_scope
from web.models import Account, ApiToken, Tenant
from web.settings import Settings

DEMO_DOMAIN = "demo.pbx.localhost"
DEMO_ADMIN = "admin@demo.example.com"
OPERATOR = "operator@pbx.localhost"
NUMBER_BLOCK = ("+31201234567", "+31201234569")  # first, last: assigned to the demo company
NUMBER_LABELS = {"+31201234567": "Main number", "+31201234568": "Sales", "+31201234569": "Support"}

STAFF = [
    # first, last, extension, department, phone model
    ("Anna", "de Vries", "201", None, ("yealink", "T54W")),
    ("Bram", "Jansen", "202", "Sales", ("yealink", "T46U")),
    ("Carla", "Bakker", "203", "Sales", ("snom", "D735")),
    ("Daan", "Visser", "204", "Support", ("polycom", "VVX 450")),
    ("Eva", "Smit", "205", "Support", ("grandstream", "GRP2614")),
    ("Finn", "de Boer", "206", None, ("yealink", "W73P")),
]

OFFICE_HOURS = [{"from_day": day, "from_time": "08:30", "to_day": day, "to_time": "17:30"}
                for day in ("mon", "tue", "wed", "thu", "fri")]
LUNCH = [{"from_day": day, "from_time": "12:00", "to_day": day, "to_time": "13:00"}
         for day in ("mon", "tue", "wed", "thu", "fri")]
# Dutch national holidays: fixed dates repeat yearly; Easter-bound ones are listed per year.
HOLIDAYS = [
    {"start_date": "2026-01-01", "yearly": True, "description": "Nieuwjaarsdag"},
    {"start_date": "2026-04-27", "yearly": True, "description": "Koningsdag"},
    {"start_date": "2026-12-25", "end_date": "2026-12-26", "yearly": True, "description": "Kerstmis"},
    {"start_date": "2026-04-05", "end_date": "2026-04-06", "description": "Pasen 2026"},
    {"start_date": "2026-05-14", "description": "Hemelvaartsdag 2026"},
    {"start_date": "2026-05-24", "end_date": "2026-05-25", "description": "Pinksteren 2026"},
    {"start_date": "2027-03-28", "end_date": "2027-03-29", "description": "Pasen 2027"},
    {"start_date": "2027-05-06", "description": "Hemelvaartsdag 2027"},
    {"start_date": "2027-05-16", "end_date": "2027-05-17", "description": "Pinksteren 2027"},
    {"start_date": "2026-12-31", "from_time": "15:00", "yearly": True, "description": "Oudejaarsmiddag"},
]
PHONEBOOK_CSV = """naam;nummer
Bakkerij Brood & Zo;+31 20 555 0190
Fietsenmaker De Spaak;+31 20 555 0191
KPN Zakelijk;0800-0403
Boekhouder Van Dam;+31 6 1234 5678
Schoonmaakbedrijf Glans;+31 20 555 0192
"""


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def ensure_demo(app) -> list[tuple[str, str, str]]:
    """Create the operator and the demo tenant with its admin and company if there is no tenant yet.

    Returns (role, login, one-time password) for each account made, to print; the passwords must be
    changed at first login."""
    settings: Settings = app.state.settings
    made = []
    with session_scope(app.state.engine, audit.SYSTEM) as db:
        if db.exec(select(Tenant.id)).first() is not None:
            return made
        tenant = Tenant(name="Demo Company", sip_domain=DEMO_DOMAIN, timezone="Europe/Amsterdam", language="en",
                        company_number="+31201234567")
        db.add(tenant)
        db.flush()
        # the operator's part: the company's block of public numbers (its admin labels and routes them)
        numbers.assign(db, tenant.id, numbers.expand(*NUMBER_BLOCK))
        for email, role, tenant_id, first, last in (
            (OPERATOR, "operator", None, "Platform", "Operator"),
            (DEMO_ADMIN, "admin", tenant.id, "Anna", "de Vries"),
        ):
            if db.exec(select(Account.id).where(Account.email == email)).first() is not None:
                continue
            password = one_time_password()
            db.add(Account(email=email, role=role, tenant_id=tenant_id, first_name=first, last_name=last,
                           language="en", password_hash=hash_password(settings, password), must_change_password=True))
            made.append((role, email, password))
        db.flush()
        admin = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        raw = new_api_token()
        token = ApiToken(account_id=admin.id, tenant_id=tenant.id, name="demo setup", prefix=raw[:10], token_hash=digest(raw))
        db.add(token)
    populate_company(app, raw, admin.id)
    with session_scope(app.state.engine, audit.SYSTEM) as db:
        db.get(ApiToken, token.id).revoked_at = clock.now()
    return made


def populate_company(app, token: str, admin_account_id: int) -> None:
    from starlette.testclient import TestClient

    with TestClient(app, base_url=app.state.settings.public_base_url,
                    headers={"authorization": f"Bearer {token}"}) as client:

        def post(path, **body):
            response = client.post(path, json=body)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"demo: {path} answered {response.status_code}: {response.text}")
            return response.json()

        departments = {name: post("/api/departments", name=name, caller_id_number=number)["id"]
                       for name, number in (("Sales", "+31201234568"), ("Support", "+31201234569"))}
        numbers = {}
        for row in client.get("/api/numbers").json():
            label = NUMBER_LABELS[row["number"]]
            numbers[label] = client.patch(f"/api/numbers/{row['id']}", json={"label": label}).json()["id"]
        users = {}
        for first, last, extension, department, (brand, model) in STAFF:
            user = post("/api/users", first_name=first, last_name=last, extension=extension, language="nl",
                        email=f"{first.lower()}@demo.example.com",
                        department_id=departments.get(department),
                        caller_id_mode="department" if department else "company",
                        account_id=admin_account_id if extension == "201" else None)
            users[first] = user
            post("/api/devices", name=f"{first}'s desk phone", brand=brand, model=model, user_id=user["id"])
        company_box = post("/api/voicemail-boxes", name="Company voicemail", extension="999", pin="1999",
             email="info@demo.example.com")
        office = post("/api/schedules", name="Office hours", periods=OFFICE_HOURS)
        lunch = post("/api/schedules", name="Lunch", periods=LUNCH)
        holidays = post("/api/holiday-schedules", name="Dutch national holidays", entries=HOLIDAYS)
        sales = post("/api/ring-groups", name="Sales", display_name="Sales", extension="300", strategy="circular",
                     members=[{"type": "user", "id": users[name]["id"]} for name in ("Bram", "Carla")],
                     forward_after={"type": "extension", "number": "999"})
        support = post("/api/queues", name="Support", extension="400", strategy="longest-idle-agent", max_wait_s=120,
                       announce_position=True,
                       tiers=[{"user_id": users[name]["id"], "level": 1, "position": index + 1}
                              for index, name in enumerate(("Daan", "Eva"))])
        lunch_menu = post("/api/ivr-menus", name="Lunch menu", extension="500", keys={
            "1": {"action": "forward", "destination": {"type": "ring_group", "id": sales["id"]}, "description": "sales"},
            "2": {"action": "forward", "destination": {"type": "queue", "id": support["id"]}, "description": "support"},
            "0": {"action": "reception"},
        }, reception={"type": "user", "id": users["Finn"]["id"]})
        client.patch(f"/api/numbers/{numbers['Sales']}", json={"destination": {"type": "ring_group", "id": sales["id"]}})
        client.patch(f"/api/numbers/{numbers['Support']}", json={"destination": {"type": "queue", "id": support["id"]}})
        post("/api/pickup-groups", name="Sales", members=[users["Bram"]["id"], users["Carla"]["id"]])
        client.patch("/api/company", json={"night_mode": "auto", "night_schedule_id": office["id"],
                                           "night_holiday_schedule_id": holidays["id"],
                                           "night_destination": {"type": "voicemail_box", "id": company_box["id"]}})
        post("/api/phonebook/import", csv=PHONEBOOK_CSV, mode="all_or_nothing")
        client.get("/api/feature-codes")  # the defaults
        reception = post("/api/plans", **reception_plan(office["id"], holidays["id"], support["id"], sales["id"],
                                                        lunch["id"], lunch_menu["id"]))
        post(f"/api/plans/{reception['id']}/publish", note="demo")


def reception_plan(office: int, holidays: int, support: int, sales: int, lunch: int, lunch_menu: int) -> dict:
    """The example plan of shared/spec/callplan.md with the demo company's objects. The spec plays an
    announcement ("closed") before the e-mail; the demo company has no audio files yet, so that step is
    left out rather than pointing at a sound that does not exist."""
    return {
        "name": "Reception",
        "numbers": ["+31201234567", "200"],
        "diversions": [
            {"id": "d1", "name": "Everything to the duty mobile", "category": "A", "active": False,
             "steps": [{"id": "s9", "type": "transfer", "to": {"external": "+31612345678"}}]},
        ],
        "steps": [
            {"id": "s1", "type": "time_condition", "schedule": office, "holidays": holidays, "then": [
                {"id": "s2", "type": "queue", "queue": support, "max_wait_s": 120},
                {"id": "s3", "type": "prefix", "text": "MISSED-Q "},
                {"id": "s4", "type": "ring_group", "group": sales},
            ]},
            {"id": "s5", "type": "time_condition", "schedule": lunch, "then": [
                {"id": "s6", "type": "ivr", "menu": lunch_menu},
            ]},
            {"id": "s8", "type": "email", "to": ["info@demo.example.com"]},
            {"id": "s10", "type": "hang_up"},
        ],
    }
