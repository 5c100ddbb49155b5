"""Notices from events: missed-call mail and webhooks from the plan's e-mail step, voicemail to e-mail
with its WAV, mailbox full, call_ended webhooks; each queued once however often its cause arrives, and
delivered through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session, select

from fs_bridge import notices, outbox
from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.notice_support import (email_event, hangup_event, hooks, make_plan, voicemail_event,
                                            write_wav)
from web.models.notification import OutboxMessage
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox

HOOK_URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def vm_dir(tmp_path):
    return tmp_path / "voicemail"


@pytest.fixture
def make_bridge(app, settings, vm_dir):
    made = []

    def make(**overrides):
        bridge = Bridge(dataclasses.replace(settings, voicemail_dir=str(vm_dir), **overrides), app.state.engine,
                        feed=LiveFeed(port=0))
        made.append(bridge)
        return bridge

    yield make


@pytest.fixture
def bridge(make_bridge):
    return make_bridge()


def feed(bridge, *texts):
    for text in texts:
        bridge.receive(parse_plain(text))
    bridge.drain()


def messages(db, **where) -> list[OutboxMessage]:
    with db() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.exec(query).all())


def set_tenant(db, tenant_id, **values):
    with db() as session:
        tenant = session.get(Tenant, tenant_id)
        for name, value in values.items():
            setattr(tenant, name, value)
        session.add(tenant)


# -- missed calls ---------------------------------------------------------------------------------------


def test_email_step_queues_one_mail_to_the_plans_addresses_and_one_webhook_per_subscriber(bridge, admin, db, settings):
    plan = make_plan(db, admin.tenant.id)
    ids = hooks(db, settings, admin.tenant.id, HOOK_URL)
    text = email_event(plan, uuid="c0ffee00-0000-4000-8000-000000000001")
    feed(bridge, text, text)  # twice in one batch
    feed(bridge, text)  # and again later (a replay after a reconnect)

    mails = messages(db, channel="email")
    assert len(mails) == 1
    mail = mails[0]
    assert mail.event == "missed_call" and mail.tenant_id == admin.tenant.id
    assert mail.recipients == ["boss@acme.test", "sales@acme.test"]  # from the plan version, never the event
    assert mail.idempotency_key == "c0ffee00-0000-4000-8000-000000000001:s2"
    # the tenant is Dutch, in Amsterdam: 08:59 UTC is 09:59 there
    assert mail.payload["subject"] == "Gemiste oproep van Jan de Vries <+31612345678>"
    assert "Gekozen nummer: +31201234567" in mail.payload["text"]
    assert "10-03-2026 09:59 (Europe/Amsterdam)" in mail.payload["text"]
    assert "Belplan: Reception" in mail.payload["text"]

    webhooks = messages(db, channel="webhook")
    assert [m.subscription_id for m in webhooks] == [ids["all"]]  # not the call_ended-only one, not the disabled one
    data = webhooks[0].payload["data"]
    assert data["call_uuid"] == "c0ffee00-0000-4000-8000-000000000001"
    assert data["caller"] == {"number": "+31612345678", "name": "Jan de Vries"}
    assert data["dialled"] == "+31201234567"
    assert data["plan"] == {"id": plan, "version": 1, "name": "Reception", "step": "s2"}
    assert data["path"] == [f"{plan}:1:s1", f"{plan}:1:s2"]
    assert webhooks[0].payload["occurred_at"].startswith("2026-03-10T08:59:30")


def test_english_tenant_and_its_time_zone(bridge, admin, db):
    set_tenant(db, admin.tenant.id, language="en", timezone="America/New_York")
    plan = make_plan(db, admin.tenant.id)
    feed(bridge, email_event(plan))
    mail = messages(db, channel="email")[0]
    assert mail.payload["subject"] == "Missed call from Jan de Vries <+31612345678>"
    assert "Time: 2026-03-10 04:59 (America/New_York)" in mail.payload["text"]


def test_a_step_without_webhooks_mails_only(bridge, admin, db, settings):
    plan = make_plan(db, admin.tenant.id)
    hooks(db, settings, admin.tenant.id, HOOK_URL)
    feed(bridge, email_event(plan, step="s4"))
    assert [m.recipients for m in messages(db)] == [["quiet@acme.test"]]


def test_each_step_of_a_call_and_each_call_is_its_own_notice(bridge, admin, db):
    plan = make_plan(db, admin.tenant.id)
    feed(bridge, email_event(plan, uuid="a-1"), email_event(plan, uuid="a-1", step="s4"), email_event(plan, uuid="a-2"))
    assert sorted(m.idempotency_key for m in messages(db)) == ["a-1:s2", "a-1:s4", "a-2:s2"]


def test_addresses_in_the_event_are_ignored_and_unknown_steps_or_plans_queue_nothing(bridge, admin, db):
    plan = make_plan(db, admin.tenant.id)
    feed(bridge, email_event(plan, uuid="x-1", to="evil@attacker.test", variable_cp_email="evil@attacker.test"))
    assert [m.recipients for m in messages(db)] == [["boss@acme.test", "sales@acme.test"]]
    feed(bridge, email_event(plan, step="s3"), email_event(plan, step="nope"), email_event(plan + 100),
         email_event(plan, cp_version="7"), email_event(plan, cp_plan=""))
    assert len(messages(db)) == 1


def test_a_plan_of_another_tenant_is_not_mailed_from_this_tenants_call(bridge, admin, other_admin, db):
    plan = make_plan(db, admin.tenant.id)
    feed(bridge, email_event(plan, domain="other.pbx.test"))
    assert messages(db) == []


# -- voicemail -----------------------------------------------------------------------------------------


@pytest.fixture
def boxes(admin, db):
    """A company box 999 (mail and copy) and Anna's personal box (reached as her extension 201)."""
    company = admin.create("/api/voicemail-boxes", name="Reception box", extension="999", pin="1234",
                           email="desk@acme.test", copy_email="boss@acme.test", max_messages=3)
    user = admin.user(extension="201", first_name="Anna")
    personal = user["voicemail_box_id"]
    response = admin.client.patch(f"/api/voicemail-boxes/{personal}", json={"email": "anna@acme.test"})
    assert response.status_code == 200, response.text
    return {"company": company["id"], "personal": personal}


