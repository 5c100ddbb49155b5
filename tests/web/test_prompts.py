"""The product's own system prompts (web/domain/prompts.py): a conference room's "enter the PIN" and
"wrong PIN" spoken by espeak-ng in the company's language into the audio folder FreeSWITCH reads, once;
the snapshot of a company with a PIN room names them, so the dialplan asks with them
(tests/callplan/test_conference.py, tests/freeswitch/test_conference_on_freeswitch.py); without espeak-ng
nothing is rendered and tones ask."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.web.helpers import make_tenant
from web import tts
from web.domain import prompts
from web.domain.callplan_snapshot import snapshot
from web.models.conference_room import ConferenceRoom

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)")


def seconds(path: str) -> tuple[float, int, int]:
    with wave.open(path, "rb") as wav:
        return wav.getnframes() / wav.getframerate(), wav.getframerate(), wav.getnchannels()


@needs_espeak
def test_each_language_is_rendered_once_into_the_audio_folder(tmp_path, monkeypatch):
    settings = SimpleNamespace(audio_dir=str(tmp_path))
    english = prompts.ensure(settings, "en")
    assert set(english) == {"conference_pin", "conference_bad_pin"}
    for path in english.values():
        assert Path(path).parent == tmp_path / "prompts" / "en"
        length, rate, channels = seconds(path)
        assert length > 1 and (rate, channels) == (16000, 1)
    dutch = prompts.ensure(settings, "nl")
    assert Path(dutch["conference_pin"]).read_bytes() != Path(english["conference_pin"]).read_bytes()
    # there already: nothing is rendered again
    monkeypatch.setattr(tts, "render", lambda *args, **kwargs: pytest.fail("rendered twice"))
    assert prompts.ensure(settings, "en") == english
    # a language without texts speaks English
    assert prompts.ensure(settings, "de") == english
    assert not list((tmp_path / ".tmp").glob("*"))  # no work files left behind


def test_without_espeak_nothing_is_rendered_and_tones_ask(tmp_path, monkeypatch):
    monkeypatch.setattr(tts, "engine_path", lambda: None)
    monkeypatch.setattr(tts, "render_key", lambda *args: (_ for _ in ()).throw(tts.TtsUnavailable("no espeak-ng")))
    assert prompts.ensure(SimpleNamespace(audio_dir=str(tmp_path)), "en") == {}
    assert not (tmp_path / "prompts").exists()


@needs_espeak
def test_the_snapshot_of_a_company_with_a_pin_room_names_the_prompts_in_its_language(db, settings, tmp_path):
    from dataclasses import replace

    settings = replace(settings, audio_dir=str(tmp_path))
    tenant = make_tenant(db)  # Dutch
    with db() as session:
        session.add(ConferenceRoom(tenant_id=tenant.id, name="Open", extension="850"))
    with db() as session:
        assert snapshot(session, tenant.id, settings).prompts == {}  # no PIN: nothing asked
        session.add(ConferenceRoom(tenant_id=tenant.id, name="Board", extension="851", pin="1234"))
    with db() as session:
        found = snapshot(session, tenant.id, settings).prompts
    assert set(found) == {"conference_pin", "conference_bad_pin"}
    assert all(Path(path).parent == tmp_path / "prompts" / "nl" and Path(path).is_file() for path in found.values())
