"""The bridge's statement drawer: web.domain.statement_drawing's child process, spoken to through
gevent.subprocess, whose pipes wait cooperatively (monkey-patched or not), so the job's greenlet waits for
the PDF while FreeSWITCH's events are handled (#17 item 6)."""

from __future__ import annotations

import gevent.subprocess

from web.domain import statement_drawing
from web.domain.statement_drawing import DrawingFailed

__all__ = ["Drawer", "DrawingFailed"]


class Drawer(statement_drawing.Drawer):
    def __init__(self):
        super().__init__(popen=gevent.subprocess.Popen)
