"""Every module a page's script imports, however deep, so the page's head can ask for all of them at once
(<link rel="modulepreload">). Without it the browser finds them level by level, one round trip per level
of imports (the canvas: three, ~40 ms before its first line runs, bench/canvas.py).

Only static imports count (`import ... from "./x.js"`, `export ... from "./x.js"`, `import "./x.js"`):
a dynamic import() is loaded when it is wanted, on purpose (the canvas's side sheet: four modules fewer
before its first paint). lazy_imports() names those (a literal import("./x.js") and what it imports), for
the page's import map: loaded by their versioned address when wanted, kept by the browser like the rest.
Files are read again when they change (their modification time), so an edit shows at once, as the pages do."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

# `import {a} from "./x.js"`, `import * as M from "../x.js"`, `export {a} from "./x.js"`, `import "./x.js"`;
# a statement may span lines. Relative specifiers only: the portal's modules import nothing else.
_STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;'"`]*?["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)

# `import("./x.js")`: a dynamic import of a literal address (one built at run time is not followed)
_DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["'](\.{1,2}/[^"'`$]+)["']\s*\)""")

_cache: dict[tuple[Path, bool], tuple[int, tuple[str, ...]]] = {}


def _imports(root: Path, name: str, dynamic: bool = False) -> tuple[str, ...]:
    """The modules `name` (a path under `root`) imports directly (`dynamic`: with a literal import()), as
    paths under `root`."""
    file = root / name
    try:
        stamp = file.stat().st_mtime_ns
    except FileNotFoundError:
        return ()
    cached = _cache.get((file, dynamic))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    here = posixpath.dirname(name)
    found = []
    for specifier in (_DYNAMIC_IMPORT if dynamic else _STATIC_IMPORT).findall(file.read_text(encoding="utf-8")):
        target = posixpath.normpath(posixpath.join(here, specifier))
        if not target.startswith("../") and target not in found:
            found.append(target)
    _cache[(file, dynamic)] = (stamp, tuple(found))
    return tuple(found)


def static_imports(root: Path, entry: str) -> list[str]:
    """Every module `entry` imports, directly or through others, breadth first (the nearest first), without
    `entry` itself; paths under `root` (e.g. static/js), as "canvas/model.js"."""
    seen, order, queue = {entry}, [], [entry]
    while queue:
        for target in _imports(root, queue.pop(0)):
            if target not in seen:
                seen.add(target)
                order.append(target)
                queue.append(target)
    return order


def lazy_imports(root: Path, entry: str) -> list[str]:
    """The modules a literal import("./x.js") in `entry`'s graph loads when wanted, and every module they
    import (directly, or lazily in turn), that `entry` does not import statically; paths under `root`, of
    files that are there."""
    eager = [entry, *static_imports(root, entry)]
    seen, order, queue = set(eager), [], list(eager)
    while queue:
        for target in _imports(root, queue.pop(0), dynamic=True):
            for name in (target, *static_imports(root, target)):
                if name not in seen and (root / name).is_file():
                    seen.add(name)
                    order.append(name)
                    queue.append(name)
    return order
