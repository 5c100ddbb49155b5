"""Feature codes: every company has the same functions with editable codes in the one number namespace."""

from __future__ import annotations

from sqlmodel import select

from callplan.recording import ON_DEMAND_CODE
from web.domain import numbering, stored_rows
from web.api.problems import field_problem
from web.api.routing import api
from web.models.feature_code import DEFAULT_CODES, FeatureCode, FeatureCodePublic, FeatureCodeUpdate
from web.scoping import get_owned, scoped
from web.updates import apply_update


def ensure_feature_codes(db, tenant_id: int) -> None:
    """Give the company every function it lacks, with its default code (skipped if the code is taken)."""
    have = set(db.exec(select(FeatureCode.function).where(FeatureCode.tenant_id == tenant_id)).all())
    for function, code in DEFAULT_CODES.items():
        if function in have:
            continue
        if numbering.holder(db, tenant_id, code) is not None:
            code = None
        row = FeatureCode(tenant_id=tenant_id, function=function, code=code or "", enabled=code is not None)
        db.add(row)
        db.flush()
        if code:
            numbering.claim(db, tenant_id, code, "feature_code", row.id, "/code")


def list_codes(ctx):
    """The company's feature codes."""
    ensure_feature_codes(ctx.db, ctx.tenant_id)
    rows = ctx.db.exec(scoped(FeatureCode, ctx.tenant_id).order_by(FeatureCode.id)).all()
    return [stored_rows.answer(FeatureCodePublic, row, *stored_rows.rules_for(FeatureCode)) for row in rows]


def update_code(ctx, body: FeatureCodeUpdate, id: int):
    """Change a code or switch it off."""
    row = get_owned(ctx.db, FeatureCode, ctx.tenant_id, id)
    apply_update(row, body)
    if row.function == "record" and row.code and not ON_DEMAND_CODE.match(row.code):
        # pressed during a call: FreeSWITCH binds its meta key `*` and one digit (bind_meta_app)
        raise field_problem(422, "in_call_code", "/code", "a code pressed during a call is * and one digit")
    numbering.claim(ctx.db, ctx.tenant_id, row.code or None, "feature_code", row.id, "/code")
    ctx.db.add(row)
    return stored_rows.answer(FeatureCodePublic, row, *stored_rows.rules_for(FeatureCode))


def get_code(ctx, id: int):
    """One feature code."""
    return stored_rows.answer(FeatureCodePublic, get_owned(ctx.db, FeatureCode, ctx.tenant_id, id), *stored_rows.rules_for(FeatureCode))


routes = [
    api("GET", "/api/feature-codes", list_codes, permission="pbx.manage", response=list[FeatureCodePublic]),
    api("GET", "/api/feature-codes/{id:int}", get_code, permission="pbx.manage", response=FeatureCodePublic, model=FeatureCode),
    api("PATCH", "/api/feature-codes/{id:int}", update_code, permission="pbx.manage", body=FeatureCodeUpdate,
        response=FeatureCodePublic, model=FeatureCode),
]