def test_a_left_message_is_mailed_with_its_wav_to_the_box_and_its_copy_address(bridge, admin, db, settings, boxes, vm_dir):
    ids = hooks(db, settings, admin.tenant.id, HOOK_URL)
    wav = vm_dir / "acme.pbx.test" / "999" / "msg_5b0e3c9a.wav"
    write_wav(wav)
    # FreeSWITCH names the file on its side of the shared volume
    text = voicemail_event("999", "/var/lib/freeswitch/storage/voicemail/default/acme.pbx.test/999/msg_5b0e3c9a.wav")
    feed(bridge, text, text)
    mails = messages(db, channel="email")
    assert len(mails) == 1
    mail = mails[0]
    assert mail.event == "voicemail" and mail.recipients == ["boss@acme.test", "desk@acme.test"]
    assert mail.attachment_path == str(wav)
    assert mail.payload["subject"] == "Nieuw voicemailbericht van Jan de Vries <+31612345678> in Reception box"
    assert "7 seconden" in mail.payload["text"] and "10-03-2026 10:00" in mail.payload["text"]
    assert "niet meer" in mail.payload["attachment_note"]
    hooks_sent = messages(db, channel="webhook")
    assert [m.subscription_id for m in hooks_sent] == [ids["all"]]
    data = hooks_sent[0].payload["data"]
    assert data["box"] == {"id": boxes["company"], "name": "Reception box", "number": "999"}
    assert data["seconds"] == 7 and data["caller"]["number"] == "+31612345678"


def test_a_personal_box_is_found_by_its_users_extension(bridge, db, boxes, vm_dir):
    wav = vm_dir / "acme.pbx.test" / "201" / "msg_1.wav"
    write_wav(wav)
    feed(bridge, voicemail_event("201", str(wav), vm_uuid="vm-201"))
    assert [m.recipients for m in messages(db, channel="email")] == [["anna@acme.test"]]


def test_other_voicemail_actions_and_unknown_boxes_queue_nothing(bridge, db, boxes, vm_dir):
    feed(bridge, voicemail_event("999", "/x/msg_1.wav", action="mwi-update"),
         voicemail_event("999", "/x/msg_1.wav", action="folder-summary"),
         voicemail_event("555", "/x/msg_1.wav"), voicemail_event("999", "/x/msg_1.wav", domain="nowhere.test"))
    assert messages(db) == []


def test_a_box_without_addresses_sends_no_mail_but_still_its_webhooks(bridge, admin, db, settings, vm_dir):
    ids = hooks(db, settings, admin.tenant.id, HOOK_URL)
    admin.create("/api/voicemail-boxes", name="Silent", extension="998", pin="1234")
    feed(bridge, voicemail_event("998", "/x/msg_1.wav"))
    assert [(m.channel, m.subscription_id) for m in messages(db)] == [("webhook", ids["all"])]


