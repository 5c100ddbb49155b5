"""IVR menus (seed 001 6.8): greeting, key actions, reception, after-hours variant, night mode."""

from __future__ import annotations

from web.domain import references
from web.api.resources import Resource
from web.models.ivr_menu import IvrMenu, IvrMenuCreate, IvrMenuPublic, IvrMenuUpdate

resource = Resource(
    kind="ivr_menu", label="IVR menu", path="/api/ivr-menus", table=IvrMenu, create_model=IvrMenuCreate,
    update_model=IvrMenuUpdate, public_model=IvrMenuPublic, number_field="extension", order_by="name",
)
references.register_referrer(IvrMenu)

routes = resource.routes()
