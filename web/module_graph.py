"""Every module a page's script imports, however deep, so the page's head can ask for all of them at once
(<link rel="modulepreload">). Without it the browser finds them level by level, one round trip per level
of imports (the canvas: three, ~40 ms before its first line runs, bench/canvas.py).

Only static imports count (`import ... from "./x.js"`, `export ... from "./x.js"`, `import "./x.js"`):
a dynamic import() is loaded when it is wanted, on purpose. Files are read again when they change (their
modification time), so an edit shows at once, as the pages do."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

# `import {a} from "./x.js"`, `import * as M from "../x.js"`, `export {a} from "./x.js"`, `import "./x.js"`;
# a statement may span lines. Relative specifiers only: the portal's modules import nothing else.
_STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;'"`]*?["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)

_cache: dict[Path, tuple[int, tuple[str, ...]]] = {}


def _imports(root: Path, name: str) -> tuple[str, ...]:
    """The modules `name` (a path under `root`) imports directly, as paths under `root`."""
    file = root / name
    try:
        stamp = file.stat().st_mtime_ns
    except FileNotFoundError:
        return ()
    cached = _cache.get(file)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    here = posixpath.dirname(name)
    found = []
    for specifier in _STATIC_IMPORT.findall(file.read_text(encoding="utf-8")):
        target = posixpath.normpath(posixpath.join(here, specifier))
        if not target.startswith("../") and target not in found:
            found.append(target)
    _cache[file] = (stamp, tuple(found))
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
