"""For tests that start the app or the bridge as processes of their own (`python -m web`, `python -m
fs_bridge`): an environment that keeps them to the test's own files and ports, and their output read as
it comes, so a test waits for a line instead of sleeping."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from tests.conftest import free_port

# How long a process a test starts (a bridge, the app) may take to get going, or to come back, on a
# loaded machine: a limit on waiting for it, never a sleep, so a quick start costs nothing.
STARTUP_SECONDS = 180  # waits for output, not a measure: a loaded machine starts slowly


def own_env(folder: Path) -> dict[str, str]:
    """CALLPLAN_* settings for a process a test starts: its files under `folder` and free ports, never the
    repository's var/ nor the fixed ports (8021, 8025) that a developer's running `make run`, or another
    test running beside this one, holds. Nothing answers on the event socket port."""
    return {
        "CALLPLAN_AUDIO_DIR": str(folder / "audio"),
        "CALLPLAN_FALLBACK_DIALPLAN": str(folder / "fallback_dialplan.xml"),
        "CALLPLAN_VOICEMAIL_DIR": str(folder / "voicemail"),
        "CALLPLAN_CDR_SPOOL_DIR": str(folder / "cdr-spool"),
        "CALLPLAN_FAX_DIR": str(folder / "fax"),
        "CALLPLAN_RECORDINGS_DIR": str(folder / "recordings"),
        "CALLPLAN_ESL_PORT": str(free_port()),
        "CALLPLAN_BRIDGE_FEED_PORT": str(free_port()),
    }


class OutputWatch:
    """A process's output (stdout, text mode) read line by line by a thread as it comes."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self._lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def text(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for(self, text: str, timeout: float = STARTUP_SECONDS) -> bool:
        """True once a line holding `text` has come; False when the output ends or `timeout` seconds pass
        without one."""

        def found() -> bool:
            return any(text in line for line in self._lines)

        with self._changed:
            self._changed.wait_for(lambda: self._ended or found(), timeout)
            return found()

    def rest(self, timeout: float = 20) -> str:
        """Everything, once the process has ended and its output is read to the end."""
        self.process.wait(timeout=timeout)
        self._thread.join(timeout)
        return self.text()
