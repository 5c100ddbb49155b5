"""The /messages page's websocket /api/me/voicemail/live, fed by the bridge's real LiveFeed: a box that
changed reaches those who may read it (its user; a company box's readers and the admins), nobody else
in the company, and nothing of another company; /api/live (the live page) does not carry it. On SQLite
and PostgreSQL."""

from __future__ import annotations

import gevent

from tests.web.helpers import make_account
from tests.web.test_live import browser, feed, feed_port, live_app, next_change, tenants, wait_until  # noqa: F401
from web.models.pbx_user import PbxUser
from web.models.voicemail_box import VoicemailBox

PATH = "/api/me/voicemail/live"


def people(db, settings, tenant_id: int, tag: str) -> dict:
    """Anna and Bob with logins, personal boxes and a company box Anna reads: their box ids."""
    accounts = {name: make_account(db, settings, tenant_id, f"{name}@{tag}.test", role="user") for name in ("anna", "bob")}
    with db() as session:
        ids = {}
        for name, extension in (("anna", "201"), ("bob", "202")):
            account = accounts[name]
            user = PbxUser(tenant_id=tenant_id, first_name=name, extension=extension, account_id=account.id)
            session.add(user)
            session.flush()
            box = VoicemailBox(tenant_id=tenant_id, name=name, kind="personal", user_id=user.id, pin="1234")
            session.add(box)
            session.flush()
            ids[name], ids[f"{name}_user"] = box.id, user.id
        sales = VoicemailBox(tenant_id=tenant_id, name="Sales", extension="900", pin="4321", readers=[ids["anna_user"]])
        session.add(sales)
        session.flush()
        ids["sales"] = sales.id
        return ids


def test_a_box_change_reaches_its_readers_only(live_app, tenants, feed, db):
    a, b = tenants
    settings = live_app.state.settings
    mine, theirs = people(db, settings, a.id, "a"), people(db, settings, b.id, "b")
    anna, bob, admin, live = (browser(live_app, e) for e in ("anna@a.test", "bob@a.test", "admin@a.test", "admin@a.test"))
    with anna.websocket_connect(PATH) as ws_anna, bob.websocket_connect(PATH) as ws_bob, \
            admin.websocket_connect(PATH) as ws_admin, live.websocket_connect("/api/live") as ws_live:
        for ws in (ws_anna, ws_bob, ws_admin, ws_live):
            assert ws.receive_json()["kind"] == "snapshot"
        readers = live_app.state.live_feeds
        assert wait_until(lambda: len(readers) == 4 and all(r.connected for r in list(readers.values())))
        assert wait_until(lambda: len(feed._clients) == 4)
        # what must not leak first: were it to, it would be the next thing read
        feed.publish(b.id, "voicemail", {"box_id": theirs["anna"], "new": 1, "saved": 0})
        feed.publish(a.id, "voicemail", {"box_id": mine["bob"], "new": 1, "saved": 0})
        feed.publish(a.id, "voicemail", {"box_id": mine["anna"], "new": 2, "saved": 0})
        feed.publish(a.id, "voicemail", {"box_id": mine["sales"], "new": 0, "saved": 1})
        feed.publish(a.id, "call", {"call_uuid": "of-a"})
        assert wait_until(lambda: feed.published == 5) and gevent.sleep(0.1) is None
        assert next_change(ws_anna) == {"kind": "voicemail", "data": {"box_id": mine["anna"], "new": 2, "saved": 0}}
        assert next_change(ws_anna)["data"]["box_id"] == mine["sales"]
        assert next_change(ws_bob) == {"kind": "voicemail", "data": {"box_id": mine["bob"], "new": 1, "saved": 0}}
        assert next_change(ws_admin)["data"]["box_id"] == mine["sales"]  # company boxes; no person's box
        assert next_change(ws_live) == {"kind": "call", "data": {"call_uuid": "of-a"}}  # no voicemail there
        for ws in (ws_anna, ws_bob, ws_admin):
            ws.send_text("ping")
            assert next_change(ws) == {"kind": "pong"}  # nothing else was queued before it
