"""What changed between two call-plan documents, for people to read (the history's "compare"): steps
and diversions are compared by id, so a moved step shows as one move and not as every step after it
changing. Pure: plain dicts in, a list of changes out."""

from __future__ import annotations

from typing import Optional


def _escape(key) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _keyed(items: list) -> bool:
    """A list of objects with unique string ids (steps, diversions): compared by id, not position."""
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    return all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)


def _lcs(a: list, b: list) -> set:
    """The items of the longest common subsequence: those that kept their order."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    kept, i, j = set(), 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            kept.add(a[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


def _diff(old, new, old_path: str, new_path: str, out: list) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [key for key in new if key not in old]:
            sub_old, sub_new = f"{old_path}/{_escape(key)}", f"{new_path}/{_escape(key)}"
            if key not in new:
                out.append({"op": "remove", "path": sub_old, "old": old[key]})
            elif key not in old:
                out.append({"op": "add", "path": sub_new, "value": new[key]})
            else:
                _diff(old[key], new[key], sub_old, sub_new, out)
    elif isinstance(old, list) and isinstance(new, list):
        if _keyed(old) and _keyed(new):
            _diff_keyed(old, new, old_path, new_path, out)
            return
        for index in range(min(len(old), len(new))):
            _diff(old[index], new[index], f"{old_path}/{index}", f"{new_path}/{index}", out)
        out.extend({"op": "remove", "path": f"{old_path}/{i}", "old": old[i]} for i in range(len(new), len(old)))
        out.extend({"op": "add", "path": f"{new_path}/{i}", "value": new[i]} for i in range(len(old), len(new)))
    elif old != new or type(old) is not type(new):
        out.append({"op": "replace", "path": new_path, "old": old, "value": new})


def _diff_keyed(old: list, new: list, old_path: str, new_path: str, out: list) -> None:
    old_index = {item["id"]: index for index, item in enumerate(old)}
    new_ids = {item["id"] for item in new}
    kept_order = _lcs([item["id"] for item in old if item["id"] in new_ids],
                      [item["id"] for item in new if item["id"] in old_index])
    for index, item in enumerate(old):
        if item["id"] not in new_ids:
            out.append({"op": "remove", "path": f"{old_path}/{index}", "old": item})
    for index, item in enumerate(new):
        if item["id"] not in old_index:
            out.append({"op": "add", "path": f"{new_path}/{index}", "value": item})
            continue
        before = old_index[item["id"]]
        if item["id"] not in kept_order:
            out.append({"op": "move", "from": f"{old_path}/{before}", "path": f"{new_path}/{index}"})
        _diff(old[before], item, f"{old_path}/{before}", f"{new_path}/{index}", out)


def _step_id(value) -> Optional[str]:
    return value.get("id") if isinstance(value, dict) and "type" in value and isinstance(value.get("id"), str) else None


def document_diff(old: dict, new: dict) -> list[dict]:
    """The changes from `old` to `new`, in document order, deterministic:

        {"op": "add", "path": <in new>, "value": ...}
        {"op": "remove", "path": <in old>, "old": ...}
        {"op": "replace", "path": <in new>, "old": ..., "value": ...}
        {"op": "move", "from": <in old>, "path": <in new>}   followed by the moved item's own changes

    Lists of objects with ids (steps, diversions) are compared by id: a step that changed place shows as
    a move (only the steps that left the common order, not every step after an insertion), also into
    another branch, and then what changed inside it. `from`, as in JSON Patch (RFC 6902), is a pointer;
    the result is for reading, not for applying as a patch (paths name places in either document)."""
    changes: list[dict] = []
    _diff(old, new, "", "", changes)
    # A step removed from one list and added to another is a move between branches.
    while True:
        removed = {(_step_id(c["old"])): n for n, c in enumerate(changes) if c["op"] == "remove" and _step_id(c["old"])}
        pair = next(((removed[_step_id(c["value"])], n) for n, c in enumerate(changes)
                     if c["op"] == "add" and _step_id(c["value"]) in removed), None)
        if pair is None:
            return changes
        gone, came = changes[pair[0]], changes[pair[1]]
        inner: list[dict] = [{"op": "move", "from": gone["path"], "path": came["path"]}]
        _diff(gone["old"], came["value"], gone["path"], came["path"], inner)
        changes[pair[1]:pair[1] + 1] = inner
        del changes[pair[0]]
