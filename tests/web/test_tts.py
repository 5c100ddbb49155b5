"""Typed sounds (#18 item 6): text spoken by espeak-ng into the audio library's WAVs, rendered on create,
again only when the text or language changes; refusals name the field; other tenants see nothing."""

from __future__ import annotations

import shutil
import wave

import pytest
from starlette.testclient import TestClient

from tests.web.factories_audio import make_audio_file
from tests.web.helpers import make_account, make_tenant, make_token
from web import audio, tts

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)")


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch):
    path = tmp_path / "audio"
    monkeypatch.setattr(audio, "AUDIO_DIR", path)
    return path


@pytest.fixture
def renders(monkeypatch):
    """Every rendering, as (text, language)."""
    seen = []
    real = tts.render

    def spy(text, language, root=None):
        seen.append((text, language))
        return real(text, language, root)

    monkeypatch.setattr(tts, "render", spy)
    return seen


@pytest.fixture
def tenant(db):
    return make_tenant(db)  # language "nl", the default


@pytest.fixture
def admin(client, db, settings, tenant):
    account = make_account(db, settings, tenant.id, "admin@acme.test")
    client.headers["authorization"] = f"Bearer {make_token(db, account)}"
    return account


def wav_of(settings, tenant_id, audio_id, rate=8000) -> tuple[int, int, bytes]:
    path = audio.audio_path(tenant_id, audio_id, rate, audio.audio_root(settings))
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.getnchannels(), wav.readframes(wav.getnframes())


def create(client, text="Welkom bij Acme. Een moment geduld alstublieft.", name="Welkom", **extra):
    return client.post("/api/audio/text", json={"name": name, "text": text, **extra})


def test_a_typed_text_is_spoken_once_into_both_rates_in_the_companys_language(client, admin, tenant, settings, renders):
    response = create(client)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["text"], body["language"]) == ("Welkom bij Acme. Een moment geduld alstublieft.", "nl")
    assert renders == [(body["text"], "nl")]
    assert body["duration_ms"] > 1000  # a sentence, not a click
    for rate in audio.RATES:
        framerate, channels, frames = wav_of(settings, tenant.id, body["id"], rate)
        assert (framerate, channels) == (rate, 1)
        assert len(frames) // 2 == pytest.approx(body["duration_ms"] * rate / 1000, rel=0.01)
        assert max(frames) > 0  # not silence
    # the browser plays it like any upload
    played = client.get(f"/api/audio/{body['id']}/file")
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    assert [row["id"] for row in client.get("/api/audio").json()] == [body["id"]]


def test_an_english_company_gets_english_by_default(client, db, settings, renders):
    english = make_tenant(db, name="Ace", sip_domain="ace.pbx.test", language="en")
    client.headers["authorization"] = f"Bearer {make_token(db, make_account(db, settings, english.id, 'a@ace.test'))}"
    assert create(client, text="Welcome to Ace.").json()["language"] == "en"
    assert renders == [("Welcome to Ace.", "en")]


def test_only_a_change_of_text_or_language_renders_again(client, admin, tenant, settings, renders):
    row = create(client).json()
    first = wav_of(settings, tenant.id, row["id"])
    # a rename, and the same text sent again: nothing rendered, the sound unchanged
    assert client.patch(f"/api/audio/{row['id']}", json={"name": "Ochtend"}).status_code == 200
    assert client.patch(f"/api/audio/{row['id']}", json={"text": row["text"], "language": "nl"}).status_code == 200
    assert len(renders) == 1 and wav_of(settings, tenant.id, row["id"]) == first
    # a new text: rendered again, a different sound, a new length
    changed = client.patch(f"/api/audio/{row['id']}", json={"text": "Wij zijn gesloten."})
    assert changed.status_code == 200, changed.text
    assert len(renders) == 2 and wav_of(settings, tenant.id, row["id"]) != first
    assert changed.json()["duration_ms"] < row["duration_ms"]
    assert client.get(f"/api/audio/{row['id']}").json()["text"] == "Wij zijn gesloten."
    # another language: rendered again
    before = wav_of(settings, tenant.id, row["id"])
    assert client.patch(f"/api/audio/{row['id']}", json={"language": "de"}).json()["language"] == "de"
    assert renders[-1] == ("Wij zijn gesloten.", "de") and wav_of(settings, tenant.id, row["id"]) != before


def test_every_language_the_api_accepts_changes_the_sound(client, admin, tenant, settings):
    """The settings walk's proof for `language` (tests/test_settings_walk.py): each voice speaks differently."""
    sounds = {}
    for language in ("nl", "en", "de", "fr"):
        row = create(client, text="Hallo, 1 2 3.", name=language, language=language).json()
        assert row["language"] == language
        sounds[language] = wav_of(settings, tenant.id, row["id"])[2]
    assert len(set(sounds.values())) == 4


def test_a_new_engine_version_renders_again(client, admin, renders, monkeypatch):
    row = create(client).json()
    monkeypatch.setattr(tts, "engine_version", lambda: "eSpeak NG text-to-speech: 9.99")
    assert client.patch(f"/api/audio/{row['id']}", json={"text": row["text"]}).status_code == 200
    assert len(renders) == 2


