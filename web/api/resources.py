"""The same small interface for every PBX object the admin manages (the way Kazoo gives every callflow
module one shape): list, create, read, change, delete, with the rules every object shares applied in
one place:

- rows are the tenant's (web.scoping), and a row of another tenant is a 404;
- ids the object points at must be the tenant's (web.domain.references.require_all), else 422 naming the field;
- its internal number is claimed in the one namespace (web.domain.numbering), else 409 naming the field;
- deleting it, or giving it another number while something dials the old one, is refused with the list
  of what uses it (409 "in_use", `used_by`);
- every change is audited (web.domain.audit does that for any row).

An object module declares a `Resource` and exports `resource.routes()`; hooks cover what is special.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from pydantic import BaseModel

from web.domain import numbering, references, stored_rows
from web.api.routing import api
from web.scoping import get_owned, scoped
from web.updates import apply_update


class UsePublic(BaseModel):
    """One object that points at another (web.domain.references.Use)."""

    kind: str
    id: int
    name: str
    where: str  # the field inside it, as a JSON pointer


class UsagePublic(BaseModel):
    id: int
    used_by: list[UsePublic]


@dataclass
class Resource:
    kind: str  # as in web.domain.references.KINDS, e.g. "ring_group"
    path: str  # e.g. "/api/ring-groups"
    table: type
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    public_model: type[BaseModel]
    label: str = ""  # "ring group", for summaries
    permission: str = "pbx.manage"
    read_permission: Optional[str] = None  # defaults to `permission`
    number_field: Optional[str] = None  # the column holding its internal number, if any
    order_by: str = "id"
    # fields of the Create/Update shapes that are not columns; `apply_extra(ctx, row, values)` handles them
    extra_fields: tuple[str, ...] = ()
    apply_extra: Optional[Callable[[Any, Any, dict], None]] = None
    # hooks: (ctx, row) -> None, after the fields are set and before the row is flushed
    validate: Optional[Callable[[Any, Any], None]] = None
    after_create: Optional[Callable[[Any, Any], None]] = None
    before_delete: Optional[Callable[[Any, Any], None]] = None
    to_public: Optional[Callable[[Any, Any], BaseModel]] = None  # (ctx, row) -> public shape

    def __post_init__(self):
        self.label = self.label or self.kind.replace("_", " ")
        references.register_kind(self.kind, self.table)

    # -- the steps every object shares --------------------------------------------------------

    def rules(self) -> tuple[type[BaseModel], ...]:
        """The shapes a save is checked with: what a stored row is held to when it is read back."""
        return stored_rows.rules_for(self.table) or (self.create_model, self.update_model)

    def public(self, ctx, row) -> BaseModel:
        if self.to_public is not None:
            return self.to_public(ctx, row)
        # a stored value that no longer validates is shown with `problems`, never a refusal to read it
        return stored_rows.answer(self.public_model, row, *self.rules())

    def _check(self, ctx, row) -> None:
        # No autoflush while checking: a lookup must not write the half-changed row early (a unique
        # column would then fail as a bare conflict instead of the validator's answer with its pointer).
        with ctx.db.no_autoflush:
            if hasattr(row, "references"):
                references.require_all(ctx.db, ctx.tenant_id, row)
            if self.validate is not None:
                self.validate(ctx, row)

    def _claim(self, ctx, row) -> None:
        if self.number_field:
            numbering.claim(ctx.db, ctx.tenant_id, getattr(row, self.number_field), self.kind, row.id, f"/{self.number_field}")

    def get(self, ctx, row_id: int):
        return get_owned(ctx.db, self.table, ctx.tenant_id, row_id)

    # -- handlers ---------------------------------------------------------------------------------

    def list_rows(self, ctx):
        rows = ctx.db.exec(scoped(self.table, ctx.tenant_id).order_by(getattr(self.table, self.order_by))).all()
        return [self.public(ctx, row) for row in rows]

    def _extra(self, ctx, row, values: dict) -> None:
        if self.apply_extra is not None and values:
            self.apply_extra(ctx, row, values)

    def create_row(self, ctx, body: BaseModel):
        data = body.model_dump(mode="json")
        extra = {name: data.pop(name) for name in self.extra_fields if name in data}
        row = self.table(**data, tenant_id=ctx.tenant_id)
        self._check(ctx, row)
        ctx.db.add(row)
        ctx.db.flush()
        self._claim(ctx, row)
        if self.after_create is not None:
            self.after_create(ctx, row)
        self._extra(ctx, row, extra)
        return self.public(ctx, row)

    def read_row(self, ctx, id: int):
        return self.public(ctx, self.get(ctx, id))

    def update_row(self, ctx, body: BaseModel, id: int):
        row = self.get(ctx, id)
        old_number = getattr(row, self.number_field) if self.number_field else None
        apply_update(row, body, mode="json", exclude=self.extra_fields)  # JSON columns take the plain form
        new_number = getattr(row, self.number_field) if self.number_field else None
        if old_number and new_number != old_number:
            # something dials the old number: renumbering would break it silently
            references.refuse_if_used(ctx.db, ctx.tenant_id, "extension", old_number)
        self._check(ctx, row)
        ctx.db.add(row)
        ctx.db.flush()
        self._claim(ctx, row)
        self._extra(ctx, row, body.model_dump(mode="json", exclude_unset=True, include=set(self.extra_fields)))
        return self.public(ctx, row)

    def delete_row(self, ctx, id: int):
        row = self.get(ctx, id)
        references.refuse_if_used(ctx.db, ctx.tenant_id, self.kind, row.id)
        if self.number_field and getattr(row, self.number_field):
            references.refuse_if_used(ctx.db, ctx.tenant_id, "extension", getattr(row, self.number_field))
        if self.before_delete is not None:
            self.before_delete(ctx, row)
        if self.number_field:
            numbering.release(ctx.db, ctx.tenant_id, self.kind, row.id)
        ctx.db.delete(row)
        return None

    def list_usage(self, ctx):
        rows = ctx.db.exec(scoped(self.table, ctx.tenant_id).order_by(self.table.id)).all()
        ids = [row.id for row in rows]
        found = references.usage(ctx.db, ctx.tenant_id, self.kind, ids)
        if self.number_field:  # what dials its number uses it too (a forwarding to "999")
            numbers = {row.id: getattr(row, self.number_field) for row in rows if getattr(row, self.number_field)}
            dialled = references.usage(ctx.db, ctx.tenant_id, "extension", numbers.values())
            for row_id, number in numbers.items():
                found[row_id] += dialled[number]
        return [UsagePublic(id=row_id, used_by=[UsePublic(**use.as_dict()) for use in found[row_id]]) for row_id in ids]

    def usage_route(self):
        """GET <path>/used-by: for every object of the company, what uses it (by id, and what dials its
        number: what a delete would be refused with), for a list screen to show beside each row.
        Opt-in per object module."""
        return api("GET", f"{self.path}/used-by",
                   _named(self.list_usage, f"usage_{self.kind}", f"What uses each {self.label} of the company."),
                   permission=self.read_permission or self.permission, response=list[UsagePublic])

    def routes(self) -> list:
        item = f"{self.path}/{{id:int}}"
        read = self.read_permission or self.permission
        label = self.label
        return [
            api("GET", self.path, _named(self.list_rows, f"list_{self.kind}", f"Every {label} of the company."),
                permission=read, response=list[self.public_model]),
            api("POST", self.path, _named(self.create_row, f"create_{self.kind}", f"Add a {label}."),
                permission=self.permission, body=self.create_model, response=self.public_model, status=201),
            api("GET", item, _named(self.read_row, f"get_{self.kind}", f"One {label}."),
                permission=read, response=self.public_model, model=self.table),
            api("PATCH", item, _named(self.update_row, f"update_{self.kind}", f"Change a {label}; only the fields sent change."),
                permission=self.permission, body=self.update_model, response=self.public_model, model=self.table),
            api("DELETE", item, _named(self.delete_row, f"delete_{self.kind}", f"Delete a {label}; refused while anything uses it."),
                permission=self.permission, status=204, model=self.table),
        ]


def _named(method, name: str, doc: str):
    """A plain function with its own name and docstring (route names and OpenAPI summaries)."""

    def handler(*args, **kwargs):
        return method(*args, **kwargs)

    handler.__name__ = name
    handler.__doc__ = doc
    return handler
