"""Report mail (#17 item 5): subscriptions and the usage limit (API, 422s, tenants), "send this period by
e-mail" from /calls and /reports with the CSV attached and complete past the page size, the usage alert
mailed once per period even when several processes check at once, and the monthly report on the 1st.
Mail goes through the outbox and a real SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from fs_bridge import outbox
from tests.web.concurrency import at_once, clients, serving
from tests.web.helpers import make_account, make_token
from tests.web.pbx import admin, other_admin  # noqa: F401
from web.domain import report_mail
from web.models.account import Account
from web.models.call_record import CallRecord
from web.models.notification import OutboxMessage
from web.models.report_mail import ReportMailRun

NOV = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)


def _records(db, tenant_id: int, count: int, start: datetime = NOV, cost: str = "0.10", **fields) -> None:
    """`count` call records a minute apart, in one transaction (hundreds of them stay quick)."""
    with db() as session:
        for n in range(count):
            at = start + timedelta(minutes=n)
            values = dict(call_uuid=str(uuid.uuid4()), direction="outbound", caller_number="201", caller_name="Anna",
                          dialled_number="0612345678", callee_number="0612345678", started_at=at,
                          answered_at=at + timedelta(seconds=5), ended_at=at + timedelta(seconds=65),
                          duration_seconds=65, billed_seconds=60, hangup_cause="NORMAL_CLEARING", call_type="mobile",
                          cost=Decimal(cost), currency="EUR", sources=["cdr"])
            values.update(fields)
            session.add(CallRecord(tenant_id=tenant_id, **values))


@pytest.fixture
def people(admin, db, settings):
    """The admin, a bookkeeper (reports role) and a user who may not read call records."""
    tenant_id = admin.tenant.id
    keeper = make_account(db, settings, tenant_id, "books@acme.test", role="reports")
    with db() as session:  # the bookkeeper reads Dutch
        keeper = session.get(Account, keeper.id)
        keeper.language = "nl"
        session.add(keeper)
    user = make_account(db, settings, tenant_id, "user@acme.test", role="user")
    return {"admin": admin.account.id, "keeper": keeper.id, "user": user.id, "keeper_account": keeper}


def _subscribe(admin, *pairs) -> dict:
    response = admin.client.patch("/api/report-mail", json={
        "subscriptions": [{"account_id": account_id, "kind": kind} for account_id, kind in pairs]})
    assert response.status_code == 200, response.text
    return response.json()


def _deliver(app, settings) -> int:
    return outbox.deliver_due(app.state.engine, settings)


def _csv_attachment(message) -> tuple[str, list[list[str]]]:
    [part] = [part for part in message.iter_attachments()]
    return part.get_filename(), list(csv.reader(io.StringIO(part.get_content() if isinstance(part.get_content(), str)
                                                             else part.get_content().decode("utf-8"))))


# --- subscriptions and the limit ---------------------------------------------------------------------


def test_subscriptions_and_the_limit_are_set_and_read_back(admin, people, db):
    answer = admin.client.get("/api/report-mail").json()
    assert answer["usage_limit"] is None and answer["currency"] == "EUR"
    assert {row["email"] for row in answer["accounts"]} == {"boss@acme.test", "books@acme.test"}  # not the user
    assert answer["kinds"] == ["monthly_report", "usage_alert", "statement"]

    answer = _subscribe(admin, (people["admin"], "usage_alert"), (people["keeper"], "usage_alert"),
                        (people["keeper"], "monthly_report"), (people["keeper"], "statement"))
    kinds = {row["email"]: row["kinds"] for row in answer["accounts"]}
    assert kinds == {"boss@acme.test": ["usage_alert"], "books@acme.test": ["monthly_report", "usage_alert", "statement"]}
    with db() as session:
        assert report_mail.subscribers(session, admin.tenant.id, "usage_alert") == ["books@acme.test", "boss@acme.test"]
        assert report_mail.subscribers(session, admin.tenant.id, "statement") == ["books@acme.test"]

    response = admin.client.patch("/api/report-mail", json={"usage_limit": "250.5", "currency": "USD"})
    assert response.status_code == 200, response.text
    assert Decimal(response.json()["usage_limit"]) == Decimal("250.50") and response.json()["currency"] == "USD"
    # only what is sent changes; 0 means no limit (seed 001 §8.1)
    answer = admin.client.patch("/api/report-mail", json={"currency": "EUR"}).json()
    assert {row["email"]: len(row["kinds"]) for row in answer["accounts"]} == {"boss@acme.test": 1, "books@acme.test": 3}
    assert Decimal(admin.client.get("/api/report-mail").json()["usage_limit"]) == Decimal("250.50")
    assert admin.client.patch("/api/report-mail", json={"usage_limit": 0}).json()["usage_limit"] is None

    # the whole list each time: leaving an entry out ends it
    _subscribe(admin, (people["keeper"], "statement"))
    with db() as session:
        assert report_mail.subscribers(session, admin.tenant.id, "usage_alert") == []
        assert report_mail.subscribers(session, admin.tenant.id, "statement") == ["books@acme.test"]


def test_a_blocked_or_demoted_account_gets_no_more_mail(admin, people, db):
    _subscribe(admin, (people["keeper"], "monthly_report"))
    with db() as session:
        account = session.get(Account, people["keeper"])
        account.role = "user"
        session.add(account)
    with db() as session:
        assert report_mail.subscribers(session, admin.tenant.id, "monthly_report") == []
        account = session.get(Account, people["keeper"])
        account.role, account.blocked = "reports", True
        session.add(account)
    with db() as session:
        assert report_mail.subscribers(session, admin.tenant.id, "monthly_report") == []


@pytest.mark.parametrize("body, pointer", [
    ({"usage_limit": -1}, "/usage_limit"),
    ({"usage_limit": "12.345"}, "/usage_limit"),
    ({"usage_limit": "1e12"}, "/usage_limit"),
    ({"usage_limit": "lots"}, "/usage_limit"),
    ({"currency": "eur"}, "/currency"),
    ({"currency": "EURO"}, "/currency"),
    ({"currency": "EUR\n"}, "/currency"),
    ({"subscriptions": [{"account_id": 1, "kind": "weekly"}]}, "/subscriptions/0/kind"),
    ({"subscriptions": [{"account_id": "x", "kind": "usage_alert"}]}, "/subscriptions/0/account_id"),
    ({"limit": 5}, "/limit"),
])
def test_bad_values_are_a_422_naming_the_field(admin, body, pointer):
    response = admin.client.patch("/api/report-mail", json=body)
    assert response.status_code == 422, response.text
    assert pointer in [error["pointer"] for error in response.json()["errors"]]


def test_only_the_companys_accounts_that_may_read_calls_can_be_subscribed(admin, other_admin, people):
    for account_id in (people["user"], other_admin.account.id, 999999):
        response = admin.client.patch("/api/report-mail", json={
            "subscriptions": [{"account_id": people["keeper"], "kind": "usage_alert"},
                              {"account_id": account_id, "kind": "usage_alert"}]})
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["pointer"] == "/subscriptions/1/account_id" and error["code"] == "not_a_report_reader"
    assert all(row["kinds"] == [] for row in admin.client.get("/api/report-mail").json()["accounts"])


def test_another_company_sees_and_changes_only_its_own(admin, other_admin, people, db):
    admin.client.patch("/api/report-mail", json={"usage_limit": "10"})
    _subscribe(admin, (people["keeper"], "usage_alert"))
    theirs = other_admin.client.get("/api/report-mail").json()
    assert theirs["usage_limit"] is None
    assert [row["email"] for row in theirs["accounts"]] == ["boss@other.test"]
    _subscribe(other_admin, (other_admin.account.id, "usage_alert"))
    with db() as session:
        assert report_mail.subscribers(session, admin.tenant.id, "usage_alert") == ["books@acme.test"]
        assert report_mail.subscribers(session, other_admin.tenant.id, "usage_alert") == ["boss@other.test"]
    # the other company's mail form cannot send to this company's people
    response = other_admin.client.post("/api/call-records/mail", json={"email": "books@acme.test"})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/email"


def test_who_may_do_what(app, admin, people, db, settings):
    keeper = TestClient(app, headers={"authorization": f"Bearer {make_token(db, people['keeper_account'])}"})
    assert keeper.get("/api/report-mail").status_code == 403
    assert keeper.patch("/api/report-mail", json={"usage_limit": 1}).status_code == 403
    assert keeper.post("/api/call-records/mail", json={}).status_code == 202
    with db() as session:
        user = session.get(Account, people["user"])
    plain = TestClient(app, headers={"authorization": f"Bearer {make_token(db, user)}"})
    assert plain.post("/api/call-records/mail", json={}).status_code == 403
    assert plain.post("/api/reports/mail", json={}).status_code == 403


# --- send this period by e-mail ----------------------------------------------------------------------


def test_the_calls_mail_carries_every_selected_record_past_the_page_size(app, admin, people, db, settings, mailbox):
    _records(db, admin.tenant.id, 520)  # past a page (50) and past the largest page (500)
    _records(db, admin.tenant.id, 7, start=NOV + timedelta(days=2), call_type="national", dialled_number="0201234567")
    _records(db, admin.tenant.id, 3, start=datetime(2026, 10, 1, 9, tzinfo=timezone.utc))  # outside the dates
    query = "from=2026-11-01&to=2026-11-30&call_type=mobile&limit=50&offset=0"
    page = admin.client.get(f"/api/call-records?{query}").json()
    assert len(page["items"]) == 50 and page["total"] == 520

    response = admin.client.post(f"/api/call-records/mail?{query}", json={})
    assert response.status_code == 202, response.text
    assert response.json()["to"] == "boss@acme.test" and response.json()["rows"] == 520
    assert _deliver(app, settings) == 1
    [message] = mailbox.to("boss@acme.test")
    name, rows = _csv_attachment(message)
    assert name.startswith("call-records-") and name.endswith(".csv")
    header, body = rows[0], rows[1:]
    assert header[:3] == ["id", "started_at", "answered_at"]
    assert len(body) == 520 and {row[header.index("call_type")] for row in body} == {"mobile"}
    # the same rows as the download of the same filters
    download = list(csv.reader(io.StringIO(admin.client.get(f"/api/call-records.csv?{query}").text)))
    assert rows == download
    assert "520" in message.get_body(("plain",)).get_content() and "call_type=mobile" in message.get_body(("plain",)).get_content()


def test_the_calls_mail_goes_to_an_address_of_the_company_in_its_language(app, admin, people, db, settings, mailbox):
    _records(db, admin.tenant.id, 3)
    response = admin.client.post("/api/call-records/mail?from=2026-11-01&to=2026-11-30", json={"email": "Books@Acme.test"})
    assert response.status_code == 202, response.text
    _deliver(app, settings)
    [message] = mailbox.to("books@acme.test")
    assert message["Subject"].startswith("Acme: gespreksdetails")  # the bookkeeper reads Dutch
    assert len(_csv_attachment(message)[1]) == 4
    for address in ("user@acme.test", "nobody@acme.test", "boss@other.test"):
        response = admin.client.post("/api/call-records/mail", json={"email": address})
        assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/email"
    # a bad filter is the download's 422
    response = admin.client.post("/api/call-records/mail?call_type=fax", json={})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/call_type"


def test_the_reports_mail_carries_the_periods_totals(app, admin, people, db, settings, mailbox, other_admin):
    _records(db, admin.tenant.id, 4)
    _records(db, other_admin.tenant.id, 9)  # another company's calls are not in it
    response = admin.client.post("/api/reports/mail?period=custom&from=2026-11-01&to=2026-11-30", json={})
    assert response.status_code == 202, response.text
    _deliver(app, settings)
    [message] = mailbox.to("boss@acme.test")
    name, rows = _csv_attachment(message)
    assert name == "totals-2026-11-01-2026-11-30.csv"
    assert rows[0] == list(report_mail.TOTALS_COLUMNS)
    assert rows[1][:4] == ["overall", "all", "", "4"]
    assert ["call_type", "mobile", "mobile", "4", "4", "0", "240", "4.0", "0.4000"] in rows
    assert "Calls: 4" in message.get_body(("plain",)).get_content()
    response = admin.client.post("/api/reports/mail?period=custom&from=2026-11-30&to=2026-11-01", json={})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/to"


def test_period_mails_are_limited_per_account_and_hour_even_when_asked_at_once(app, admin, people, db, settings, monkeypatch):
    """An inbox cannot be bombed from the portal: an account sends at most PERIOD_MAILS_PER_HOUR period
    mails a clock hour; parallel requests take the hour's numbered outbox keys, so exactly that many get
    through; another account has its own; the next hour frees them."""
    monkeypatch.setattr(report_mail, "PERIOD_MAILS_PER_HOUR", 3)
    hour = datetime(2026, 12, 3, 10, 40, tzinfo=timezone.utc)
    monkeypatch.setattr("web.clock.now", lambda: hour)
    _records(db, admin.tenant.id, 2)
    tokens = [make_token(db, admin.account) for _ in range(8)]
    with serving(app) as url, clients(url, len(tokens)) as made:
        answers = at_once(made, lambda client, n: client.post(
            "/api/reports/mail?period=custom&from=2026-11-01&to=2026-11-30", json={},
            headers={"authorization": f"Bearer {tokens[n]}"}))
    assert sorted(answer.status_code for answer in answers) == [202] * 3 + [429] * 5, [a.text for a in answers]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.headers["retry-after"] == str(20 * 60)
    assert refused.json()["code"] == "period_mails_limited" and "3 mails this hour" in refused.json()["title"]
    # the calls' mail counts against the same hour
    assert admin.client.post("/api/call-records/mail?from=2026-11-01&to=2026-11-30", json={}).status_code == 429
    with db() as session:
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.event == "period_mail")).all()
    assert len(queued) == 3
    # the bookkeeper is another sender
    keeper = TestClient(admin.app, headers={"authorization": f"Bearer {make_token(db, people['keeper_account'])}"})
    assert keeper.post("/api/call-records/mail", json={}).status_code == 202
    hour = datetime(2026, 12, 3, 11, 0, 1, tzinfo=timezone.utc)
    assert admin.client.post("/api/call-records/mail", json={}).status_code == 202


# --- the usage alert ---------------------------------------------------------------------------------


def _alert_setup(admin, people, limit="1.00"):
    admin.client.patch("/api/report-mail", json={"usage_limit": limit})
    _subscribe(admin, (people["admin"], "usage_alert"), (people["keeper"], "usage_alert"))


def test_the_usage_alert_is_mailed_once_when_the_month_passes_the_limit(app, admin, people, db, settings, mailbox):
    _alert_setup(admin, people)
    engine, now = app.state.engine, NOV + timedelta(days=5)
    _records(db, admin.tenant.id, 10)  # 1.00: at the limit, not past it
    _records(db, admin.tenant.id, 5, cost="9", currency="USD", start=NOV + timedelta(days=1))  # another currency
    assert report_mail.run_due(engine, now) == 0
    _records(db, admin.tenant.id, 1, cost="0.01", start=NOV + timedelta(days=3))
    assert report_mail.run_due(engine, now) == 1
    assert report_mail.run_due(engine, now) == 0  # once
    assert _deliver(app, settings) == 2
    [boss] = mailbox.to("boss@acme.test")
    [keeper] = mailbox.to("books@acme.test")
    assert boss["Subject"] == "Acme: this month's call costs passed EUR 1.00"
    assert "EUR 1.01" in boss.get_body(("plain",)).get_content()
    assert "EUR 1,01" in keeper.get_body(("plain",)).get_content() and "november 2026" in keeper.get_body(("plain",)).get_content()
    assert admin.client.get("/api/report-mail").json()["sent"][0] | {"at": None} == {
        "kind": "usage_alert", "period": "2026-11", "recipients": 2, "at": None}

    # the next month starts below the limit again, and is alerted once when it passes it
    december = datetime(2026, 12, 2, 10, tzinfo=timezone.utc)
    assert report_mail.run_due(engine, december) == 0
    _records(db, admin.tenant.id, 11, start=december)
    assert report_mail.run_due(engine, december + timedelta(hours=1)) == 1
    assert report_mail.run_due(engine, december + timedelta(hours=2)) == 0


def _race(engine, now, racers: int = 8) -> list[int]:
    """run_due from `racers` threads released together (each its own connections: several bridges)."""
    barrier = threading.Barrier(racers)
    claimed = []

    def check():
        barrier.wait()
        claimed.append(report_mail.run_due(engine, now))

    threads = [threading.Thread(target=check) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(claimed)


def test_the_usage_alert_is_queued_once_when_many_processes_check_at_once(app, admin, people, db, settings, mailbox):
    _alert_setup(admin, people)
    _records(db, admin.tenant.id, 20)
    claimed = _race(app.state.engine, NOV + timedelta(days=5))
    assert claimed == [0] * 7 + [1]
    with db() as session:
        assert len(session.exec(select(ReportMailRun)).all()) == 1
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.event == "usage_alert")).all()) == 2
    assert _deliver(app, settings) == 2
    assert len(mailbox.to("boss@acme.test")) == 1 and len(mailbox.to("books@acme.test")) == 1


def test_no_limit_or_nobody_subscribed_sends_nothing(app, admin, people, db, other_admin):
    _records(db, admin.tenant.id, 50)
    engine, now = app.state.engine, NOV + timedelta(days=5)
    _subscribe(admin, (people["admin"], "usage_alert"))
    assert report_mail.run_due(engine, now) == 0  # no limit
    admin.client.patch("/api/report-mail", json={"usage_limit": "1", "subscriptions": []})
    assert report_mail.run_due(engine, now) == 0  # nobody to tell: not claimed, so a later subscriber hears it
    # another company's limit and subscribers do not see this company's costs
    other_admin.client.patch("/api/report-mail", json={"usage_limit": "1"})
    _subscribe(other_admin, (other_admin.account.id, "usage_alert"))
    assert report_mail.run_due(engine, now) == 0
    _subscribe(admin, (people["admin"], "usage_alert"))
    assert report_mail.run_due(engine, now) == 1


# --- the monthly report ------------------------------------------------------------------------------


def test_the_monthly_report_is_mailed_on_the_first_once(app, admin, people, db, settings, mailbox):
    _subscribe(admin, (people["keeper"], "monthly_report"))
    _records(db, admin.tenant.id, 6)
    _records(db, admin.tenant.id, 2, start=datetime(2026, 12, 1, 0, 30, tzinfo=timezone.utc))  # December already
    engine = app.state.engine
    assert report_mail.run_due(engine, datetime(2026, 11, 30, 22, 59, tzinfo=timezone.utc)) == 0  # still the 30th
    # 2026-12-01 00:00 in Amsterdam is 2026-11-30 23:00 UTC
    assert report_mail.run_due(engine, datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)) == 1
    assert report_mail.run_due(engine, datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)) == 0
    assert _deliver(app, settings) == 1
    [message] = mailbox.to("books@acme.test")
    assert message["Subject"] == "Acme: gespreksrapport over november 2026"
    name, rows = _csv_attachment(message)
    assert name == "report-2026-11.csv" and rows[1][:4] == ["overall", "all", "", "6"]
    assert "Gesprekken: 6" in message.get_body(("plain",)).get_content()


def test_the_monthly_report_catches_up_after_an_outage_but_not_mid_month(app, admin, people, db):
    _subscribe(admin, (people["keeper"], "monthly_report"))
    engine = app.state.engine
    assert report_mail.run_due(engine, datetime(2026, 11, 15, 9, tzinfo=timezone.utc)) == 0
    assert report_mail.run_due(engine, datetime(2026, 12, 3, 9, tzinfo=timezone.utc)) == 1
    assert report_mail.run_due(engine, datetime(2027, 1, 4, 9, tzinfo=timezone.utc)) == 0


def test_the_monthly_report_is_queued_once_when_many_processes_check_at_once(app, admin, people, db, settings, mailbox):
    _subscribe(admin, (people["keeper"], "monthly_report"), (people["admin"], "monthly_report"))
    _records(db, admin.tenant.id, 5)
    assert _race(app.state.engine, datetime(2026, 12, 1, 6, tzinfo=timezone.utc)) == [0] * 7 + [1]
    assert _deliver(app, settings) == 2
    assert len(mailbox.to("books@acme.test")) == 1 and len(mailbox.to("boss@acme.test")) == 1
