"""Rows a batch's handlers want written, written together just before the batch commits.

One statement per row was the other half of what an event cost (parsing being the first): a call of
seven events wrote its live row up to six times, deleted it, and inserted its record, each a statement
of its own. Handlers now say what they want written and the batch writes it in one go per table:

    ctx.writes.insert(QueueCall.__table__, {...})           # append-only rows (statistics, logs):
                                                             # one executemany per table and column set
    ctx.writes.insert(QueueCall.__table__, {...}, unique=("member_uuid",))
                                                             # ... ON CONFLICT (member_uuid) DO NOTHING:
                                                             # a replayed event adds nothing
    ctx.writes.upsert(ActiveCall.__table__, "call_uuid", {...})   # the latest row per key wins
    ctx.writes.delete(ActiveCall.__table__, "call_uuid", uuid)    # one DELETE ... IN (...) per table
    ctx.writes.before_commit("name", fn)                     # fn(db) once, for a module's own batching

Deletes run first, then upserts, then inserts, then the named hooks in the order they were first asked
for; everything in the batch's transaction, so a batch that fails writes nothing of it (and is tried
again event by event, fs_bridge.service). A handler that reads back what it wrote in the same batch
must not rely on it being there before the commit; keep such state in the handler's own memory (as
fs_bridge.calls does) or flush first (`ctx.writes.flush(ctx.db)` writes what is pending now)."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import Table, delete, insert


class Writes:
    def __init__(self) -> None:
        self._inserts: dict[tuple, list[dict]] = {}
        self._upserts: dict[tuple[Table, str], dict] = {}
        self._deletes: dict[tuple[Table, str], set] = {}
        self._hooks: dict[str, Callable] = {}

    def insert(self, table: Table, row: dict, unique: tuple[str, ...] = ()) -> None:
        self._inserts.setdefault((table, tuple(sorted(row)), tuple(unique)), []).append(row)

    def upsert(self, table: Table, key: str, row: dict) -> None:
        self._upserts.setdefault((table, key), {})[row[key]] = row  # written as it is at commit
        self._deletes.get((table, key), set()).discard(row[key])

    def delete(self, table: Table, column: str, value) -> None:
        self._upserts.get((table, column), {}).pop(value, None)
        self._deletes.setdefault((table, column), set()).add(value)

    def pending_delete(self, table: Table, column: str, value) -> bool:
        """Whether this row is to be deleted at commit (a handler reading the table meanwhile would
        still find it)."""
        return value in self._deletes.get((table, column), ())

    def before_commit(self, name: str, hook: Callable) -> None:
        self._hooks.setdefault(name, hook)

    def flush(self, db) -> None:
        deletes, self._deletes = self._deletes, {}
        for (table, column), values in deletes.items():
            if values:
                db.execute(delete(table).where(table.c[column].in_(sorted(values, key=str))))
        upserts, self._upserts = self._upserts, {}
        for (table, key), rows in upserts.items():
            if rows:
                db.execute(upsert_statement(db, table, key, next(iter(rows.values()))), list(rows.values()))
        inserts, self._inserts = self._inserts, {}
        for (table, _, unique), rows in inserts.items():
            db.execute(insert_statement(db, table, unique) if unique else insert(table), rows)
        hooks, self._hooks = self._hooks, {}
        for hook in hooks.values():
            hook(db)


_UPSERTS: dict[tuple, object] = {}


def insert_statement(db, table: Table, unique: tuple[str, ...]):
    """INSERT ... ON CONFLICT (unique) DO NOTHING (the same row twice in a batch, too, makes one)."""
    dialect = db.get_bind().dialect.name
    cache_key = (table.name, unique, "ignore", dialect)
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        statement = _UPSERTS[cache_key] = dialect_insert(table).on_conflict_do_nothing(index_elements=list(unique))
    return statement


def upsert_statement(db, table: Table, key: str, row: dict):
    """INSERT ... ON CONFLICT (key) DO UPDATE of every other column given: built once per table, key,
    columns and dialect (building costs more than running it)."""
    dialect = db.get_bind().dialect.name
    cache_key = (table.name, key, tuple(row), dialect)
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        base = dialect_insert(table)
        statement = _UPSERTS[cache_key] = base.on_conflict_do_update(
            index_elements=[key], set_={name: base.excluded[name] for name in row if name != key})
    return statement
