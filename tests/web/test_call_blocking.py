"""Incoming call blocking through the API (#16 item 2): the company's rules (PATCH /api/company
call_blocking), a user's (PATCH /api/users/{id} call_blocking) and the phonebook's blocked contacts,
checked with field pointers, kept to the company, and compiled into the dialplan FreeSWITCH fetches for
the company's public numbers and the user's extension. Blocked calls are kept in the call records as
blocked (not missed), and filtered by it."""

from __future__ import annotations

import pytest

from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.test_xml_curl import _fresh_cache, extensions, fs, settings  # noqa: F401  (fixtures: the switch's side)

WEEKDAYS = [{"from_day": day, "from_time": "00:00", "to_day": day, "to_time": "23:59"}
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]


def patch_company(admin, **changes):
    return admin.client.patch("/api/company", json=changes)


def pointers(response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["pointer"] for error in response.json()["errors"]]


def actions(root) -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data")) for a in root.iter("action")]


def test_the_company_blocks_numbers_and_prefixes_and_the_dialplan_turns_them_away(fs, admin):
    admin.number("+31201234500")
    assert patch_company(admin, company_number="+31201234500").status_code == 200
    rules = {"anonymous": True, "numbers": [{"match": "number", "number": "06 1234 5678"},
                                            {"match": "prefix", "number": "+3190"}],
             "treatment": "reject", "reject_cause": "NUMBER_CHANGED"}
    response = patch_company(admin, call_blocking=rules)
    assert response.status_code == 200, response.text
    saved = response.json()["call_blocking"]
    assert saved["numbers"] == [{"match": "number", "number": "0612345678", "schedule_id": None},
                                {"match": "prefix", "number": "+3190", "schedule_id": None}]
    assert admin.client.get("/api/company").json()["call_blocking"] == saved
    context = fs.dialplan(admin.tenant.sip_domain, "+31201234500")
    names = extensions(context)
    # first in the company's context, before whatever answers the number
    assert names[:3] == ["blocked_company_anonymous", "blocked_company_withheld", "blocked_company_numbers"]
    numbers = next(e for e in context.iter("extension") if e.get("name") == "blocked_company_numbers")
    fields = [(c.get("field"), c.get("expression")) for c in numbers.iter("condition")]
    assert fields[1] == ("${cp_from_outside}", "^true$")
    assert fields[2][0] == "caller_id_number" and "0612345678$" in fields[2][1] and "\\+3190" in fields[2][1]
    assert actions(numbers) == [("set", "cp_blocked=company"), ("hangup", "NUMBER_CHANGED")]
    # the public context says the call is from outside
    public = fs.dialplan("public", "+31201234500")
    assert ("set", "cp_from_outside=true") in actions(public)


def test_a_user_blocks_callers_with_a_schedule_and_a_message(fs, admin):
    user = admin.user("201")
    schedule = admin.create("/api/schedules", name="Always", periods=WEEKDAYS)
    rules = {"all_callers": True, "all_callers_schedule_id": schedule["id"], "treatment": "busy"}
    response = admin.client.patch(f"/api/users/{user['id']}", json={"call_blocking": rules})
    assert response.status_code == 200, response.text
    assert response.json()["call_blocking"]["all_callers_schedule_id"] == schedule["id"]
    context = fs.dialplan(admin.tenant.sip_domain, "201")
    names = extensions(context)
    assert names.index("blocked_user_201_all") < names.index("user_201")
    screen = next(e for e in context.iter("extension") if e.get("name") == "blocked_user_201_all")
    assert actions(screen) == [("set", "cp_blocked=user"), ("hangup", "USER_BUSY")]
    # the schedule is in use: deleting it is refused, naming the user and the field
    refused = admin.client.delete(f"/api/schedules/{schedule['id']}")
    assert refused.status_code == 409
    assert {"kind": "user", "where": "/call_blocking/all_callers_schedule_id"}.items() <= refused.json()["used_by"][0].items()


