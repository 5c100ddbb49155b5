"""The company's internal numbers as one namespace (web.domain.numbering): which one to suggest next."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel

from web.api.problems import field_problem
from web.api.routing import api
from web.domain import numbering

NumberedKind = Literal["user", "ring_group", "queue", "ivr_menu", "voicemail_box"]


class FreeExtension(BaseModel):
    extension: Optional[str]  # None: that run of numbers is full


def next_free_extension(ctx):
    """A free internal number for a new object of `?kind=` (default user): the lowest free one in the run
    of that kind's numbers (users from 201, ring groups from 300, ...). A suggestion: another admin may
    take it first, and saving then answers 409 on the extension."""
    kind = ctx.request.query_params.get("kind", "user")
    if kind not in NumberedKind.__args__:
        raise field_problem(422, "invalid", "/kind", f"must be one of {', '.join(NumberedKind.__args__)}")
    return FreeExtension(extension=numbering.next_free(ctx.db, ctx.tenant_id, kind))


routes = [
    api("GET", "/api/extensions/next-free", next_free_extension, permission="pbx.manage", response=FreeExtension),
]
