"""One bad row never takes a company down (#11 item 1): a stored value that no longer validates, written
straight into the database as an older version or a bug could have, leaves only its own object out of
calls. The other phones still register (directory), calls still route (dialplan), the call-plan API still
answers; the object shows its `problems` in the API and the plan validator names it where a plan uses it;
the snapshot logs it. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from tests.web.pbx import admin  # noqa: F401  (fixture)
from tests.web.test_xml_curl import _fresh_cache, extensions, fs, not_found, settings, user_entry  # noqa: F401
from web.models.pbx_user import PbxUser


def write_directly(db, statement: str, **values) -> None:
    """A value the API would refuse, written past it; the tenant's generation moves on, as a change does."""
    with db() as session:
        session.execute(text(statement), values)
        session.execute(text("UPDATE tenant SET config_generation = config_generation + 1"))


@pytest.fixture
def company(admin, fs):
    anna = admin.user("201", "Anna")
    bram = admin.user("202", "Bram")
    phones = {name: admin.create("/api/devices", name=f"{name}'s phone", user_id=user["id"])
              for name, user in (("anna", anna), ("bram", bram))}
    group = admin.create("/api/ring-groups", name="Front desk", extension="300",
                         members=[{"type": "user", "id": anna["id"]}, {"type": "user", "id": bram["id"]}])
    steps = [{"id": "ring", "type": "user", "user": bram["id"]}, {"id": "vm", "type": "hang_up"}]
    plan = admin.create("/api/plans", name="Reception", numbers=["250"], steps=steps)
    assert admin.client.post(f"/api/plans/{plan['id']}/publish", json={}).status_code == 200
    return {"anna": anna, "bram": bram, "phones": phones, "group": group, "plan": plan}


@pytest.mark.parametrize("bad", ["235\n", "23\r\n", "235\x00", "235\u2028", "2 3"])
def test_a_bad_extension_leaves_out_only_its_user(fs, admin, db, company, caplog, bad, database_url):
    if "\x00" in bad and database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL cannot store a NUL in text at all")
    domain, bram = admin.tenant.sip_domain, company["bram"]
    write_directly(db, "UPDATE pbx_user SET extension = :bad WHERE id = :id", bad=bad, id=bram["id"])
    caplog.set_level(logging.WARNING)

    # the directory: Anna's phone registers with her variables; Bram's phone still registers, as a phone of nobody
    _, params, variables = user_entry(fs.directory(domain, company["phones"]["anna"]["sip_username"]))
    assert "a1-hash" in params and variables["cp_extension"] == "201"
    _, params, variables = user_entry(fs.directory(domain, company["phones"]["bram"]["sip_username"]))
    assert "a1-hash" in params and "cp_user_id" not in variables
    assert user_entry(fs.directory(domain, "201", action="message-count")) is not None
    # the dialplan: calls to Anna, the group and the plan route
    for number, name in (("201", "user_201"), ("300", "group_300"), ("250", f"cp{company['plan']['id']}_entry")):
        assert name in extensions(fs.dialplan(domain, number)), number
    assert any("left out of calls" in record.getMessage() and "/extension" in record.getMessage() for record in caplog.records)

    # the API: lists and reads answer, the user shows what is wrong with it
    users = admin.client.get("/api/users")
    assert users.status_code == 200, users.text
    by_id = {user["id"]: user for user in users.json()}
    assert by_id[company["anna"]["id"]]["problems"] == []
    assert by_id[bram["id"]]["extension"] == bad
    assert [p["pointer"] for p in by_id[bram["id"]]["problems"]] == ["/extension"]
    one = admin.client.get(f"/api/users/{bram['id']}")
    assert one.status_code == 200 and one.json()["problems"][0]["pointer"] == "/extension"

    # the call-plan API answers, and its validator names the user the plan rings
    plan_id = company["plan"]["id"]
    report = admin.client.post(f"/api/plans/{plan_id}/validate", json={})
    assert report.status_code == 200, report.text
    errors = report.json()["errors"]
    assert [(e["code"], e["pointer"]) for e in errors] == [("object_invalid", "/steps/0/user")]
    assert "Bram" in errors[0]["message"] and "extension" in errors[0]["message"]
    assert admin.client.get(f"/api/plans/{plan_id}/editor").status_code == 200
    created = admin.client.post("/api/plans", json={"name": "Another", "steps": []})
    assert created.status_code == 201, created.text

    # correcting the value brings the user back
    fixed = admin.client.patch(f"/api/users/{bram['id']}", json={"extension": "202"})
    assert fixed.status_code == 200 and fixed.json()["problems"] == [], fixed.text
    _, _, variables = user_entry(fs.directory(domain, company["phones"]["bram"]["sip_username"]))
    assert variables["cp_extension"] == "202"
    assert admin.client.post(f"/api/plans/{plan_id}/validate", json={}).json()["errors"] == []


