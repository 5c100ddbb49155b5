"""Call parking (#18 item 3): the company's lot (on or off, slot range, return time) and the calls parked
in it now (web.domain.parking).

- GET /api/parking: the settings, the slot numbers and the park feature code.
- PATCH /api/parking: `enabled`, `first_slot`, `last_slot` (2 to 4 digits, as many in both, at most 50
  slots), `return_after_s` (10 to 3600); only what is sent changes. A slot number something else has is
  refused (409 number_taken with `used_by`), as is leaving out a number something still dials (409 in_use).
- GET /api/parking/calls: who waits in which slot now (503 when FreeSWITCH does not answer)."""

from __future__ import annotations

from web.api.feature_codes import ensure_feature_codes
from web.api.problems import Problem
from web.api.routing import api
from web.domain import parking
from web.models.parking import ParkedCall, ParkingPublic, ParkingUpdate


def get_parking(ctx):
    """The company's parking lot: on or off, its slots, how long a call waits before it goes back."""
    ensure_feature_codes(ctx.db, ctx.tenant_id)  # the park code, for a company made before it existed
    return parking.public(ctx.db, ctx.tenant_id)


def update_parking(ctx, body: ParkingUpdate):
    """Change the lot; the slot numbers are taken or freed in the company's numbers at once."""
    ensure_feature_codes(ctx.db, ctx.tenant_id)
    return parking.update(ctx.db, ctx.tenant_id, body)


def parked_calls(ctx):
    """The calls waiting in the company's slots now (FreeSWITCH's mod_valet_parking)."""
    if not parking.is_on(ctx.db, ctx.tenant_id):
        return []  # no slots, nothing parked: FreeSWITCH is not asked
    try:
        return parking.parked(ctx.settings, ctx.tenant_id)
    except parking.SwitchUnavailable:
        raise Problem(503, "freeswitch_unavailable", headers={"Retry-After": "10"})


routes = [
    api("GET", "/api/parking", get_parking, permission="pbx.manage", response=ParkingPublic),
    api("PATCH", "/api/parking", update_parking, permission="pbx.manage", body=ParkingUpdate, response=ParkingPublic),
    api("GET", "/api/parking/calls", parked_calls, permission="pbx.manage", response=list[ParkedCall]),
]
