"""What a compilation read of a tenant's objects, so what it made can be reused for a newer snapshot.

A compiled plan depends on the time (the schedules it decided: Compilation.decisions) and on the few
objects its steps reach: the users, groups, queues, menus, boxes, schedules and audio it names, the
domain, the company's caller ID ... A compilation is given `Reading(objects)` instead of the objects
themselves; it reads them as usual, and every value read is noted: an entry of a table (`users.get(7)`,
`7 in users`, `users[7]`), a whole table when it is walked (`users.values()`), any other attribute as it
is. `unchanged(reads, newer)` then says whether a newer snapshot holds the same value for each one, which
is exactly when compiling again would give the same text. Nothing has to list by hand what a step type
depends on: a new step type, or a step reading one more object, is covered as it is written.

Values are compared with ==; the web side keeps the objects of unchanged rows between snapshots, so most
comparisons are identity."""

from __future__ import annotations

from typing import Any, Iterator

MISSING = object()  # an entry that was not there (a deleted user is a dependency too)


class Entries:
    """One table of the objects (id -> object), noting which entries are read."""

    __slots__ = ("_name", "_table", "_reads")

    def __init__(self, name: str, table: dict, reads: dict):
        self._name, self._table, self._reads = name, table, reads

    def _entry(self, key):
        value = self._table.get(key, MISSING)
        self._reads[(self._name, key)] = value
        return value

    def get(self, key, default=None):
        value = self._entry(key)
        return default if value is MISSING else value

    def __getitem__(self, key):
        value = self._entry(key)
        if value is MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        return self._entry(key) is not MISSING

    def _whole(self) -> dict:
        self._reads[(self._name,)] = self._table
        return self._table

    def __iter__(self) -> Iterator:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def __bool__(self) -> bool:
        return bool(self._whole())

    def __eq__(self, other) -> bool:
        return self._whole() == other

    __hash__ = None

    def keys(self):
        return self._whole().keys()

    def values(self):
        return self._whole().values()

    def items(self):
        return self._whole().items()


class Reading:
    """The tenant's objects (callplan.objects.TenantObjects) as one compilation reads them. `reads` maps
    (attribute,) to a whole value read and (table, key) to one entry (MISSING when absent). Methods of the
    objects run against this view, so what they read is noted too."""

    def __init__(self, objects: Any):
        object.__setattr__(self, "_objects", objects)
        object.__setattr__(self, "reads", {})
        object.__setattr__(self, "_tables", {})

    def __getattr__(self, name: str):
        objects = object.__getattribute__(self, "_objects")
        value = getattr(objects, name)
        if isinstance(value, dict):
            tables = object.__getattribute__(self, "_tables")
            entries = tables.get(name)
            if entries is None:
                entries = tables[name] = Entries(name, value, self.reads)
                object.__setattr__(self, name, entries)  # (as a value below: found without coming here)
            return entries
        if callable(value):
            method = getattr(type(objects), name, None)
            if callable(method) and hasattr(method, "__get__"):
                return method.__get__(self)  # a method of the objects: it reads through this view
        self.reads[(name,)] = value
        # noted once, then kept as this view's own attribute: the next reads of it (a plan's steps read the
        # domain, the home switch, the users ... again and again) find it without coming here (#20)
        object.__setattr__(self, name, value)
        return value

    def __setattr__(self, name, value):
        raise AttributeError("a Reading is read-only")


def unchanged(reads: dict, objects: Any) -> bool:
    """Does `objects` hold, for everything in `reads`, the value that was read?"""
    for key, value in reads.items():
        if len(key) == 1:
            current = getattr(objects, key[0])
        else:
            current = getattr(objects, key[0]).get(key[1], MISSING)
        if current is not value and (current is MISSING or value is MISSING or current != value):
            return False
    return True