def test_bad_rows_of_every_kind_the_calls_use(fs, admin, db, company):
    """One broken row in each table the snapshot reads: the company still registers and routes."""
    domain = admin.tenant.sip_domain
    box = admin.create("/api/voicemail-boxes", name="Sales box", extension="400", pin="1234")
    queue = admin.create("/api/queues", name="Support", extension="500")
    admin.number("+31201234568")
    department = admin.create("/api/departments", name="Sales", caller_id_number="+31201234568")
    lobby = admin.create("/api/devices", name="Lobby")
    codes = admin.client.get("/api/feature-codes").json()
    assert codes and not any(code["problems"] for code in codes)
    write_directly(db, "UPDATE ring_group SET extension = '300\n' WHERE id = :id", id=company["group"]["id"])
    write_directly(db, "UPDATE voicemail_box SET extension = '4x0' WHERE id = :id", id=box["id"])
    write_directly(db, "UPDATE call_queue SET name = '' WHERE id = :id", id=queue["id"])
    write_directly(db, "UPDATE department SET caller_id_number = '+31201234568\n' WHERE id = :id", id=department["id"])
    write_directly(db, "UPDATE device SET sip_username = 'lobby\nphone' WHERE id = :id", id=lobby["id"])
    write_directly(db, "UPDATE feature_code SET code = '*97\n' WHERE tenant_id = :t AND function = 'voicemail'",
                   t=admin.tenant.id)
    write_directly(db, "UPDATE tenant SET company_number = '+31201234567\n', timezone = 'Mars/Olympus' WHERE id = :t",
                   t=admin.tenant.id)

    _, params, variables = user_entry(fs.directory(domain, company["phones"]["anna"]["sip_username"]))
    assert "a1-hash" in params and variables["cp_extension"] == "201"
    assert not_found(fs.directory(domain, "lobby\nphone"))
    names = extensions(fs.dialplan(domain, "201"))
    assert "user_201" in names
    assert "group_300" not in extensions(fs.dialplan(domain, "300"))  # left out, not fatal
    # every list answers, each broken object with its problem
    for path, ident, pointer in (("/api/ring-groups", company["group"]["id"], "/extension"),
                                 ("/api/voicemail-boxes", box["id"], "/extension"),
                                 ("/api/queues", queue["id"], "/name"),
                                 ("/api/departments", department["id"], "/caller_id_number"),
                                 ("/api/devices", lobby["id"], "/sip_username")):
        listed = admin.client.get(path)
        assert listed.status_code == 200, (path, listed.text)
        problems = {item["id"]: item["problems"] for item in listed.json()}
        assert [p["pointer"] for p in problems[ident]] == [pointer], path
        assert all(not found for other, found in problems.items() if other != ident), path
    codes = admin.client.get("/api/feature-codes")
    assert codes.status_code == 200
    assert [(c["function"], [p["pointer"] for p in c["problems"]]) for c in codes.json() if c["problems"]] == [("voicemail", ["/code"])]
    company_answer = admin.client.get("/api/company")
    assert company_answer.status_code == 200
    assert {p["pointer"] for p in company_answer.json()["problems"]} == {"/company_number"}
    # the plan validator warns about the company's own values, which calls go on without
    report = admin.client.post(f"/api/plans/{company['plan']['id']}/validate", json={}).json()
    assert {w["code"] for w in report["warnings"]} >= {"company_value_invalid"}
    assert any("timezone" in w["message"] for w in report["warnings"])


def test_a_row_written_by_a_bug_through_the_orm(fs, admin, db, company):
    """The same through the ORM (table models do not validate): the user is left out, the rest goes on."""
    with db() as session:
        row = session.get(PbxUser, company["bram"]["id"])
        row.extension = "202\n"
        session.add(row)
    listed = {u["id"]: u for u in admin.client.get("/api/users").json()}
    assert listed[company["bram"]["id"]]["problems"][0]["pointer"] == "/extension"
    assert "user_201" in extensions(fs.dialplan(admin.tenant.sip_domain, "201"))
