"""Names derived from a user's long names are cut to fit, and a list never fails for one row (#16 item 4)."""

from __future__ import annotations

from sqlalchemy import text

from tests.web.pbx import admin  # noqa: F401

LONG_FIRST, LONG_LAST = "A" * 100, "B" * 100


def test_a_user_with_the_longest_names_gets_a_personal_box_that_fits(admin):
    user = admin.user("201", first_name=LONG_FIRST, last_name=LONG_LAST)
    box = admin.client.get(f"/api/voicemail-boxes/{user['voicemail_box_id']}").json()
    assert len(box["name"]) <= 100 and box["name"].startswith(LONG_FIRST[:50])
    assert not box.get("problems")


def test_the_box_list_answers_for_the_whole_company_with_one_bad_row(admin, db):
    admin.user("201", first_name="Anna")
    bob = admin.user("202", first_name=LONG_FIRST, last_name=LONG_LAST)
    # a box whose name was stored before the cut: the list still answers, that row with its problem
    with db() as session:
        session.execute(text("UPDATE voicemail_box SET name = :name WHERE id = :id"),
                        {"name": "X" * 99 + "\n", "id": bob["voicemail_box_id"]})
    listed = admin.client.get("/api/voicemail-boxes")
    assert listed.status_code == 200, listed.text
    boxes = {box["id"]: box for box in listed.json()}
    assert len(boxes) == 2 and boxes[bob["voicemail_box_id"]]["problems"][0]["pointer"] == "/name"
