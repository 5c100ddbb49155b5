"""Reading a multipart upload (a sound, a fax's PDF) under a byte limit.

The form is read with Starlette's `request.form()` (python-multipart) from a receive that stops passing
on body bytes past the limit, so an upload that announces less than it sends still cannot fill the disk;
one announced as too large is refused before a byte is read. Each route says which problems it answers
with (its own codes), so the screens keep their texts."""

from __future__ import annotations

from typing import Callable

import anyio.from_thread
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

from web import side_effects
from web.api.problems import Problem

FORM_OVERHEAD = 64 * 1024  # boundaries, part headers and the small fields around the file itself


class LimitedReceive:
    """An ASGI receive that refuses to pass on more than `limit` body bytes."""

    def __init__(self, receive, limit: int):
        self.receive, self.limit, self.received, self.exceeded = receive, limit, 0, False

    async def __call__(self):
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                # A MultiPartException makes Starlette close the spooled files it has opened so far.
                raise MultiPartException("upload too large")
        return message


def require_multipart(request: Request, code: str) -> None:
    """415 `code` unless the body is multipart/form-data."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise Problem(415, code, headers={"Accept-Post": "multipart/form-data"})


async def read_form(request: Request, max_file_bytes: int, too_large: Callable[[], Problem], invalid_code: str):
    """The form of one file and a few small fields; `too_large()` past the file's limit (announced or sent),
    400 `invalid_code` for a broken or interrupted form."""
    limit = max_file_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large()  # no need to read what is announced as too much
    receive = LimitedReceive(request.receive, limit)
    try:
        return await Request(request.scope, receive).form(max_files=1, max_fields=4, max_part_size=4096)
    except HTTPException as exc:  # Starlette's answer to a MultiPartException
        if receive.exceeded:
            raise too_large()
        raise Problem(400, invalid_code, exc.detail)
    except ClientDisconnect:
        raise Problem(400, invalid_code, "the upload was interrupted")


def form(request: Request, max_file_bytes: int, too_large: Callable[[], Problem], invalid_code: str):
    """`read_form` from a handler's thread (it reads on the event loop). The body stream is gone once read:
    the handler cannot be run again from the start (web/api/routing.py), so this counts as a side effect."""
    side_effects.happened("read the request's body")
    return anyio.from_thread.run(read_form, request, max_file_bytes, too_large, invalid_code)
