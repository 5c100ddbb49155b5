"""Reading event texts: a header asked for (found in the text, decoded on its own) is what splitting and
decoding every line gives, for every real event of ../shared/fixtures and the odd forms; and the
bridge subscribes to exactly what its handlers take."""

from __future__ import annotations

import random

from fs_bridge import connection, handlers
from fs_bridge.events import Event, parse_headers, parse_plain
from tests.fs_bridge.conftest import fixture_texts


def test_every_header_of_every_real_event_reads_as_the_whole_text_decoded():
    found = 0
    for name in ("esl_all_events.txt", "esl_events.txt"):
        for _, text in fixture_texts(name):
            whole = parse_headers(text.partition("\n\n")[0])
            for order in (list(whole), list(reversed(whole))):  # asked for a few (searched) or many (split)
                event = parse_plain(text)
                for header in order[:3] + ["No-Such-Header"] + order[3:]:
                    assert event.get(header) == whole.get(header), header
                assert event.headers == whole
            found += 1
    assert found > 100


def test_odd_forms_read_as_before():
    text = ("Event-Name: CUSTOM\nEvent-Subclass: sofia%3A%3Aregister\nNo-Space:%20padded%20 \nEmpty: \n"
            "Twice: first\nTwice: second\nEncoded-Newline: a%0Ab\nlast: here")
    event = parse_plain(text)
    assert event.key == "sofia::register"
    assert event.get("Event-Name") == "CUSTOM"  # the first line
    assert event.get("No-Space") == " padded "  # "Name:value" is stripped, then decoded
    assert event.get("Empty") == "" and event.get("Missing", "x") == "x"
    assert event.get("Twice") == "second"  # the last one wins, as in a dict of the lines
    assert event.get("Encoded-Newline") == "a\nb" and event.get("last") == "here"
    assert event.headers == parse_headers(text)


def test_a_body_is_read_by_its_length_and_crlf_texts_read_the_same():
    text = "Event-Name: CUSTOM\nEvent-Subclass: callplan%3A%3Aemail\nContent-Length: 5\n\nhello world"
    event = parse_plain(text)
    assert event.body == "hello" and event.key == "callplan::email"
    assert "hello" not in event.headers and event.get("Content-Length") == "5"
    crlf = parse_plain(text.replace("\n", "\r\n"))
    assert crlf.body == "hello" and crlf.headers == event.headers
    assert parse_plain("Event-Name: DTMF\n\n").body == ""


def test_events_made_from_decoded_headers_still_work():
    event = Event({"Event-Name": "CHANNEL_CREATE", "Unique-ID": "u-1", "variable_cp_x": "a%20b"})
    assert event.key == "CHANNEL_CREATE" and event.uuid == "u-1"
    assert event.var("cp_x") == "a%20b"  # already decoded: not decoded again
    assert event.get("Nope") is None and event.headers["Unique-ID"] == "u-1"


def test_the_subscription_is_what_the_handlers_take():
    table = handlers.table()
    words = connection.subscription(table).split()
    assert "DTMF" not in words  # no handler takes it (it was subscribed before #20 item 4)
    assert sorted(w for w in words if w != "CUSTOM") == sorted(table)
    assert words.index("CUSTOM") < min(words.index(key) for key in table if "::" in key)
    assert all("::" not in w for w in words[:words.index("CUSTOM")])


def test_the_bridge_queues_only_what_a_handler_takes(bridge):
    texts = [text for _, text in fixture_texts("esl_all_events.txt")]
    random.Random(4).shuffle(texts)
    for text in texts:
        bridge.receive(parse_plain(text))
    queued = []
    while not bridge.queue.empty():
        queued.append(bridge.queue.get_nowait().key)
    assert queued and set(queued) <= set(bridge.table)
    assert len(queued) == sum(parse_plain(t).key in bridge.table for t in texts)
