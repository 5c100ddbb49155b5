"""The company's settings (seed 001 6.3): name and number, display, night mode, outbound blocking, music."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel

from web import clock
from web.domain import night, numbers, references, stored_rows
from web.domain.company import settings_row
from web.api.problems import field_problem
from web.api.routing import api
from web.models import Tenant
from web.models.company import PREMIUM_FIELDS, CompanyPublic, CompanySettings, CompanyUpdate
from web.scoping import scoped
from web.updates import apply_update


class NightDestination(BaseModel):
    type: str
    id: Optional[int] = None
    number: Optional[str] = None
    name: Optional[str] = None  # what it points at, by name (None: gone)


class NightStatus(BaseModel):
    mode: str  # off | on | auto
    night: bool  # it is night now: calls that follow the company go to the destination (when one is set)
    at: datetime  # now, in the company's zone
    next_change: Optional[datetime]  # when `night` flips by the schedule (auto only); null: only by hand
    timezone: str
    destination: Optional[NightDestination]


def _public(tenant: Tenant, row: CompanySettings) -> CompanyPublic:
    # the PIN is checked with the rest but never shown: the answer says whether one is set
    values = {**row.model_dump(), "company_name": tenant.name, "company_number": tenant.company_number,
              "release_pin_set": bool(row.release_pin)}
    return stored_rows.answer(CompanyPublic, values, *stored_rows.rules_for(CompanySettings))


def get_company(ctx):
    """The company's settings."""
    return _public(ctx.db.get(Tenant, ctx.tenant_id), settings_row(ctx.db, ctx.tenant_id))


def update_company(ctx, body: CompanyUpdate):
    """Change company settings; only the fields sent change."""
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    row = settings_row(ctx.db, ctx.tenant_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    if "company_name" in changes:
        tenant.name = changes.pop("company_name") or tenant.name
    if "company_number" in changes:
        numbers.require_caller_id(ctx.db, ctx.tenant_id, changes["company_number"], "/company_number")
        tenant.company_number = changes.pop("company_number")
    apply_update(row, body, mode="json", exclude=("company_name", "company_number"))
    _premium_shortcut(row, changes)
    references.require_all(ctx.db, ctx.tenant_id, row)
    _check_fallback(ctx, row)
    ctx.db.add_all([tenant, row])
    if "fallback" in changes:
        ctx.after_commit(lambda: write_fallback(ctx.request.app))
    return _public(tenant, row)


def _premium_shortcut(row: CompanySettings, changes: dict) -> None:
    """block_premium switches every premium range at once; a range sent in the same request wins.
    block_premium then says whether all of them are blocked."""
    if changes.get("block_premium") is not None:
        for name in PREMIUM_FIELDS:
            if changes.get(name) is None:
                setattr(row, name, changes["block_premium"])
    row.block_premium = all(getattr(row, name) for name in PREMIUM_FIELDS)


def _check_fallback(ctx, row: CompanySettings) -> None:
    """A fallback to one of the company's own numbers would loop back into the switch that is down."""
    from web.models.phone_number import PhoneNumber

    number = ((row.fallback or {}).get("destination") or {}).get("number")
    if number and ctx.db.exec(scoped(PhoneNumber, ctx.tenant_id).where(PhoneNumber.number == number)).first():
        raise field_problem(422, "invalid", "/fallback/destination/number", "must be a number outside the company")


def write_fallback(app) -> bool:
    """Regenerate FreeSWITCH's static fallback dialplan for every tenant (seed 003 "Notfall-Routing").

    FreeSWITCH rereads it on `reloadxml`, sent over the event socket when the file changed (a switch that
    is down reads it when it starts)."""
    import threading

    from web.domain import fallback
    from web.db import session_scope
    from web.domain import switches

    settings = app.state.settings
    with session_scope(app.state.engine) as db:
        changed = fallback.write(settings.fallback_dialplan, db, settings.audio_dir)

    def reload():
        # every switch rereads it; one not running is normal in development, so its answer is not waited on
        switches.ask_all(settings, ["reloadxml"])

    if changed:
        threading.Thread(target=reload, daemon=True).start()
    return changed


def night_status(ctx):
    """Is it night now by the company's night switch, until when, and where calls go (the dialplan's own rule)."""
    found = night.state(ctx.db, ctx.tenant_id, ctx.settings, clock.now())
    return NightStatus(mode=found.mode, night=found.night, at=found.at, next_change=found.next_change,
                       timezone=found.timezone, destination=found.destination)


references.register_referrer(CompanySettings)

routes = [
    api("GET", "/api/company", get_company, permission="pbx.manage", response=CompanyPublic),
    api("GET", "/api/company/night", night_status, permission="pbx.manage", response=NightStatus),
    api("PATCH", "/api/company", update_company, permission="pbx.manage", body=CompanyUpdate, response=CompanyPublic),
]
