"""Monthly statements (#17 item 6), on SQLite and PostgreSQL: the PDF's text (read back with pypdf) holds
the month's totals per call type as /reports computes them, in the company's language, and its numbers
and phones; a month is made once however often and however many ask at once (the admin's button, the
periodic job in several processes); another company's admin gets 404, other roles 403; bad months 422."""

from __future__ import annotations

import io
import os
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlmodel import select
from starlette.testclient import TestClient

from tests.web.concurrency import at_once, clients, serving
from tests.web.factories_call_records import make_call_record
from tests.web.factories_devices import make_device
from tests.web.helpers import make_account, make_token
from tests.web.pbx import admin, other_admin  # noqa: F401
from web import clock
from web.domain import statement_pdf, statements
from web.models.phone_number import PhoneNumber
from web.models.statement import Statement
from web.models.tenant import Tenant

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def november(admin, db, settings):
    """Calls of November 2026 in Amsterdam: two on the month's edges (in: 00:30 on the 1st; out: 00:30 on
    December 1st, both local), priced and unpriced; a number and two phones."""
    tenant_id = admin.tenant.id
    anna = admin.user("201", "Anna", last_name="de Vries")
    calls = [  # (start UTC, type, billed seconds, cost)
        (datetime(2026, 10, 31, 23, 30, tzinfo=timezone.utc), "mobile", 90, Decimal("0.1500")),  # Nov 1st 00:30
        (datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc), "mobile", 600, Decimal("1.0000")),
        (datetime(2026, 11, 11, 9, 0, tzinfo=timezone.utc), "national", 125, Decimal("0.0455")),
        (datetime(2026, 11, 12, 9, 0, tzinfo=timezone.utc), "internal", 3600, None),
        (datetime(2026, 11, 13, 9, 0, tzinfo=timezone.utc), "international", 61, Decimal("1234.5678")),
        (datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc), "mobile", 7, Decimal("9.0000")),  # December 1st
    ]
    for start, call_type, billed, cost in calls:
        make_call_record(db, settings, tenant_id, started_at=start, call_type=call_type, billed_seconds=billed,
                         cost=cost, currency="EUR" if cost is not None else None)
    number = admin.number("+31201234567", label="Hoofdnummer")
    admin.number("+31201234568", label="Later")
    before = datetime(2026, 10, 15, tzinfo=timezone.utc)
    make_device(db, settings, tenant_id, name="Receptie", brand="yealink", model="T54W", mac="805ec0000001",
                user_id=anna["id"], created_at=before)
    make_device(db, settings, tenant_id, name="Vergaderruimte Zoë", brand="generic", model="Generic SIP phone",
                created_at=before)
    make_device(db, settings, tenant_id, name="Added in December", created_at=datetime(2026, 11, 30, 23, 1, tzinfo=timezone.utc))
    with db() as session:  # the first number held since October, the second only from December 1st (local)
        for row in session.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant_id)):
            row.assigned_at = before if row.number == "+31201234567" else datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)
    return {"number": number}


def _make(client, month: str):
    return client.post("/api/statements", json={"month": month})


