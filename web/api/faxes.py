"""Faxes (#18 item 5): the company's received and sent faxes, each one's PDF, and sending one.

    GET  /api/faxes?direction=in|out&limit=&offset=   newest first, with the total
    GET  /api/faxes/{id}                              one fax
    GET  /api/faxes/{id}/pdf                          its PDF (received: made from the TIFF; sent: the upload)
    POST /api/faxes                                   multipart/form-data: `file` (a PDF), `number`

Sending reads the form as the audio upload does (web/api/audio.py: after the route's checks, under a byte
limit), converts the PDF to a fax TIFF and has FreeSWITCH call the number through the company's own
outbound route (web/domain/faxes.py); the answer is 202 with the fax "sending". The bridge sets "sent" or
"failed" and the pages when the call hangs up."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Optional

from pydantic import BaseModel
from sqlalchemy import func
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse

from web import side_effects
from web.api import uploads
from web.api.params import int_param
from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.domain import fax_files, faxes
from web.models.fax import Fax
from web.models.tenant import Tenant
from web.scoping import get_owned, scoped

log = logging.getLogger("web.api.faxes")

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class FaxPublic(BaseModel):
    id: int
    direction: str  # in, out
    status: str  # queued, sending, received, sent, failed
    remote_number: str
    local_number: str
    remote_station_id: str
    pages: int
    result_code: Optional[int]
    result_text: str
    call_uuid: Optional[str]
    has_pdf: bool
    mailed_to: list[str]
    created_at: datetime
    finished_at: Optional[datetime]


class FaxPage(BaseModel):
    items: list[FaxPublic]
    total: int
    limit: int
    offset: int


def public(row: Fax) -> FaxPublic:
    return FaxPublic(id=row.id, direction=row.direction, status=row.status, remote_number=row.remote_number,
                     local_number=row.local_number, remote_station_id=row.remote_station_id, pages=row.pages,
                     result_code=row.result_code, result_text=row.result_text, call_uuid=row.call_uuid,
                     has_pdf=bool(row.pdf_file), mailed_to=list(row.mailed_to or []), created_at=row.created_at,
                     finished_at=row.finished_at)


def list_faxes(ctx):
    query = ctx.request.query_params
    limit = int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = int_param(query, "offset", 0, 0, 10**9)
    statement = scoped(Fax, ctx.tenant_id)
    direction = query.get("direction")
    if direction is not None:
        if direction not in ("in", "out"):
            raise field_problem(422, "invalid", "/direction", "must be in or out")
        statement = statement.where(Fax.direction == direction)
    total = ctx.db.exec(statement.with_only_columns(func.count()).order_by(None)).one()
    rows = ctx.db.exec(statement.order_by(Fax.created_at.desc(), Fax.id.desc()).limit(limit).offset(offset)).all()
    return FaxPage(items=[public(row) for row in rows], total=total, limit=limit, offset=offset)


def get_fax(ctx, id: int):
    return public(get_owned(ctx.db, Fax, ctx.tenant_id, id))


def fax_pdf(ctx, id: int):
    row = get_owned(ctx.db, Fax, ctx.tenant_id, id)
    path = fax_files.existing_file(ctx.settings.fax_dir, row.pdf_file) if row.pdf_file else None
    if path is None:
        raise Problem(404, "fax_pdf_missing")
    return FileResponse(path, media_type="application/pdf", filename=f"fax-{row.id}.pdf",
                        content_disposition_type="attachment",
                        headers={"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"})


# -- sending -------------------------------------------------------------------------------------------


def _too_large() -> Problem:
    message = f"the PDF may be at most {fax_files.MAX_UPLOAD_BYTES} bytes"
    return Problem(413, "fax_too_large", message, errors=[{"pointer": "/file", "code": "fax_too_large", "message": message}],
                   params={"max_mb": f"{fax_files.MAX_UPLOAD_BYTES / 1048576:.3g}"})


def _fields(form) -> tuple[str, bytes]:
    """(number, PDF bytes), or a 422 naming every field at fault."""
    errors = []
    for key, _ in form.multi_items():
        if key not in ("file", "number"):
            errors.append({"pointer": "/" + key.replace("~", "~0").replace("/", "~1"), "code": "unknown_field",
                           "message": "is not a field of this form"})
    # in the form's order (the file, then the number): the screen focuses the first field at fault
    upload = form.get("file")
    data = b""
    if not isinstance(upload, UploadFile):
        errors.append({"pointer": "/file", "code": "missing", "message": "a PDF file part is required"})
    else:
        upload.file.seek(0)
        data = upload.file.read(fax_files.MAX_UPLOAD_BYTES + 1)
        try:
            fax_files.pdf_pages(data)
        except fax_files.NotAPdf as exc:
            errors.append({"pointer": "/file", "code": "not_pdf", "message": f"not a PDF we can send: {exc}"})
    raw_number = form.get("number")
    number = faxes.clean_number(raw_number) if isinstance(raw_number, str) else None
    if raw_number is None:
        errors.append({"pointer": "/number", "code": "missing", "message": "the number to send the fax to is required"})
    elif number is None:
        errors.append({"pointer": "/number", "code": "fax_bad_number",
                       "message": "must be a phone number: digits with an optional leading +, 3 to 15"})
    if errors:
        raise Problem(422, "invalid", errors=errors)
    return number, data


def send_fax(ctx):
    """Send a PDF as a fax to `number`: 202 with the fax, which the bridge completes."""
    uploads.require_multipart(ctx.request, "fax_not_multipart")
    ctx.db.commit()  # a slow upload holds no database connection (as the audio upload)
    form = uploads.form(ctx.request, fax_files.MAX_UPLOAD_BYTES, _too_large, "fax_form_invalid")
    try:
        number, data = _fields(form)
    finally:
        for _, value in form.multi_items():
            if isinstance(value, UploadFile):
                value.file.close()
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    account_id = ctx.account.id if ctx.account is not None else None
    row = faxes.store_upload(ctx.db, ctx.settings, ctx.tenant_id, account_id, number, data)
    if not row.local_number:
        _discard(ctx, row)
        raise Problem(409, "fax_no_company_number", "set the company number first: a fax goes out showing it")
    # committed as "sending" before FreeSWITCH is asked: a call that fails at once is reported by the
    # bridge, which must find the row
    row.status = "sending"
    ctx.db.add(row)
    ctx.db.commit()
    try:
        faxes.start_sending(ctx.db, ctx.settings, row, tenant.sip_domain)
    except (faxes.SwitchUnavailable, faxes.SwitchRefused) as exc:
        # the attempt stays in the list, failed, with the reason
        row.status, row.result_text = "failed", f"FreeSWITCH: {exc}"[:200]
        ctx.db.add(row)
        ctx.db.commit()
        if isinstance(exc, faxes.SwitchUnavailable):
            raise Problem(503, "freeswitch_unavailable", headers={"Retry-After": "10"})
        raise Problem(502, "freeswitch_refused", str(exc))
    return public(row)


def _discard(ctx, row: Fax) -> None:
    """The request fails and its row is rolled back: its files go too."""
    side_effects.happened("removed a fax file")
    for name in (row.tiff_file, row.pdf_file):
        path = fax_files.shared_file(ctx.settings.fax_dir, name) if name else None
        if path and os.path.exists(path):
            os.remove(path)


routes = [
    api("GET", "/api/faxes", list_faxes, permission="pbx.manage", response=FaxPage),
    api("GET", "/api/faxes/{id:int}", get_fax, permission="pbx.manage", response=FaxPublic, model=Fax),
    api("GET", "/api/faxes/{id:int}/pdf", fax_pdf, permission="pbx.manage", model=Fax),
    api("POST", "/api/faxes", send_fax, permission="pbx.manage", response=FaxPublic, status=202,
        form_fields={"file": "file", "number": "string"}),
]
