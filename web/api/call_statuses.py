"""Call statuses (seed 004): the company's words for how a call ended ("called back", "sold"), which
agents give their calls in the agent panel. Admins define them; one per direction may be the default
(preselected for calls of that direction); a status may ask for a time to call back."""

from __future__ import annotations

from web.api.resources import Resource
from web.domain import agent_panel
from web.models.agent_panel import CallStatus, CallStatusCreate, CallStatusPublic, CallStatusUpdate


def _validate(ctx, status: CallStatus) -> None:
    agent_panel.keep_one_default(ctx.db, ctx.tenant_id, status)


resource = Resource(
    kind="call_status", path="/api/call-statuses", table=CallStatus, create_model=CallStatusCreate,
    update_model=CallStatusUpdate, public_model=CallStatusPublic, label="call status", order_by="name",
    read_permission="phone.self", validate=_validate,
)

routes = resource.routes()
