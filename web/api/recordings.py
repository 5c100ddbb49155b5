"""Call recordings (#18 item 1): the list (/recordings, and a call's own on /calls), play or download the
WAV, delete. Who hears which is web/domain/recording_access.py; a recording one may not hear is a 404."""

from __future__ import annotations

import re

from starlette.responses import FileResponse

from web.api.params import int_param, MAX_ID
from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.domain import recording_access, recordings
from web.models.recording import Recording, RecordingPublic

# any call record's call_uuid (its column: 64 characters; FreeSWITCH's are UUIDs, imported records need not be)
_UUID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _who(ctx) -> recording_access.Access:
    return recording_access.access(ctx.db, ctx.tenant_id, ctx.account.id, ctx.role)


def list_recordings(ctx):
    """The recordings the caller may hear, newest first: ?call_uuid= one call's, ?user_id= one user's,
    ?limit= (1-500, 100) and ?offset=."""
    query = ctx.request.query_params
    call_uuid = query.get("call_uuid") or None
    if call_uuid is not None and not _UUID.fullmatch(call_uuid):
        raise field_problem(422, "invalid_filter", "/call_uuid", "must be a call's uuid")
    return recording_access.listing(
        ctx.db, ctx.tenant_id, _who(ctx), call_uuid=call_uuid, user_id=int_param(query, "user_id", None, 1, MAX_ID),
        limit=int_param(query, "limit", 100, 1, recording_access.MAX_LIMIT),
        offset=int_param(query, "offset", 0, 0, MAX_ID))


def get_recording(ctx, id: int):
    """One recording."""
    row = recording_access.one(ctx.db, ctx.tenant_id, _who(ctx), id)
    return recording_access.public(ctx.db, ctx.tenant_id, [row])[0]


def recording_audio(ctx, id: int):
    """The recording's WAV, to play in the page or (?download=1) to save."""
    row = recording_access.one(ctx.db, ctx.tenant_id, _who(ctx), id)
    path = recordings.file_path(ctx.settings.recordings_dir, row.tenant_id, row.file_name)
    if path is None:
        raise Problem(404, "recording_file_missing")
    download = ctx.request.query_params.get("download") in ("1", "true")
    return FileResponse(
        path, media_type="audio/wav", filename=f"recording-{row.started_at:%Y%m%d-%H%M}-{row.id}.wav",
        content_disposition_type="attachment" if download else "inline",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def delete_recording(ctx, id: int):
    """Delete a recording: its file and its row (the audit log keeps who did)."""
    recording_access.delete(ctx.db, ctx.settings.recordings_dir, ctx.tenant_id, _who(ctx), id)
    return None


routes = [
    api("GET", "/api/recordings", list_recordings, permission="recordings.read", response=list[RecordingPublic]),
    api("GET", "/api/recordings/{id:int}", get_recording, permission="recordings.read", response=RecordingPublic,
        model=Recording),
    api("GET", "/api/recordings/{id:int}/audio", recording_audio, permission="recordings.read", model=Recording),
    api("DELETE", "/api/recordings/{id:int}", delete_recording, permission="recordings.manage", status=204,
        model=Recording),
]
