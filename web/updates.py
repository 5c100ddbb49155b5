"""PATCH semantics shared by every API: only the fields sent change, and null is refused for a column
that cannot be empty (with the field's pointer) instead of failing in the database."""

from __future__ import annotations

from pydantic import BaseModel

from web.domain.problems import Problem


def apply_update(row, update: BaseModel, mode: str = "python", exclude: tuple[str, ...] = ()) -> dict:
    """Set the fields `update` carries on `row`; mode="json" stores nested models as plain JSON.
    Fields in `exclude` are not columns (the caller handles them)."""
    changes = update.model_dump(mode=mode, exclude_unset=True, exclude=set(exclude))
    table = row.__table__
    errors = [
        {"pointer": f"/{name}", "code": "null_not_allowed", "message": "may not be empty"}
        for name, value in changes.items()
        if value is None and name in table.columns and not table.columns[name].nullable
    ]
    if errors:
        raise Problem(422, "invalid", errors=errors)
    for name, value in changes.items():
        setattr(row, name, value)
    return changes
