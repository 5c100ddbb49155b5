"""The message-waiting lamp across switches (#19): with a home switch, every box's messages are in the home
switch's mod_voicemail (callplan.home), but a phone is registered on one switch, whose mod_sofia alone can
send it a NOTIFY message-summary, and only for a MESSAGE_WAITING event fired inside that switch
(sofia_presence.c: it looks the box's account up in its own registrations, sip_registrations.mwi_user).

So the home switch's bridge passes every MESSAGE_WAITING its switch fires (mod_voicemail's update_mwi
after a message is left, heard or deleted, and its answers to a query) on to every other live switch, as
that switch's own event (the event socket's `sendevent`; web.domain.switches.send_event): each one's
mod_sofia then notifies the phones registered there for that box, exactly as the home switch's does its
own. A phone's REGISTER makes its switch fire MESSAGE_QUERY (what is waiting for this account?), which
that switch's mod_voicemail answers "no" from its own empty database; the bridge of a switch that is not
the home passes the query to the home switch, whose mod_voicemail answers with the real count and the
registration's Call-ID, which comes back the same way to the switch holding that registration (its
mod_sofia notifies that one phone). The local "no" comes first, the home's answer after it.

A forwarded event carries Callplan-Forwarded (the switch that forwarded it) and is never forwarded again,
so two bridges cannot bounce one event between them."""

from __future__ import annotations

import logging

log = logging.getLogger("fs_bridge.mwi")

FORWARDED = "Callplan-Forwarded"
# what mod_sofia reads of MESSAGE_WAITING (sofia_presence_mwi_event_handler): the account, yes/no, the
# counts it copies into the NOTIFY's body (every MWI-* header), and whom to tell when it answers a query
WAITING = ("MWI-Messages-Waiting", "MWI-Message-Account", "MWI-Voice-Message", "MWI-Voice-Urgent-Message",
           "Update-Reason", "Call-ID", "Sofia-Profile")
# what mod_voicemail reads of MESSAGE_QUERY (actual_message_query_handler), VM-* copied into its answer
QUERY = ("Message-Account", "VM-Sofia-Profile", "VM-Call-ID")


def _home_configured(settings) -> bool:
    return bool(settings.home_switch and settings.home_switch_sip)


def _copy(event, names) -> dict[str, str]:
    return {name: value for name in names if (value := event.get(name))}


def on_waiting(ctx, event) -> None:
    settings = ctx.settings
    if not _home_configured(settings) or settings.switch != settings.home_switch or event.get(FORWARDED):
        return
    headers = _copy(event, WAITING)
    if "MWI-Message-Account" not in headers or "MWI-Messages-Waiting" not in headers:
        return
    headers[FORWARDED] = settings.switch
    engine = ctx.bridge.engine
    ctx.after_commit(lambda: _send(settings, engine, "MESSAGE_WAITING", headers, home=False))


def on_query(ctx, event) -> None:
    settings = ctx.settings
    if not _home_configured(settings) or settings.switch == settings.home_switch or event.get(FORWARDED):
        return
    headers = _copy(event, QUERY)
    if "Message-Account" not in headers:
        return
    headers[FORWARDED] = settings.switch
    engine = ctx.bridge.engine
    ctx.after_commit(lambda: _send(settings, engine, "MESSAGE_QUERY", headers, home=True))


def _send(settings, engine, name: str, headers: dict[str, str], home: bool) -> None:
    from sqlmodel import Session

    from web.domain import switches

    with Session(engine) as db:  # the switches are those whose bridge is alive (web.domain.switches)
        live = switches.live(settings, db)
    if home:
        targets = [switch for switch in live if switch.name == settings.home_switch]
    else:
        targets = [switch for switch in live if switch.name != settings.switch]
    if not targets:
        log.info("%s for %s: no other switch to tell", name, headers.get("MWI-Message-Account") or headers.get("Message-Account"))
        return
    switches.send_event(settings, targets, name, headers)


HANDLES = {"MESSAGE_WAITING": on_waiting, "MESSAGE_QUERY": on_query}
