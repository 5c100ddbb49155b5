"""fs_bridge/mwi.py: with a home switch, the home switch's bridge passes mod_voicemail's MESSAGE_WAITING on to
the other switches, and the others' bridges pass a phone's MESSAGE_QUERY to the home switch; nothing is
passed twice, and without a home switch nothing at all. What is sent, to whom, is what
web.domain.switches.send_event is asked (its sendevent on two real switches:
tests/freeswitch/test_home_services_on_freeswitch.py::test_a_message_on_the_home_switch_lights_a_phone_registered_on_fs2)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fs_bridge import mwi
from fs_bridge.events import Event
from web.domain import switches
from web.domain.switch import EslError, esl_sendevent
from web.domain.switches import Switch

FS1, FS2, FS3 = Switch("fs1", "127.0.0.2", 8021), Switch("fs2", "127.0.0.3", 8021), Switch("fs3", "127.0.0.4", 8021)
WAITING = {"Event-Name": "MESSAGE_WAITING", "MWI-Messages-Waiting": "yes", "MWI-Message-Account": "282@acme.test",
           "MWI-Voice-Message": "1/0", "Update-Reason": "NEW", "Core-UUID": "x"}
QUERY = {"Event-Name": "MESSAGE_QUERY", "Message-Account": "sip:282@acme.test", "VM-Sofia-Profile": "internal",
         "VM-Call-ID": "1-2@127.0.0.1"}


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(switches, "live", lambda settings, db=None: [FS1, FS2, FS3])
    monkeypatch.setattr(switches, "send_event", lambda settings, targets, name, headers: calls.append(
        ([t.name for t in targets], name, headers)))
    return calls


def run(switch: str, event: dict, home: str = "fs1", sip: str = "127.0.0.2:5080") -> None:
    actions = []
    ctx = SimpleNamespace(settings=SimpleNamespace(switch=switch, home_switch=home, home_switch_sip=sip),
                          after_commit=actions.append, bridge=SimpleNamespace(engine=None))
    mwi.HANDLES[event["Event-Name"]](ctx, Event(dict(event)))
    for action in actions:
        action()


@pytest.fixture(autouse=True)
def no_database(monkeypatch):
    """The registry is `switches.live` (patched above); the session it is read in is never used."""
    class Dummy:
        def __init__(self, engine):
            pass

        def __enter__(self):
            return None

        def __exit__(self, *exc):
            return False
    monkeypatch.setattr("sqlmodel.Session", Dummy)


def test_the_home_switchs_message_waiting_goes_to_every_other_switch(sent):
    run("fs1", WAITING)
    assert sent == [(["fs2", "fs3"], "MESSAGE_WAITING", {
        "MWI-Messages-Waiting": "yes", "MWI-Message-Account": "282@acme.test", "MWI-Voice-Message": "1/0",
        "Update-Reason": "NEW", "Callplan-Forwarded": "fs1"})]


def test_an_answer_to_a_query_keeps_the_registrations_call_id(sent):
    run("fs1", {**WAITING, "Call-ID": "1-2@127.0.0.1", "Sofia-Profile": "internal"})
    assert sent[0][2]["Call-ID"] == "1-2@127.0.0.1" and sent[0][2]["Sofia-Profile"] == "internal"


def test_another_switchs_query_goes_to_the_home_switch_only(sent):
    run("fs2", QUERY)
    assert sent == [(["fs1"], "MESSAGE_QUERY", {**{k: v for k, v in QUERY.items() if k != "Event-Name"},
                                               "Callplan-Forwarded": "fs2"})]


def test_nothing_is_passed_twice_nor_the_wrong_way_nor_without_a_home_switch(sent):
    run("fs2", WAITING)  # another switch's own (its empty database's) count stays there
    run("fs1", QUERY)  # the home switch answers its own phones' queries itself
    run("fs1", {**WAITING, "Callplan-Forwarded": "fs2"})
    run("fs2", {**QUERY, "Callplan-Forwarded": "fs3"})
    run("fs1", WAITING, home="", sip="")
    run("fs1", WAITING, sip="")
    run("fs1", {k: v for k, v in WAITING.items() if k != "MWI-Message-Account"})
    assert sent == []


def test_sendevent_refuses_what_would_smuggle_a_second_command():
    for name, headers in (("MESSAGE_WAITING\n\napi shutdown", {}), ("MESSAGE_WAITING", {"A": "b\n\napi x"}),
                          ("MESSAGE_WAITING", {"A: b\nC": "d"}), ("message waiting", {})):
        with pytest.raises(EslError):
            esl_sendevent("127.0.0.1", 9, "pw", name, headers, timeout=0.5)
