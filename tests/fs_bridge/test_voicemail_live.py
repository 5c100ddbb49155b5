"""A voicemail box's recount (mod_voicemail's vm::maintenance "mwi-update", fired after a message is
left, heard or deleted, on the phone or through the API) goes to the web app's live feed as the box that
changed, for the /messages page to read it again. On SQLite and PostgreSQL."""

from __future__ import annotations

import gevent
import pytest
from sqlmodel import select

from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.web.voicemail_switch import maintenance_event
from web.db import session_scope
from web.models.voicemail_box import VoicemailBox


@pytest.fixture
def bridge(app, settings):
    bridge = Bridge(settings, app.state.engine, feed=LiveFeed(port=0), modules=["fs_bridge.voicemail"])
    bridge.published = []
    bridge.feed.publish = lambda tenant_id, kind, data: bridge.published.append((tenant_id, kind, data))
    return bridge


def feed(bridge, *texts) -> None:
    for text in texts:
        bridge.receive(parse_plain(text))
    bridge.drain()
    gevent.sleep(0.01)  # after-commit actions (the live feed) run in greenlets


def test_a_recount_says_which_box_changed(app, admin, other_admin, bridge):
    anna = admin.user(extension="201", first_name="Anna")
    sales = admin.create("/api/voicemail-boxes", name="Sales", extension="900", pin="4321")
    other_admin.user(extension="201", first_name="Other Anna")
    with session_scope(app.state.engine) as db:
        annas_box = db.exec(select(VoicemailBox).where(VoicemailBox.user_id == anna["id"])).one().id
    domain = admin.tenant.sip_domain
    feed(bridge, maintenance_event("201", domain, 1, 0), maintenance_event("900", domain, 0, 2),
         maintenance_event("777", domain, 1, 0),  # no such box
         maintenance_event("201", "nobody.pbx.test", 1, 0))  # no such company
    assert bridge.published == [
        (admin.tenant.id, "voicemail", {"box_id": annas_box, "new": 1, "saved": 0}),
        (admin.tenant.id, "voicemail", {"box_id": sales["id"], "new": 0, "saved": 2}),
    ]


def test_other_voicemail_actions_are_not_recounts(admin, bridge):
    admin.user(extension="201")
    text = maintenance_event("201", admin.tenant.sip_domain, 1, 0).replace("VM-Action: mwi-update", "VM-Action: folder-summary")
    feed(bridge, text)
    assert bridge.published == []
