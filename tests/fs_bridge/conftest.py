"""Fixtures for the bridge's tests: a Bridge on the test database (no greenlets started: tests feed it
events with `receive` and apply them with `drain`), and the PBX arrangers of tests/web."""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_bridge.events import Event, fixture_events, parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "freeswitch-1.10.12"
if not FIXTURES.exists():  # the checkout may sit elsewhere; the fixtures are beside the workspace
    FIXTURES = Path("/work/shared/fixtures/freeswitch-1.10.12")


def fixture_texts(name: str = "esl_events.txt") -> list[tuple[str, str]]:
    """(title, event text) of every event in a fixture file of ../shared/fixtures."""
    return list(fixture_events(FIXTURES / name))


def fixture_event(key: str, index: int = 0, name: str = "esl_events.txt") -> Event:
    """The index-th real event whose key (Event-Name, or subclass of a CUSTOM) is `key`."""
    found = [parse_plain(text) for _, text in fixture_texts(name)]
    return [event for event in found if event.key == key][index]


def fixture_text(key: str, index: int = 0, name: str = "esl_events.txt") -> str:
    """The text of the index-th real event whose key is `key`."""
    texts = [text for _, text in fixture_texts(name) if parse_plain(text).key == key]
    return texts[index]


def rewrite(text: str, **headers: str) -> str:
    """A real event text with some headers replaced or added (values URL-encoded as FreeSWITCH does)."""
    from urllib.parse import quote

    lines = [line for line in text.split("\n") if line.partition(":")[0] not in headers]
    extra = [f"{name}: {quote(value, safe='')}" for name, value in headers.items()]
    head, sep, body = "\n".join(lines).partition("\n\n")
    return head + "\n" + "\n".join(extra) + (sep + body if sep else "")


@pytest.fixture
def bridge(app, settings):
    feed = LiveFeed(port=0)
    feed.start()
    made = Bridge(settings, app.state.engine, feed=feed)
    yield made
    feed.stop()