def test_a_full_mailbox_sends_one_notice_a_day(bridge, db, boxes, vm_dir):
    folder = vm_dir / "acme.pbx.test" / "999"
    for n in range(3):
        write_wav(folder / f"msg_{n}.wav", seconds=0.01)
    feed(bridge, voicemail_event("999", str(folder / "msg_2.wav"), vm_uuid="vm-3"))
    write_wav(folder / "msg_3.wav", seconds=0.01)
    feed(bridge, voicemail_event("999", str(folder / "msg_3.wav"), vm_uuid="vm-4"))
    full = messages(db, event="mailbox_full")
    assert len(full) == 1
    assert full[0].recipients == ["boss@acme.test", "desk@acme.test"]
    assert full[0].payload["subject"] == "Voicemailbox Reception box is vol"
    assert "3 berichten; het maximum is 3" in full[0].payload["text"]
    assert len(messages(db, event="voicemail", channel="email")) == 2


def test_a_box_below_its_limit_is_not_full(bridge, db, boxes, vm_dir):
    folder = vm_dir / "acme.pbx.test" / "999"
    write_wav(folder / "msg_0.wav", seconds=0.01)
    feed(bridge, voicemail_event("999", str(folder / "msg_0.wav")))
    assert messages(db, event="mailbox_full") == []


# -- call_ended ------------------------------------------------------------------------------------------


def test_the_a_leg_hangup_is_a_call_ended_webhook_once(bridge, admin, db, settings):
    ids = hooks(db, settings, admin.tenant.id, HOOK_URL)
    text = hangup_event()
    feed(bridge, text, text)
    sent = messages(db)
    assert sorted(m.subscription_id for m in sent) == sorted([ids["all"], ids["ended"]])
    data = sent[0].payload["data"]
    real = parse_plain(text)
    assert data["call_uuid"] == real.uuid
    assert data["caller"]["number"] == real.get("Caller-Caller-ID-Number")
    assert data["callee"] == real.var("sip_req_user")
    assert data["cause"] == "NORMAL_CLEARING" and data["answered"] is True
    assert data["billed_s"] == int(real.var("billsec"))
    assert data["started_at"] and data["ended_at"] and data["duration_s"] >= data["billed_s"]
    assert sent[0].idempotency_key == f"{real.uuid}:ended"


def test_b_legs_agent_legs_and_unknown_domains_are_not_call_ended(bridge, admin, db, settings):
    hooks(db, settings, admin.tenant.id, HOOK_URL)
    feed(bridge, hangup_event(**{"Other-Type": "originator", "Unique-ID": "b-1"}),
         hangup_event(variable_originating_leg_uuid="a-1", **{"Unique-ID": "b-2"}),
         hangup_event(variable_cc_side="agent", **{"Unique-ID": "b-3"}),
         hangup_event(domain="nowhere.test"))
    assert messages(db) == []


def test_enqueue_webhooks_is_a_no_op_for_a_known_key_even_in_one_transaction(bridge, admin, db, settings):
    ids = hooks(db, settings, admin.tenant.id, HOOK_URL)

    def twice(ctx):
        assert notices.enqueue_webhooks(ctx, admin.tenant.id, "agent_status", {"agent": "u1"}, "k1") == 1
        assert notices.enqueue_webhooks(ctx, admin.tenant.id, "agent_status", {"agent": "u1"}, "k1") == 0
        assert notices.enqueue_mail(ctx, admin.tenant.id, "missed_call", ["A@b.test"], "s", "t", "k1") == 1
        assert notices.enqueue_mail(ctx, admin.tenant.id, "missed_call", ["a@b.test"], "s", "t", "k1") == 0
        assert notices.enqueue_mail(ctx, admin.tenant.id, "missed_call", [], "s", "t", "k2") == 0

    bridge.with_context(twice)
    assert [(m.channel, m.subscription_id) for m in messages(db)] == [("webhook", ids["all"]), ("email", None)]
    with pytest.raises(ValueError):
        bridge.with_context(lambda ctx: notices.enqueue_webhooks(ctx, admin.tenant.id, "nonsense", {}, "k"))


# -- delivered through a real SMTP server ------------------------------------------------------------------


