"""How long a browser may keep what the portal sends it before its first drawing: scripts, styles, the
call-plan schema and the page texts.

An address with a version (?v= a hash of the content, as the pages name them) names one content for ever:
the browser keeps it and asks nothing on the next page (the canvas: ~20 revalidations fewer before its
first line runs, each a turn of the one server thread; bench/canvas.py). Any other address, or an old
version (a page from before an update, answered with today's file), is revalidated on every load (ETag:
a 304), so a browser never runs old scripts against new pages."""

from __future__ import annotations

import hashlib
from pathlib import Path

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATED = "no-cache"

_versions: dict[Path, tuple[tuple[int, int], str]] = {}


def file_version(file: Path) -> str | None:
    """A short hash of the file's bytes (None: no such file). Read again when the file changes (its
    modification time or size), so an edit shows at once, as the pages do."""
    try:
        stat = file.stat()
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _versions.get(file)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    version = hashlib.sha256(file.read_bytes()).hexdigest()[:16]
    _versions[file] = (stamp, version)
    return version


def cache_control(version_asked: str | None, version: str | None) -> str:
    """Kept for good only when the address names the content's current version."""
    return IMMUTABLE if version_asked and version_asked == version else REVALIDATED
