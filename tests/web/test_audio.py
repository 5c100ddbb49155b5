"""Audio files: upload (decoded, converted to mono 8k and 16k WAV), limits, playback, rename, delete,
tenant isolation and access."""

from __future__ import annotations

import array
import io
import math
import struct
import tempfile
import wave
import zlib
from pathlib import Path

import anyio
import pytest
from starlette.testclient import TestClient

from tests.web.factories_audio import make_audio_file, wav_bytes
from tests.web.helpers import login, make_account, make_tenant, make_token
from web import audio
from web.models.voicemail_box import VoicemailBox

MP3 = Path(__file__).parent / "data" / "tone-stereo.mp3"  # lame -b 32: 0.5 s, two tones, stereo, 16 kHz


@pytest.fixture(autouse=True)
def dirs(tmp_path, monkeypatch, request):
    """The test's audio root (the settings' audio_dir) and a fresh temp dir, so "nothing was left
    behind" can be checked."""
    root, temp = tmp_path / "audio", tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(audio, "AUDIO_DIR", root)  # for tests that call web.audio without settings
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return root, temp


def leftovers(dirs) -> list[Path]:
    """Files in the temp dir and the audio work dir (stored sounds are not leftovers)."""
    root, temp = dirs
    return [p for p in list(temp.rglob("*")) + list((root / ".tmp").rglob("*")) if p.is_file()]


def stored(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.wav") if ".tmp" not in p.parts)


@pytest.fixture
def tenant(db):
    return make_tenant(db)


@pytest.fixture
def admin(client, db, settings, tenant):
    account = make_account(db, settings, tenant.id, "admin@acme.test")
    client.headers["authorization"] = f"Bearer {make_token(db, account)}"
    return account


def upload(client, data: bytes, name="Welcome", filename="welcome.wav", content_type="audio/wav", **extra):
    return client.post("/api/audio", data={"name": name, **extra}, files={"file": (filename, data, content_type)})


def read_wav(path_or_bytes) -> tuple[wave._wave_params, array.array]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    with wave.open(source, "rb") as wav:
        params = wav.getparams()
        samples = array.array("h", wav.readframes(params.nframes))
    return params, samples


def zero_crossings(samples) -> int:
    return sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))


def tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0")) + chunk(b"IEND", b"")


# -- uploads that are stored ---------------------------------------------------------------------


def test_stereo_44k_wav_is_stored_as_mono_8k_and_16k(client, admin, tenant, dirs):
    original = wav_bytes(rate=44100, seconds=1.5, channels=2, freq=440)
    response = upload(client, original, filename="../../etc/wel<come>.wav")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Welcome"
    assert body["original_filename"] == "wel_come_.wav"  # no path, no markup
    assert body["sample_rate_original"] == 44100 and body["channels_original"] == 2
    assert body["size_bytes"] == len(original)
    assert abs(body["duration_ms"] - 1500) <= 20
    root = dirs[0]
    for rate in (8000, 16000):
        path = audio.audio_path(tenant.id, body["id"], rate, root)
        params, samples = read_wav(path)
        assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, rate)
        assert abs(params.nframes - 1.5 * rate) <= 0.02 * rate
        # still a 440 Hz tone (two zero crossings a period), not silence or a pitch-shifted copy
        assert abs(zero_crossings(samples) - 2 * 440 * 1.5) <= 30
        assert max(samples) > 5000
    assert stored(root) == sorted(audio.audio_path(tenant.id, body["id"], rate, root) for rate in (8000, 16000))
    assert leftovers(dirs) == []
    listed = client.get("/api/audio").json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert client.get(f"/api/audio/{body['id']}").json() == body


def test_mp3_is_decoded_and_stored(client, admin, tenant, dirs):
    response = upload(client, MP3.read_bytes(), name="Music", filename="music.mp3", content_type="audio/mpeg")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["channels_original"] == 2 and body["sample_rate_original"] == 16000
    assert 450 <= body["duration_ms"] <= 700  # 0.5 s plus the encoder's padding
    for rate in (8000, 16000):
        params, samples = read_wav(audio.audio_path(tenant.id, body["id"], rate, dirs[0]))
        assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, rate)
        assert max(samples) > 1000
    assert leftovers(dirs) == []


def test_file_name_and_content_type_do_not_matter_for_real_audio(client, admin):
    response = upload(client, MP3.read_bytes(), filename="notes.txt", content_type="text/plain")
    assert response.status_code == 201, response.text


