"""Monthly statements (/statements, admins; #17 item 6): the company's archive of statement PDFs, making
one for a month that has ended, and each PDF to open in the browser or to download. The work is
web.domain.statements'; this module reads the request and shapes the answer.

POST /api/statements {"month": "2026-11"} answers 201 with the statement it made, or 200 with the one
stored already (the same month asked twice, or at once by two admins, is made once). A month not in the
form YYYY-MM, or one that has not ended in the company's time zone, is a 422 naming /month. Another
company's statement is a 404 like a month without one."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from web.api.problems import Problem
from web.api.routing import api, jsonable
from web.domain import statements
from web.models.tenant import Tenant


class StatementPublic(BaseModel):
    id: int
    month: str  # 2026-11
    language: str
    created_at: datetime
    created_by: Optional[str]  # the admin's e-mail address; null: made by itself on the 1st
    size: int  # bytes
    url: str  # the PDF, shown inline; add ?download=1 to save it


class MakeStatement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(max_length=7)  # 2026-11: checked by web.domain.statements.parse_month


def _public(found: statements.StatementInfo) -> StatementPublic:
    return StatementPublic(id=found.id, month=found.month, language=found.language, created_at=found.created_at,
                           created_by=found.created_by, size=found.size, url=f"/api/statements/{found.month}.pdf")


def list_statements(ctx):
    """The company's statements, newest month first."""
    return [_public(found) for found in statements.listing(ctx.db, ctx.tenant_id)]


def make_statement(ctx, body: MakeStatement):
    """Make the statement of a month that has ended (or answer with the one stored)."""
    try:
        first = statements.parse_month(body.month)
        statements.check_past(ctx.db, ctx.tenant_id, first)
    except statements.BadMonth as exc:
        raise Problem(422, "invalid", errors=[{"pointer": "/month", "code": exc.code, "message": str(exc)}])
    # drawn in a child process: this worker's event loop and its other requests do not wait for fpdf2
    found, made = statements.make_apart(ctx.db, ctx.tenant_id, first, created_by=ctx.account.id)
    return JSONResponse(jsonable(_public(found)), status_code=201 if made else 200)


def statement_pdf(ctx, month: str):
    """The statement's PDF: inline (the browser's viewer), or as a file with ?download=1."""
    try:
        statements.parse_month(month)
    except statements.BadMonth:
        raise Problem(404, "not_found") from None
    pdf = statements.pdf_of(ctx.db, ctx.tenant_id, month)
    name = statements.file_name(ctx.db.get(Tenant, ctx.tenant_id).name, month)
    disposition = "attachment" if ctx.request.query_params.get("download") in ("1", "true") else "inline"
    return Response(pdf, media_type="application/pdf", headers={
        "content-disposition": f'{disposition}; filename="{name}"', "cache-control": "private, no-store",
        "x-content-type-options": "nosniff"})


routes = [
    api("GET", "/api/statements", list_statements, permission="statements.manage", response=list[StatementPublic]),
    api("POST", "/api/statements", make_statement, permission="statements.manage", body=MakeStatement,
        response=StatementPublic, status=201),
    api("GET", "/api/statements/{month}.pdf", statement_pdf, permission="statements.manage"),
]
