"""What a stored row broke of the API's rules when it was last checked (web.domain.stored_rows), kept
across processes (#20 item 3).

Checking a company's rows is most of a new process's first dialplan build (some 40 ms for a company of a
thousand users, phones and boxes), and every process of every server paid it again for the same rows.
A check's outcome depends only on the row's stored values and on the code that checks them, so it is
kept under a digest of both (web.domain.callplan_snapshot.KeptChecks): a row changed in any way, even by
a hand-made UPDATE, or any new code gets a new digest and is checked again. Not configuration (no
document is built from it, web.domain.audit.NOT_CONFIG) and written past the ORM, so it never bumps the
company's generation."""

from __future__ import annotations

from typing import Optional

from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned


class RowCheck(TenantOwned, table=True):
    __tablename__ = "row_check"
    __table_args__ = (UniqueConstraint("tenant_id", "digest"),)
    __audit__ = False  # a cache of what the rules say, not a change anyone made

    id: Optional[int] = Field(default=None, primary_key=True)
    digest: str = Field(max_length=32)  # of the checking code, the table and the row's stored values
    problems: Optional[str] = None  # the problems found, as JSON text; none: the row passed
