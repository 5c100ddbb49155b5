"""The device view's provisioning address and credentials; the route lives with the rest of
provisioning (web.provisioning.routes), this module only puts it among the API's auto-discovered ones."""

from web.provisioning.routes import api_routes as routes  # noqa: F401