# -- uploads that are refused --------------------------------------------------------------------


@pytest.mark.parametrize("content", [
    b"This is not a sound at all, just text.\n" * 40,
    tiny_png(),
    b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64,  # a WAV header with nothing sensible in it
], ids=["text", "png", "broken-wav-header"])
def test_non_audio_is_refused_whatever_it_claims_to_be(client, admin, dirs, content):
    response = upload(client, content, filename="greeting.wav", content_type="audio/wav")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "not_audio"
    assert [e["pointer"] for e in response.json()["errors"]] == ["/file"]
    assert client.get("/api/audio").json() == []
    assert stored(dirs[0]) == [] and leftovers(dirs) == []


@pytest.mark.parametrize("content", [b"", wav_bytes(seconds=0)], ids=["zero-bytes", "wav-without-samples"])
def test_empty_audio_is_refused(client, admin, dirs, content):
    response = upload(client, content)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "audio_empty"
    assert response.json()["errors"][0]["pointer"] == "/file"
    assert stored(dirs[0]) == [] and leftovers(dirs) == []


def test_audio_longer_than_the_limit_is_refused(client, admin, dirs, monkeypatch):
    monkeypatch.setattr(audio, "MAX_DURATION_S", 1)
    response = upload(client, wav_bytes(seconds=2))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "audio_too_long"
    assert response.json()["detail"] == "the sound may last at most 1 seconds"
    assert upload(client, wav_bytes(seconds=0.9)).status_code == 201
    assert leftovers(dirs) == []


def test_the_default_limits_are_20_mb_and_10_minutes():
    assert audio.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    assert audio.MAX_DURATION_S == 600


@pytest.mark.parametrize("size", [12_000, 200_000], ids=["just-over", "far-over"])
def test_oversized_upload_is_refused_and_leaves_nothing(client, admin, dirs, monkeypatch, size):
    # just-over passes the streaming cap (limit + form overhead) and is caught when the file is copied;
    # far-over is cut off while the body streams in
    monkeypatch.setattr(audio, "MAX_UPLOAD_BYTES", 10_000)
    response = upload(client, wav_bytes(rate=8000, seconds=size / 16000))
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "audio_too_large"
    assert [e["pointer"] for e in response.json()["errors"]] == ["/file"]
    assert client.get("/api/audio").json() == []
    assert stored(dirs[0]) == [] and leftovers(dirs) == []
    assert upload(client, wav_bytes(rate=8000, seconds=0.25)).status_code == 201  # 4 KB: under the limit