@pytest.mark.parametrize(("body", "pointer"), [
    ({"text": "   "}, "/text"),
    ({"text": "x" * 1001}, "/text"),
    ({"text": "Hallo\x1b[2J"}, "/text"),
    ({"language": "xx"}, "/language"),
    ({"language": "en-gb"}, "/language"),
    ({"name": ""}, "/name"),
    ({"voice": "en"}, "/voice"),
])
def test_bad_input_is_422_naming_the_field(client, admin, root, body, pointer, renders):
    response = create(client, **body)
    assert response.status_code == 422, response.text
    assert pointer in [error["pointer"] for error in response.json()["errors"]]
    row = create(client).json()
    changed = client.patch(f"/api/audio/{row['id']}", json=body)
    assert changed.status_code == 422 and pointer in [e["pointer"] for e in changed.json()["errors"]]
    assert client.get(f"/api/audio/{row['id']}").json()["text"] == row["text"]
    assert len(renders) == 1


def test_a_text_may_be_1000_characters(client, admin):
    assert create(client, text=("Dit is een zin. " * 70)[:1000]).status_code == 201


def test_text_and_language_belong_to_typed_sounds_only(client, admin, tenant, db, settings):
    uploaded = make_audio_file(db, settings, tenant.id)
    for field, value in (("text", "Hallo"), ("language", "en")):
        response = client.patch(f"/api/audio/{uploaded}", json={field: value})
        assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == f"/{field}"
    typed = create(client).json()
    for field in ("text", "language"):
        response = client.patch(f"/api/audio/{typed['id']}", json={field: None})
        assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == f"/{field}"


def test_without_espeak_ng_it_is_503_and_nothing_is_stored(client, admin, root, monkeypatch):
    monkeypatch.setattr(tts, "engine_path", lambda: None)
    tts.engine_version.cache_clear()
    try:
        response = create(client)
        assert response.status_code == 503 and response.json()["code"] == "tts_unavailable"
        assert client.get("/api/audio").json() == []
        assert not [p for p in root.rglob("*.wav")]
    finally:
        tts.engine_version.cache_clear()


def test_another_tenants_typed_sound_is_out_of_reach(app, client, db, settings, root, renders):
    tenant_a = make_tenant(db, name="A", sip_domain="a.pbx.test")
    tenant_b = make_tenant(db, name="B", sip_domain="b.pbx.test", language="en")
    client_a = TestClient(app, headers={"authorization": f"Bearer {make_token(db, make_account(db, settings, tenant_a.id, 'a@a.test'))}"})
    client_b = TestClient(app, headers={"authorization": f"Bearer {make_token(db, make_account(db, settings, tenant_b.id, 'b@b.test'))}"})
    foreign = create(client_b, text="B's secret greeting").json()
    assert client_a.get("/api/audio").json() == []
    assert client_a.get(f"/api/audio/{foreign['id']}").status_code == 404
    assert client_a.get(f"/api/audio/{foreign['id']}/file").status_code == 404
    assert client_a.patch(f"/api/audio/{foreign['id']}", json={"text": "Hijacked"}).status_code == 404
    assert len(renders) == 1
    assert client_b.get(f"/api/audio/{foreign['id']}").json()["text"] == "B's secret greeting"
    # its files are in tenant B's folder only
    assert audio.audio_path(tenant_b.id, foreign["id"], 16000, root).is_file()
    assert not (root / str(tenant_a.id)).exists()


def test_two_saves_at_once_leave_the_file_of_the_text_the_row_keeps(app, client, admin, tenant, settings, db, monkeypatch):
    """Both render at the same time (a pause inside the rendering makes sure); whichever commits last, the
    file is the rendering of the text its row keeps (the flushed row is locked until the commit)."""
    import threading
    import time

    row = create(client).json()
    token = client.headers["authorization"]
    real = tts.render
    both = threading.Barrier(2, timeout=30)

    def slow(text, language, root=None):
        converted = real(text, language, root)
        both.wait()  # each has rendered before either installs
        time.sleep(0.05 if text.startswith("Kort") else 0.0)
        return converted

    monkeypatch.setattr(tts, "render", slow)
    texts = ["Kort.", "Een veel langere tekst, die duidelijk meer seconden duurt dan de korte, tot het einde toe."]
    answers = {}

    def save(text):
        with TestClient(app, headers={"authorization": token}) as other:
            answers[text] = other.patch(f"/api/audio/{row['id']}", json={"text": text})

    threads = [threading.Thread(target=save, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(answer.status_code == 200 for answer in answers.values()), {t: a.text for t, a in answers.items()}
    kept = client.get(f"/api/audio/{row['id']}").json()
    assert kept["text"] in texts
    for rate in audio.RATES:
        frames = len(wav_of(settings, tenant.id, row["id"], rate)[2]) // 2
        assert frames == pytest.approx(kept["duration_ms"] * rate / 1000, abs=rate / 100), (rate, kept)


@pytest.mark.parametrize("text", ["...", "-v xx --stdin", "😀😀", "\u200b", "<speak>Hi</speak>", "Regel een\nRegel twee\t.", "ß" * 1000])
def test_odd_texts_are_spoken_or_refused_never_a_500(client, admin, text):
    response = create(client, text=text)
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        assert response.json()["errors"][0]["pointer"] == "/text"
    else:
        assert response.json()["text"] == text.strip()