def test_the_pdf_holds_the_months_totals_in_the_companys_language(admin, november):
    made = _make(admin.client, "2026-11")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["month"] == "2026-11" and body["language"] == "nl" and body["created_by"] == "boss@acme.test"
    answer = admin.client.get(body["url"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'inline; filename="statement-2026-11-acme.pdf"'
    assert body["size"] == len(answer.content)
    text = pdf_text(answer.content)
    # the figures /reports gives for the same month, written the Dutch way
    totals = admin.client.get("/api/reports/totals", params={"period": "custom", "from": "2026-11-01",
                                                             "to": "2026-11-30"}).json()
    assert totals["overall"]["calls"] == 5
    expected = {"mobile": "Mobiel 2 11,5 € 1,15", "national": "Nationaal 1 2,1 € 0,05",
                "internal": "Intern 1 60,0 € 0,00", "international": "Internationaal 1 1,0 € 1.234,57"}
    assert {row["key"] for row in totals["call_type"]} == set(expected)
    for row in totals["call_type"]:
        shown = (f"{statement_pdf.figure(Decimal(row['minutes']), 1, 'nl')} "
                 f"{statement_pdf.money(Decimal(row['cost']), 'EUR', 'nl')}")
        assert expected[row["key"]].endswith(shown)
    for line in expected.values():
        assert line in text, (line, text)
    assert "Totaal 5 74,6 € 1.235,76" in text
    assert "Maandoverzicht november 2026" in text
    assert "1 november 2026 tot en met 30 november 2026, tijdzone Europe/Amsterdam" in text
    # the numbers and phones the company holds
    assert "Telefoonnummers in gebruik (1)" in text and "+31201234567 Hoofdnummer" in text
    assert "Toestellen (2)" in text
    assert "Receptie Yealink T54W 80:5E:C0:00:00:01 Anna de Vries (201)" in text
    assert "Vergaderruimte Zoë Generic SIP phone" in text
    assert "Later" not in text and "Added in December" not in text  # not held yet at the month's end
    # downloaded as a file too
    download = admin.client.get(body["url"], params={"download": "1"})
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.content == answer.content


def test_english_company_and_an_empty_month(admin, db):
    with db() as session:
        session.get(Tenant, admin.tenant.id).language = "en"
    made = _make(admin.client, "2025-02")
    assert made.status_code == 201, made.text
    text = pdf_text(admin.client.get(made.json()["url"]).content)
    assert "Statement February 2025" in text
    assert "February 1, 2025 to February 28, 2025, time zone Europe/Amsterdam" in text
    assert "Total 0 0.0 €0.00" in text
    assert "Phone numbers held (0)" in text and "Phones (0)" in text and "None." in text


def test_asked_again_it_is_the_same_statement(admin, november):
    first = _make(admin.client, "2026-11")
    again = _make(admin.client, "2026-11")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    # the audit log has it once: who, which month, how big (never the bytes)
    logged = admin.client.get("/api/audit", params={"object_type": "statement"}).json()
    assert [(entry["action"], entry["actor_email"], entry["object_id"], entry["summary"]) for entry in logged] == [
        ("statement.create", "boss@acme.test", str(first.json()["id"]),
         {"after": {"month": "2026-11", "language": "nl", "size": first.json()["size"]}})]
    listed = admin.client.get("/api/statements").json()
    assert [row["month"] for row in listed] == ["2026-11"]
    _make(admin.client, "2026-09")
    assert [row["month"] for row in admin.client.get("/api/statements").json()] == ["2026-11", "2026-09"]


@pytest.mark.parametrize("month, code", [
    ("2026-13", "month_format"), ("26-11", "month_format"), ("2026-1", "month_format"), ("", "month_format"),
    ("2026-1\n", "month_format"), ("2026-11\n", "string_too_long"), ("1969-12", "month_format"), ("٢٠٢٦-11", "month_format"),
])
def test_a_bad_month_is_a_422_naming_it(admin, month, code):
    answer = _make(admin.client, month)
    assert answer.status_code == 422, answer.text
    assert [(error["pointer"], error["code"]) for error in answer.json()["errors"]] == [("/month", code)]


def test_only_a_month_that_has_ended(admin):
    now = clock.now().astimezone(AMSTERDAM)
    this_month = now.strftime("%Y-%m")
    next_month = (now.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    for month in (this_month, next_month, "2199-12"):
        answer = _make(admin.client, month)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["code"] == "month_not_past"
    assert _make(admin.client, "2026-11" if this_month != "2026-11" else "2026-10").status_code == 201
    # a wrong body is a 422 too, never a 500
    assert admin.client.post("/api/statements", json={"month": 202611}).status_code == 422
    assert admin.client.post("/api/statements", json={"month": "2026-11", "x": 1}).status_code == 422


def test_another_companys_admin_gets_404(admin, other_admin, november):
    assert _make(admin.client, "2026-11").status_code == 201
    assert other_admin.client.get("/api/statements/2026-11.pdf").status_code == 404
    assert other_admin.client.get("/api/statements/2026-11.pdf", params={"download": "1"}).status_code == 404
    assert other_admin.client.get("/api/statements").json() == []
    # its own statement of the same month is its own, with its own figures
    assert _make(other_admin.client, "2026-11").status_code == 201
    own = pdf_text(other_admin.client.get("/api/statements/2026-11.pdf").content)
    assert "Other" in own and "Totaal 0 0,0 € 0,00" in own
    assert "Acme" in pdf_text(admin.client.get("/api/statements/2026-11.pdf").content)
    # a month without one, and nonsense, look the same
    assert admin.client.get("/api/statements/2026-10.pdf").status_code == 404
    assert admin.client.get("/api/statements/x.pdf").status_code == 404


@pytest.mark.parametrize("role", ["user", "agent", "reports"])
def test_only_admins(admin, db, settings, role, november):
    assert _make(admin.client, "2026-11").status_code == 201
    account = make_account(db, settings, admin.tenant.id, f"{role}@acme.test", role=role)
    client = TestClient(admin.app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    assert client.get("/api/statements").status_code == 403
    assert client.get("/api/statements/2026-11.pdf").status_code == 403
    assert _make(client, "2026-10").status_code == 403
    with db() as session:
        assert len(session.exec(select(Statement.id)).all()) == 1


def test_admins_asking_at_once_make_it_once(admin, app, db, settings, november):
    tokens = [make_token(db, admin.account) for _ in range(6)]
    with serving(app) as url, clients(url, len(tokens)) as made:
        answers = at_once(made, lambda client, n: client.post(
            "/api/statements", json={"month": "2026-11"}, headers={"authorization": f"Bearer {tokens[n]}"}))
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [201], [a.text for a in answers]
    assert len({answer.json()["id"] for answer in answers}) == 1
    with db() as session:
        assert len(session.exec(select(Statement.id).where(Statement.tenant_id == admin.tenant.id)).all()) == 1


# --- the periodic job ------------------------------------------------------------------------------------


def _founded_before(db, tenant_id, moment):
    with db() as session:
        session.get(Tenant, tenant_id).created_at = moment


def test_the_1st_makes_last_month_once(admin, other_admin, app, db, november):
    engine = app.state.engine
    _founded_before(db, admin.tenant.id, datetime(2026, 11, 1, 8, tzinfo=timezone.utc))  # nothing of October
    # Other was founded on November 20th, in a zone where December has begun before Amsterdam's
    _founded_before(db, other_admin.tenant.id, datetime(2026, 11, 20, tzinfo=timezone.utc))
    with db() as session:
        session.get(Tenant, other_admin.tenant.id).timezone = "Asia/Tokyo"
    # November 30th 23:59 in Amsterdam (UTC+1) is December 1st 07:59 in Tokyo: Other's November is due
    eve = datetime(2026, 11, 30, 22, 59, tzinfo=timezone.utc)
    with db() as session:
        assert statements.due(session, eve) == [(other_admin.tenant.id, datetime(2026, 11, 1).date())]
    assert statements.make_due(engine, eve) == [(other_admin.tenant.id, "2026-11")]
    first = datetime(2026, 11, 30, 23, 5, tzinfo=timezone.utc)  # December 1st 00:05 in Amsterdam
    assert statements.make_due(engine, first) == [(admin.tenant.id, "2026-11")]
    assert statements.make_due(engine, first + timedelta(hours=1)) == []
    with db() as session:
        rows = session.exec(select(Statement.tenant_id, Statement.month, Statement.created_by)).all()
    assert sorted(rows) == sorted([(admin.tenant.id, "2026-11", None), (other_admin.tenant.id, "2026-11", None)])
    text = pdf_text(admin.client.get("/api/statements/2026-11.pdf").content)
    assert "Totaal 5 74,6 € 1.235,76" in text
    assert admin.client.get("/api/statements").json()[0]["created_by"] is None
    assert [entry["actor_email"] for entry in admin.client.get("/api/audit", params={"object_type": "statement"}).json()] \
        == ["system"]


def test_a_company_made_this_month_gets_none_for_last_month(admin, db):
    _founded_before(db, admin.tenant.id, datetime(2026, 12, 1, 9, tzinfo=timezone.utc))
    with db() as session:
        assert statements.due(session, datetime(2026, 12, 2, tzinfo=timezone.utc)) == []
        # a month later it has a whole month behind it
        assert statements.due(session, datetime(2027, 1, 1, 8, tzinfo=timezone.utc)) == [
            (admin.tenant.id, datetime(2026, 12, 1).date())]


def test_several_processes_make_it_once(admin, app, db, settings, november):
    """The job run by four processes at the same moment (threads, each with its own engine and
    connections, as separate bridges would have): one statement, stored by exactly one of them."""
    from web.db import make_engine

    _founded_before(db, admin.tenant.id, datetime(2026, 1, 1, tzinfo=timezone.utc))
    first = datetime(2026, 11, 30, 23, 5, tzinfo=timezone.utc)
    engines = [make_engine(settings.database_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results: list = [None] * len(engines)

    def run(n):
        barrier.wait()
        try:
            results[n] = statements.make_due(engines[n], first)
        except Exception as exc:  # reported by the assertion below
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()
    assert sorted(map(str, results)) == ["[(%d, '2026-11')]" % admin.tenant.id] + ["[]"] * 3, results
    with db() as session:
        assert len(session.exec(select(Statement.id)).all()) == 1


def test_file_names_are_plain_ascii():
    assert statements.file_name("Zoë & Co. B.V.", "2026-11") == "statement-2026-11-zo-co-b-v.pdf"
    assert statements.file_name("Ωμέγα", "2026-11") == "statement-2026-11.pdf"


def test_the_bridges_job_makes_last_months_once(admin, app, db, settings):
    """fs_bridge.statements (the bridge runs it once a minute): now, with the real clock."""
    from fs_bridge import handlers, statements as job

    assert job in handlers.modules() and hasattr(job, "run")
    assert job.check(app.state.engine, settings) == []  # the company was made this month
    _founded_before(db, admin.tenant.id, datetime(2020, 1, 1, tzinfo=timezone.utc))
    last_month = statements.previous_month(statements.current_month(AMSTERDAM)).strftime("%Y-%m")
    assert job.check(app.state.engine, settings) == [(admin.tenant.id, last_month)]
    assert job.check(app.state.engine, settings) == []
    assert [row["month"] for row in admin.client.get("/api/statements").json()] == [last_month]


# --- the admin's button draws in a child process ---------------------------------------------------------


def test_make_statement_draws_in_a_child_while_the_worker_serves_other_requests(admin, app, db, settings, monkeypatch):
    """A large company's statement (many pages) made by the admin's button: fpdf2 runs in a child process
    (web.domain.statement_drawing), not in the web process (its render here would fail), and the worker's
    event loop answers other requests meanwhile: /api/health asked over and over during the drawing answers
    quickly each time."""
    import time

    from web.domain import statement_drawing
    from web.models.device import Device

    before = datetime(2026, 1, 1, tzinfo=timezone.utc)
    make_device(db, settings, admin.tenant.id, name="Phone 000", created_at=before)
    with db() as session:
        model = session.exec(select(Device).where(Device.tenant_id == admin.tenant.id)).first()
        for n in range(1, 250):
            session.add(Device(tenant_id=admin.tenant.id, name=f"Phone {n:03d}", brand="yealink", model="T54W",
                               mac=f"805ec1{n:06x}", sip_username=f"apart{admin.tenant.id}x{n}",
                               sip_password_sealed=model.sip_password_sealed,
                               provisioning_password_sealed=model.provisioning_password_sealed, created_at=before))

    def not_here(data):
        raise AssertionError("drawn in the web process")

    monkeypatch.setattr(statement_pdf, "render", not_here)
    children: list = []
    draw = statement_drawing.Drawer.draw

    def watched(self, data):
        started = time.perf_counter()
        try:
            return draw(self, data)
        finally:
            children.append((self.pid, time.perf_counter() - started))

    monkeypatch.setattr(statement_drawing.Drawer, "draw", watched)
    token = make_token(db, admin.account)
    answer: dict = {}
    with serving(app) as url, clients(url, 2) as (maker, other):
        def make():
            answer["response"] = maker.post("/api/statements", json={"month": "2026-10"},
                                            headers={"authorization": f"Bearer {token}"})

        thread = threading.Thread(target=make)
        thread.start()
        waits = []
        while thread.is_alive():
            started = time.perf_counter()
            assert other.get("/api/health").status_code == 200
            waits.append(time.perf_counter() - started)
            time.sleep(0.01)
        thread.join()
    made = answer["response"]
    assert made.status_code == 201, made.text
    [(pid, took)] = children
    assert pid is not None and pid != os.getpid()
    pages = PdfReader(io.BytesIO(admin.client.get(made.json()["url"]).content)).pages
    assert len(pages) > 5 and "Phone 249" in "".join(page.extract_text() for page in pages)
    print(f"\nstatement of {len(pages)} pages drawn in child {pid} in {took:.2f} s; {len(waits)} health answers "
          f"meanwhile, the slowest {max(waits) * 1000:.0f} ms")
    assert len(waits) >= 3 and max(waits) < max(0.5, took / 2), (waits, took)