def _asgi_upload(app, token: str, chunks: int, content_length: str | None = None):
    """POST a multipart body of `chunks` x 64 KB straight to the ASGI app, one message per chunk, and
    count how many messages the app asked for (TestClient hands over a body in one piece)."""
    boundary = "audio-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nBig\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode()
    pieces = [head] + [b"\x01" * 65536] * chunks + [f"\r\n--{boundary}--\r\n".encode()]
    handed_out = []
    messages = []

    async def receive():
        if len(handed_out) < len(pieces):
            handed_out.append(pieces[len(handed_out)])
            return {"type": "http.request", "body": handed_out[-1], "more_body": len(handed_out) < len(pieces)}
        await anyio.sleep_forever()

    async def send(message):
        messages.append(message)

    headers = [(b"authorization", f"Bearer {token}".encode()), (b"host", b"testserver"),
               (b"content-type", f"multipart/form-data; boundary={boundary}".encode())]
    if content_length is not None:
        headers.append((b"content-length", content_length.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/audio", "raw_path": b"/api/audio", "root_path": "",
             "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80), "state": {}}

    async def run():
        with anyio.fail_after(30):
            await app(scope, receive, send)

    anyio.run(run)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    return status, len(handed_out), len(pieces)


def test_the_size_limit_holds_while_streaming_without_content_length(app, db, settings, tenant, dirs, monkeypatch):
    monkeypatch.setattr(audio, "MAX_UPLOAD_BYTES", 100_000)
    token = make_token(db, make_account(db, settings, tenant.id, "admin@acme.test"))
    status, read, total = _asgi_upload(app, token, chunks=100)  # 6.5 MB, no Content-Length
    assert status == 413
    assert read <= 4 < total  # stopped at about the limit (100 KB + 64 KB overhead), not at the end
    assert leftovers(dirs) == [] and stored(dirs[0]) == []


def test_a_false_content_length_does_not_get_past_the_limit(app, db, settings, tenant, dirs, monkeypatch):
    monkeypatch.setattr(audio, "MAX_UPLOAD_BYTES", 100_000)
    token = make_token(db, make_account(db, settings, tenant.id, "admin@acme.test"))
    status, read, total = _asgi_upload(app, token, chunks=100, content_length="1000")
    assert status == 413 and read <= 4 < total
    # an honest but too large one is refused before anything is read
    status, read, _ = _asgi_upload(app, token, chunks=100, content_length=str(100 * 65536 + 200))
    assert (status, read) == (413, 0)
    assert leftovers(dirs) == []


@pytest.mark.parametrize("request_kwargs", [
    {"json": {}},
    {"json": {"name": "x", "file": "UklGRg=="}},
    {},
    {"data": {"name": "Welcome"}},  # urlencoded
    {"content": b"RIFF....", "headers": {"content-type": "audio/wav"}},
], ids=["json-object", "json-with-fields", "no-body", "urlencoded", "raw-wav"])
def test_anything_but_multipart_is_415(client, admin, request_kwargs):
    response = client.post("/api/audio", **request_kwargs)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "audio_not_multipart"


def test_form_problems_point_at_the_field(client, admin, dirs):
    good = wav_bytes()

    def pointers(response):
        assert response.status_code == 422, response.text
        return sorted(e["pointer"] for e in response.json()["errors"])

    assert pointers(client.post("/api/audio", files={"file": ("a.wav", good, "audio/wav")})) == ["/name"]
    assert pointers(client.post("/api/audio", data={"name": "x"}, files={"other": ("a.txt", b"x")})) == ["/file", "/other"]
    assert pointers(client.post("/api/audio", files={"name": (None, "x"), "file": (None, "not a file part")})) == ["/file"]
    assert pointers(upload(client, good, name="x" * 101)) == ["/name"]
    assert pointers(upload(client, good, name="   ")) == ["/name"]
    assert pointers(upload(client, good, name="bad\u202ename")) == ["/name"]  # a bidi override
    assert pointers(upload(client, good, name="line\nbreak")) == ["/name"]
    assert pointers(upload(client, good, extension="201")) == ["/extension"]
    two_files = client.post("/api/audio", data={"name": "x"},
                            files=[("file", ("a.wav", good, "audio/wav")), ("file", ("b.wav", good, "audio/wav"))])
    assert two_files.status_code == 400 and two_files.json()["code"] == "audio_form_invalid"
    assert client.get("/api/audio").json() == []
    assert stored(dirs[0]) == [] and leftovers(dirs) == []


# -- playback, rename, delete ---------------------------------------------------------------------


def test_playback_serves_the_wav_inline(client, admin):
    audio_id = upload(client, wav_bytes(rate=22050, seconds=0.5)).json()["id"]
    default = client.get(f"/api/audio/{audio_id}/file")
    assert default.status_code == 200
    assert default.headers["content-type"] == "audio/wav"
    assert default.headers["content-disposition"].startswith("inline")
    assert default.headers["x-content-type-options"] == "nosniff"
    assert read_wav(default.content)[0].framerate == 16000
    narrow = client.get(f"/api/audio/{audio_id}/file?rate=8000")
    assert read_wav(narrow.content)[0].framerate == 8000
    wrong = client.get(f"/api/audio/{audio_id}/file?rate=44100")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["pointer"] == "/rate"
    assert client.get(f"/api/audio/{audio_id + 1}/file").status_code == 404


def test_playback_of_a_row_whose_file_is_gone_is_a_clean_404(client, admin, tenant, dirs):
    audio_id = upload(client, wav_bytes()).json()["id"]
    audio.audio_path(tenant.id, audio_id, 16000, dirs[0]).unlink()
    response = client.get(f"/api/audio/{audio_id}/file")
    assert response.status_code == 404 and response.json()["code"] == "audio_file_missing"


def test_rename_changes_only_the_name(client, admin):
    created = upload(client, wav_bytes()).json()
    renamed = client.patch(f"/api/audio/{created['id']}", json={"name": "  Closed  "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {**created, "name": "Closed"}
    for body, pointer in [({"duration_ms": 1}, "/duration_ms"), ({"name": ""}, "/name"), ({"name": None}, "/name"),
                          ({"original_filename": "x.wav"}, "/original_filename")]:
        response = client.patch(f"/api/audio/{created['id']}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["pointer"] == pointer
    assert client.get(f"/api/audio/{created['id']}").json()["name"] == "Closed"


def test_delete_removes_the_row_and_the_files(client, admin, tenant, dirs):
    keep = upload(client, wav_bytes(), name="Keep").json()["id"]
    gone = upload(client, wav_bytes(), name="Gone").json()["id"]  # the highest id
    assert len(stored(dirs[0])) == 4
    assert client.delete(f"/api/audio/{gone}").status_code == 204
    assert client.get(f"/api/audio/{gone}").status_code == 404
    assert client.get(f"/api/audio/{gone}/file").status_code == 404
    assert stored(dirs[0]) == sorted(audio.audio_path(tenant.id, keep, rate, dirs[0]) for rate in (8000, 16000))
    # the id of a deleted sound is never handed out again, not even on SQLite
    assert upload(client, wav_bytes()).json()["id"] > gone


def test_delete_is_refused_while_a_voicemail_box_greets_with_it(client, admin, tenant, db, dirs):
    audio_id = upload(client, wav_bytes()).json()["id"]
    with db() as session:
        box = VoicemailBox(tenant_id=tenant.id, name="Sales box", extension="990", pin="1234", greeting_audio_id=audio_id)
        session.add(box)
        session.flush()
        box_id = box.id
    refused = client.delete(f"/api/audio/{audio_id}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "in_use"
    assert [(u["kind"], u["id"], u["where"]) for u in refused.json()["used_by"]] == [
        ("voicemail_box", box_id, "/greeting_audio_id")]
    assert len(stored(dirs[0])) == 2
    assert client.get(f"/api/audio/{audio_id}/file").status_code == 200


def test_used_by_lists_what_uses_each_file_of_the_company_only(app, client, admin, tenant, db, settings, dirs):
    """GET /api/audio/used-by: every file of the company with what a delete would be refused by."""
    used = upload(client, wav_bytes(), name="Used").json()["id"]
    free = upload(client, wav_bytes(), name="Free").json()["id"]
    other = make_tenant(db, name="Other", sip_domain="other.pbx.test")
    foreign = make_audio_file(db, settings, other.id, make_account(db, settings, other.id, "admin@other.test"))
    with db() as session:
        box = VoicemailBox(tenant_id=tenant.id, name="Sales box", extension="990", pin="1234", greeting_audio_id=used)
        session.add(box)
        session.add(VoicemailBox(tenant_id=other.id, name="Their box", extension="990", pin="1234", greeting_audio_id=foreign))
        session.flush()
        box_id = box.id
    answer = client.get("/api/audio/used-by")
    assert answer.status_code == 200, answer.text
    assert answer.json() == [
        {"id": used, "used_by": [{"kind": "voicemail_box", "id": box_id, "name": "Sales box", "where": "/greeting_audio_id"}]},
        {"id": free, "used_by": []},
    ]
    # the same list a refused delete gives
    assert client.delete(f"/api/audio/{used}").json()["used_by"] == answer.json()[0]["used_by"]
    boxes = client.get("/api/voicemail-boxes/used-by")
    assert boxes.status_code == 200 and boxes.json() == [{"id": box_id, "used_by": []}]


# -- tenants and access ----------------------------------------------------------------------------


def test_another_tenants_audio_is_invisible(app, client, db, settings, dirs):
    tenant_a = make_tenant(db, name="A", sip_domain="a.pbx.test")
    tenant_b = make_tenant(db, name="B", sip_domain="b.pbx.test")
    admin_a = make_account(db, settings, tenant_a.id, "admin@a.test")
    admin_b = make_account(db, settings, tenant_b.id, "admin@b.test")
    client_a = TestClient(app, headers={"authorization": f"Bearer {make_token(db, admin_a)}"})
    client_b = TestClient(app, headers={"authorization": f"Bearer {make_token(db, admin_b)}"})
    foreign = make_audio_file(db, settings, tenant_b.id, admin_b, name="B's greeting")
    own = upload(client_a, wav_bytes(), name="A's greeting").json()["id"]
    assert [item["id"] for item in client_a.get("/api/audio").json()] == [own]
    assert [item["id"] for item in client_b.get("/api/audio").json()] == [foreign]
    for method, path in [("GET", ""), ("GET", "/file"), ("GET", "/file?rate=8000"), ("DELETE", "")]:
        assert client_a.request(method, f"/api/audio/{foreign}{path}").status_code == 404, (method, path)
    assert client_a.patch(f"/api/audio/{foreign}", json={"name": "mine"}).status_code == 404
    assert client_b.get(f"/api/audio/{foreign}").json()["name"] == "B's greeting"
    assert client_b.get(f"/api/audio/{foreign}/file").status_code == 200
    # the tenant's own directory holds only its own files
    assert audio.audio_path(tenant_a.id, own, 8000, dirs[0]).is_file()
    assert not audio.audio_path(tenant_a.id, foreign, 8000, dirs[0]).exists()


def test_upload_with_a_session_needs_the_csrf_token(client, db, settings, tenant, dirs):
    make_account(db, settings, tenant.id, "admin@acme.test")
    login(client, "admin@acme.test")
    token = client.headers.pop("x-csrf-token")
    refused = upload(client, wav_bytes())
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    assert stored(dirs[0]) == [] and leftovers(dirs) == []
    client.headers["x-csrf-token"] = token
    assert upload(client, wav_bytes()).status_code == 201
    foreign_origin = client.post("/api/audio", data={"name": "x"}, files={"file": ("a.wav", wav_bytes(), "audio/wav")},
                                 headers={"origin": "https://evil.test"})
    assert foreign_origin.status_code == 403 and foreign_origin.json()["code"] == "cross_origin"


@pytest.mark.parametrize("role, status", [("user", 403), ("reports", 403), ("agent", 403), (None, 401)])
def test_only_admins_upload(client, db, settings, tenant, dirs, role, status):
    if role is not None:
        account = make_account(db, settings, tenant.id, f"{role}@acme.test", role=role)
        client.headers["authorization"] = f"Bearer {make_token(db, account)}"
    response = upload(client, wav_bytes())
    assert response.status_code == status, response.text
    assert client.get("/api/audio").status_code == status
    assert stored(dirs[0]) == [] and leftovers(dirs) == []


# -- the storage layer -----------------------------------------------------------------------------


def test_paths_follow_the_freeswitch_layout(tmp_path):
    assert audio.audio_path(7, 42, 8000, tmp_path) == tmp_path / "7" / "8000" / "42.wav"
    assert audio.audio_path(7, 42, 16000, tmp_path) == tmp_path / "7" / "16000" / "42.wav"
    with pytest.raises(ValueError):
        audio.audio_path(7, 42, 44100, tmp_path)
    with pytest.raises(ValueError):
        audio.audio_path("7/../../etc", 42, 8000, tmp_path)


@pytest.mark.parametrize("raw, expected", [
    ("greeting.wav", "greeting.wav"),
    ("C:\\Users\\me\\Desktop\\hello world.mp3", "hello world.mp3"),
    ("../../etc/passwd", "passwd"),
    ("\u202etxt.wav", "_txt.wav"),
    ("a\"b'<c>&d.wav", "a_b__c__d.wav"),
    ("", "upload"),
    ("...", "upload"),
    (None, "upload"),
    ("x" * 300 + ".wav", "x" * 100),
])
def test_original_file_names_are_sanitised(raw, expected):
    assert audio.safe_filename(raw) == expected


def test_convert_leaves_no_work_files_when_it_refuses(tmp_path):
    for content, error in [(b"not audio" * 100, audio.NotAudio), (b"", audio.EmptyAudio),
                           (wav_bytes(seconds=1), audio.TooLarge)]:
        with pytest.raises(error):
            audio.convert(io.BytesIO(content), tmp_path, max_bytes=10_000)
        assert list((tmp_path / ".tmp").iterdir()) == []
    converted = audio.convert(io.BytesIO(wav_bytes(seconds=0.2)), tmp_path)
    assert sorted(converted.files) == [8000, 16000] and all(p.exists() for p in converted.files.values())
    audio.discard(converted)
    assert list((tmp_path / ".tmp").iterdir()) == []
    assert math.isclose(converted.duration_ms, 200, abs_tol=5)


def test_frames_are_counted_while_decoding_whatever_the_header_said(tmp_path, monkeypatch):
    # The header check comes first in convert(); this is the guard behind it, for headers that lie.
    work = tmp_path / "work"
    work.mkdir()
    source = work / "long.wav"
    source.write_bytes(wav_bytes(seconds=3))
    monkeypatch.setattr(audio, "MAX_DURATION_S", 1)
    with pytest.raises(audio.TooLong):
        audio._resample(source, 8000, work)
    assert sorted(p.name for p in work.iterdir()) == ["long.wav"]  # the half-written WAV is gone
    monkeypatch.setattr(audio, "MAX_DURATION_S", 5)
    frames, written = audio._resample(source, 8000, work)
    assert frames == 24000 and read_wav(written)[0].nframes == 24000