@pytest.mark.parametrize("rules, pointer", [
    ({"numbers": [{"match": "number", "number": "12ab"}]}, "/call_blocking/numbers/0/number"),
    ({"numbers": [{"match": "number", "number": "+31612345678"}, {"match": "prefix", "number": "+31 6x"}]},
     "/call_blocking/numbers/1/number"),
    ({"numbers": [{"match": "prefix", "number": "06*"}]}, "/call_blocking/numbers/0/number"),
    ({"numbers": [{"match": "range", "number": "06"}]}, "/call_blocking/numbers/0/match"),
    ({"treatment": "message"}, "/call_blocking/message_audio_id"),
    ({"treatment": "reject", "reject_cause": "NORMAL_CLEARING"}, "/call_blocking/reject_cause"),
    ({"treatment": "ring"}, "/call_blocking/treatment"),
    ({"anonymous": True, "anonymous_schedule_id": 999999}, "/call_blocking/anonymous_schedule_id"),
    ({"numbers": [{"number": "+31612345678", "schedule_id": 999999}]}, "/call_blocking/numbers/0/schedule_id"),
    ({"treatment": "message", "message_audio_id": 999999}, "/call_blocking/message_audio_id"),
    ({"everyone": True}, "/call_blocking/everyone"),
])
def test_bad_rules_are_refused_beside_their_field(admin, rules, pointer):
    assert pointer in pointers(patch_company(admin, call_blocking=rules))
    user = admin.user("202", first_name="Bram")
    assert pointer in pointers(admin.client.patch(f"/api/users/{user['id']}", json={"call_blocking": rules}))


def test_another_companys_schedule_and_audio_are_refused(admin, other_admin):
    theirs = other_admin.create("/api/schedules", name="Theirs", periods=WEEKDAYS)
    response = patch_company(admin, call_blocking={"all_callers": True, "all_callers_schedule_id": theirs["id"]})
    assert pointers(response) == ["/call_blocking/all_callers_schedule_id"]
    # and the other company's settings are not touched by ours
    assert patch_company(admin, call_blocking={"anonymous": True}).status_code == 200
    assert other_admin.client.get("/api/company").json()["call_blocking"]["anonymous"] is False


def test_a_phonebook_contact_marked_blocked_is_blocked_for_the_company(fs, admin):
    admin.number("+31201234500")
    contact = admin.create("/api/phonebook", name="Pest", number="0687654321", blocked=True)
    assert contact["blocked"] is True
    context = fs.dialplan(admin.tenant.sip_domain, "+31201234500")
    screen = next(e for e in context.iter("extension") if e.get("name") == "blocked_company_numbers")
    assert "0687654321$" in [c.get("expression") for c in screen.iter("condition")][2]
    assert admin.client.patch(f"/api/phonebook/{contact['id']}", json={"blocked": False}).status_code == 200
    assert "blocked_company_numbers" not in extensions(fs.dialplan(admin.tenant.sip_domain, "+31201234500"))


def test_a_blocked_call_is_recorded_as_blocked_not_missed(admin, db):
    """The dialplan's cp_blocked reaches the record from either source, and the list filters by it."""
    from tests.web.call_record_samples import IVR_CALL, QUEUE_CALL, cdr_body, cdr_document, hangup_event
    from web.domain import call_records

    turned_away = {"cp_blocked": "company", "cp_tenant_id": str(admin.tenant.id)}
    with db() as session:
        call_records.store(session, call_records.from_event(
            hangup_event(IVR_CALL, domain=admin.tenant.sip_domain, set_vars=turned_away).headers), "events")
        call_records.store_cdr(session, cdr_body(cdr_document(QUEUE_CALL, domain=admin.tenant.sip_domain,
                                                               set_vars={**turned_away, "cp_blocked": "user"})))
    records = {r["call_uuid"]: r for r in admin.client.get("/api/call-records?blocked=true").json()["items"]}
    assert {uuid: (r["blocked"], r["missed"]) for uuid, r in records.items()} == {
        IVR_CALL: ("company", False), QUEUE_CALL: ("user", False)}
    assert admin.client.get("/api/call-records?blocked=false").json()["items"] == []
    assert pointers(admin.client.get("/api/call-records?blocked=maybe")) == ["/blocked"]
    assert "blocked" in admin.client.get("/api/call-records.csv").text.splitlines()[0]
