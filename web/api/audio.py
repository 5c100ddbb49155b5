"""Audio files: upload (multipart), typed text (spoken by web.tts), list, read, rename, delete, and the
WAV for playback.

List/read/rename/delete are the shared `Resource`; only creation is special, because it takes a file.
The upload route goes through the same `api()` wrapper as every route (origin, auth, permission, CSRF,
one transaction, audit) with body=None, so the wrapper reads no body; the handler, which runs in the
thread pool, then reads the multipart form on the event loop (uploads.form: `anyio.from_thread.run`). That way a
stranger is refused before a single byte of the upload is read.

The form is read by web/api/uploads.py: Starlette's `request.form()` (python-multipart) under a byte limit applied to
the ASGI messages as they arrive, so a body without Content-Length, or with a false one, is cut off at
the limit too. Starlette spools the file part to a temporary file (in memory up to 1 MB only).
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse

from web import audio, tts
from web.api.problems import Problem, field_problem, from_validation_error
from web.api import uploads
from web.api.resources import Resource
from web.api.routing import api
from web.models.audio import AudioFile, AudioPublic, AudioText, AudioUpdate, AudioUpload
from web.models.tenant import Tenant

log = logging.getLogger("web.api.audio")



def _after_delete(ctx, row: AudioFile) -> None:
    # The files go once the row is gone for good: a rolled-back delete must still find its sound.
    tenant_id, audio_id, root = row.tenant_id, row.id, audio.audio_root(ctx.settings)
    ctx.after_commit(lambda: audio.remove(tenant_id, audio_id, root))


def _render_if_changed(ctx, row: AudioFile) -> None:
    """A typed sound whose text or language changed is spoken again (before the commit, as an upload is
    installed); a rename, or the same text sent again, renders nothing. An upload has no text to change."""
    if row.render_key is None:
        for field in ("text", "language"):
            if getattr(row, field) is not None:
                raise field_problem(422, "audio_not_typed", f"/{field}", "only a typed sound has a text and a language")
        return
    for field in ("text", "language"):
        if getattr(row, field) is None:
            raise field_problem(422, "audio_text_required", f"/{field}", "a typed sound needs its text and language")
    _speak(ctx, row)


resource = Resource(
    kind="audio", path="/api/audio", table=AudioFile, create_model=AudioUpload, update_model=AudioUpdate,
    public_model=AudioPublic, label="audio file", order_by="name", before_delete=_after_delete,
    validate=_render_if_changed,
)


# -- reading the upload ----------------------------------------------------------------------------


def _on_file(code: str, message: str) -> list[dict]:
    return [{"pointer": "/file", "code": code, "message": message}]


def _too_large() -> Problem:
    message = f"the file may be at most {audio.MAX_UPLOAD_BYTES} bytes"
    return Problem(413, "audio_too_large", message, errors=_on_file("audio_too_large", message),
                   params={"max_mb": f"{audio.MAX_UPLOAD_BYTES / 1048576:.3g}"})


def _fields(form, named: bool = True) -> tuple[AudioUpload | None, UploadFile]:
    """The form as (validated fields, file part); problems point at the form field at fault. Not `named`:
    the caller names the sound itself (a user's greeting), so the form is the file alone."""
    upload = form.get("file")
    values = {key: value for key, value in form.multi_items() if key != "file"}
    # the same refusal as the JSON routes give for a key that is not a field
    known = AudioUpload.model_fields if named else {}
    unknown = sorted(key for key in values if key not in known)
    errors = [
        {"pointer": "/" + key.replace("~", "~0").replace("/", "~1"), "code": "unknown_field",
         "message": "is not a field of this form"}
        for key in unknown
    ]
    fields = None
    try:
        if named:
            fields = AudioUpload.model_validate({key: values[key] for key in values if key not in unknown})
    except ValidationError as exc:
        errors.extend(from_validation_error(exc).errors)
    if not isinstance(upload, UploadFile):
        errors.append({"pointer": "/file", "code": "missing", "message": "a file part is required"})
    if errors:
        raise Problem(422, "invalid", errors=errors)
    return fields, upload


def _convert(upload: UploadFile, root: Path) -> audio.Converted:
    upload.file.seek(0)
    try:
        return audio.convert(upload.file, root)
    except audio.TooLarge:
        raise _too_large()
    except audio.NotAudio:
        raise field_problem(422, "not_audio", "/file", "not a WAV, FLAC, MP3 or Ogg Vorbis sound")
    except audio.EmptyAudio:
        raise field_problem(422, "audio_empty", "/file", "the sound has no samples")
    except audio.TooLong:
        message = f"the sound may last at most {audio.MAX_DURATION_S} seconds"
        raise Problem(422, "audio_too_long", message, errors=_on_file("audio_too_long", message),
                      params={"max_minutes": audio.MAX_DURATION_S // 60})


# -- handlers --------------------------------------------------------------------------------------


def upload_audio(ctx):
    """Add an audio file: multipart/form-data with a `file` part (WAV, FLAC, MP3 or Ogg Vorbis) and a `name`."""
    return resource.public(ctx, store_upload(ctx))


def store_upload(ctx, name: str | None = None) -> AudioFile:
    """The multipart upload of the request, converted and stored as a new audio file of the company.
    `name` given: the row's name (a user's greeting, web/api/me.py), and the form holds the file alone."""
    uploads.require_multipart(ctx.request, "audio_not_multipart")
    # Nothing is written yet (only login bookkeeping): end the transaction so a slow upload holds no
    # database connection; the row below is written in a transaction of its own.
    ctx.db.commit()
    form = uploads.form(ctx.request, audio.MAX_UPLOAD_BYTES, _too_large, "audio_form_invalid")
    root = audio.audio_root(ctx.settings)
    try:
        fields, upload = _fields(form, named=name is None)
        converted = _convert(upload, root)
    finally:
        for _, value in form.multi_items():
            if isinstance(value, UploadFile):
                value.file.close()
    try:
        row = AudioFile(
            tenant_id=ctx.tenant_id, name=name or fields.name, original_filename=audio.safe_filename(upload.filename),
            duration_ms=converted.duration_ms, sample_rate_original=converted.sample_rate_original,
            channels_original=converted.channels_original, size_bytes=converted.size_bytes,
        )
        ctx.db.add(row)
        ctx.db.flush()
        # Installed before the commit: should the commit fail, an unused file is left, never a row
        # without its sound.
        audio.install(converted, ctx.tenant_id, row.id, root)
    finally:
        audio.discard(converted)
    return row


def _speak(ctx, row: AudioFile) -> None:
    """Render `row`'s text into its WAVs when its render key changed (a new row has none yet)."""
    try:
        key = tts.render_key(row.text, row.language)
    except tts.TtsUnavailable:
        raise Problem(503, "tts_unavailable", "text to speech is not installed on this server")
    if key == row.render_key:
        return
    root = audio.audio_root(ctx.settings)
    try:
        converted = tts.render(row.text, row.language, root)
    except tts.TtsUnavailable:
        raise Problem(503, "tts_unavailable", "text to speech is not installed on this server")
    except audio.EmptyAudio:
        raise field_problem(422, "tts_silent", "/text", "this text speaks no words")
    try:
        row.render_key = key
        row.duration_ms = converted.duration_ms
        row.sample_rate_original = converted.sample_rate_original
        row.channels_original = converted.channels_original
        row.size_bytes = converted.size_bytes
        ctx.db.add(row)
        # The flush writes the row, which holds its lock (PostgreSQL's row lock, SQLite's write lock)
        # until the commit: two saves of one text at once install their files in the order they commit,
        # so the file left is the rendering of the text the row keeps.
        ctx.db.flush()
        # as an upload: installed before the commit, so a row never lacks its sound
        audio.install(converted, row.tenant_id, row.id, root)
    finally:
        audio.discard(converted)


def create_typed(ctx, body: AudioText):
    """Add a sound typed as text: spoken once (espeak-ng) in `language`, the company's when not given."""
    language = body.language or ctx.db.get(Tenant, ctx.tenant_id).language
    # the render key stays empty until _speak has rendered and installed the sound
    row = AudioFile(tenant_id=ctx.tenant_id, name=body.name, original_filename="", duration_ms=0,
                    sample_rate_original=0, channels_original=0, size_bytes=0, text=body.text, language=language)
    ctx.db.add(row)
    ctx.db.flush()
    _speak(ctx, row)
    return resource.public(ctx, row)


def audio_file(ctx, id: int):
    """The WAV for playback in the browser (?rate=8000 or 16000, default 16000)."""
    return wav_response(ctx, resource.get(ctx, id))


def wav_response(ctx, row: AudioFile):
    """The stored WAV of `row` at the rate the query asks (shared with a user's own greetings)."""
    raw_rate = ctx.request.query_params.get("rate", "16000")
    if raw_rate not in {str(rate) for rate in audio.RATES}:
        raise field_problem(422, "invalid", "/rate", "must be 8000 or 16000")
    path = audio.audio_path(row.tenant_id, row.id, int(raw_rate), audio.audio_root(ctx.settings))
    if not path.is_file():
        log.error("audio file %s of tenant %s has no %s Hz WAV at %s", row.id, row.tenant_id, raw_rate, path)
        raise Problem(404, "audio_file_missing")
    return FileResponse(
        path, media_type="audio/wav", filename=f"audio-{row.id}-{raw_rate}.wav", content_disposition_type="inline",
        headers={"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"},
    )


routes = [resource.usage_route()] + [route for route in resource.routes() if route.method != "POST"] + [
    api("POST", "/api/audio", upload_audio, permission="pbx.manage", response=AudioPublic, status=201,
        form_fields={"file": "file", "name": "string"}),
    api("POST", "/api/audio/text", create_typed, permission="pbx.manage", body=AudioText, response=AudioPublic,
        status=201),
    api("GET", "/api/audio/{id:int}/file", audio_file, permission="pbx.manage", model=AudioFile),
]