def test_aiosmtpd_receives_the_missed_call_mail_and_the_voicemail_mail_with_its_wav(make_bridge, admin, db, boxes, vm_dir, mailbox):
    bridge = make_bridge()
    plan = make_plan(db, admin.tenant.id)
    wav = vm_dir / "acme.pbx.test" / "999" / "msg_abc.wav"
    audio = write_wav(wav)
    feed(bridge, email_event(plan), voicemail_event("999", str(wav)))
    assert outbox.deliver_due(bridge.engine, bridge.settings) == 2
    missed = mailbox.to("sales@acme.test")
    assert len(missed) == 1 and "boss@acme.test" in missed[0]["To"]
    assert missed[0]["Subject"] == "Gemiste oproep van Jan de Vries <+31612345678>"
    assert "Gekozen nummer: +31201234567" in missed[0].get_body(("plain",)).get_content()
    voicemail = mailbox.to("desk@acme.test")
    assert len(voicemail) == 1 and "boss@acme.test" in voicemail[0]["To"]
    attachments = list(voicemail[0].iter_attachments())
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [("audio/wav", "msg_abc.wav")]
    assert attachments[0].get_content() == audio
    assert {m.status for m in messages(db)} == {"delivered"}


def test_a_voicemail_whose_file_is_gone_is_mailed_without_it_and_says_so(make_bridge, db, boxes, vm_dir, mailbox):
    bridge = make_bridge()
    feed(bridge, voicemail_event("999", str(vm_dir / "acme.pbx.test" / "999" / "msg_gone.wav")))
    outbox.deliver_due(bridge.engine, bridge.settings)
    [received] = mailbox.to("desk@acme.test")
    assert list(received.iter_attachments()) == []
    assert "het bestand is er niet meer" in received.get_body(("plain",)).get_content()


def test_a_box_that_does_not_attach_says_how_to_listen(bridge, admin, db, boxes, vm_dir):
    admin.client.patch(f"/api/voicemail-boxes/{boxes['company']}", json={"attach_audio": False})
    feed(bridge, voicemail_event("999", str(vm_dir / "acme.pbx.test" / "999" / "msg_1.wav")))
    [mail] = messages(db, channel="email")
    assert mail.attachment_path is None
    assert "bijlage" not in mail.payload["text"] and "Beluister het bericht" in mail.payload["text"]


def test_a_box_that_keeps_nothing_deletes_the_message_in_freeswitch_only_after_the_mail_is_out(make_bridge, admin, db, boxes, vm_dir, mailbox):
    admin.client.patch(f"/api/voicemail-boxes/{boxes['company']}", json={"delete_after_email": True})
    bridge = make_bridge(smtp_port=1)  # the relay is down first
    wav = vm_dir / "acme.pbx.test" / "999" / "msg_2.wav"
    write_wav(wav)
    feed(bridge, voicemail_event("999", str(wav), vm_uuid="0d3c-77"))
    commands = []
    outbox.deliver_due(bridge.engine, bridge.settings, freeswitch=commands.append)
    assert commands == []  # not mailed: the message stays
    up = make_bridge()
    from web import clock

    clock.advance(5)
    outbox.deliver_due(up.engine, up.settings, freeswitch=commands.append)
    assert len(mailbox.to("desk@acme.test")) == 1
    assert commands == ["vm_delete 999@acme.pbx.test 0d3c-77"]


def test_webhook_payloads_are_made_json_safe(bridge, admin, db, settings):
    from datetime import datetime, timezone

    hooks(db, settings, admin.tenant.id, HOOK_URL)
    at = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
    bridge.with_context(lambda ctx: notices.enqueue_webhooks(
        ctx, admin.tenant.id, "agent_status", {"occurred_at": at, "since": at, "queues": ("q1",)}, "agent:1:x"))
    [message] = messages(db)
    assert message.payload == {"occurred_at": "2026-03-10T09:00:00+00:00",
                               "data": {"since": "2026-03-10T09:00:00+00:00", "queues": ["q1"]}}


def test_a_batch_wakes_the_outbox_once_and_reads_subscriptions_once(bridge, admin, db, settings, monkeypatch):
    hooks(db, settings, admin.tenant.id, HOOK_URL)
    wakeups = []

    class Wakeup:
        def set(self):
            wakeups.append(1)

    monkeypatch.setattr(bridge, "outbox_wakeup", Wakeup())
    feed(bridge, *[hangup_event(**{"Unique-ID": f"w-{n}"}) for n in range(5)])
    assert len(messages(db)) == 10  # two subscribers want call_ended
    assert wakeups == [1]
