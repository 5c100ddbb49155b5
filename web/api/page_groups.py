"""Page groups (#18 item 4): an internal number that pages a set of the company's phones, which answer by
themselves and listen (callplan/paging.py)."""

from __future__ import annotations

from web.api.problems import field_problem
from web.api.resources import Resource
from web.domain import references
from web.models.page_group import PageGroup, PageGroupCreate, PageGroupPublic, PageGroupUpdate


def _validate(ctx, group: PageGroup) -> None:
    # each phone is paged once: a member listed twice is a mistake worth naming
    seen: set = set()
    for index, member in enumerate(group.members):
        key = (member.get("type"), member.get("id"))
        if key in seen:
            raise field_problem(422, "duplicate_member", f"/members/{index}", f"this {key[0]} is in the group twice")
        seen.add(key)


resource = Resource(
    kind="page_group", path="/api/page-groups", table=PageGroup, create_model=PageGroupCreate,
    update_model=PageGroupUpdate, public_model=PageGroupPublic, label="page group", number_field="extension",
    order_by="id", validate=_validate,
)
# Deleting a user or a phone that is a member is refused with the list of groups (409 "in_use").
references.register_referrer(PageGroup)

routes = [resource.usage_route(), *resource.routes()]
