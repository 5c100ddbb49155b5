"""web/side_effects.py: what a watched run notes, and that every module reaching outside the database
notes it (the API's router runs a handler again after a deadlock only while nothing was noted)."""

from __future__ import annotations

import re
from pathlib import Path

from web import side_effects

WEB = Path(__file__).resolve().parents[2] / "web"

# files, sockets, mail, HTTP, other processes, threads that outlive the call
REACHES_OUT = re.compile(
    r"smtplib|socket\.create_connection|socket\.socket\(|os\.replace|\.unlink\(|os\.unlink|os\.remove|"
    r"shutil\.(rmtree|move|copy)|open\([^)]*['\"][wax]b?['\"]|write_bytes|write_text|httpx\.|from_thread\.run|"
    r"subprocess\.|ThreadPoolExecutor|threading\.Thread\(|\.rename\(")

# Modules that reach outside without noting it, and why that is right.
KNOWN = {
    "__main__.py": "`make run`'s launcher: no request",
    "settings.py": "writes the installation's secret at start-up",
    "tts.py": "speaks into work files, removed on failure; installing them is noted (audio, prompts)",
    "domain/statement_drawing.py": "draws through a pipe to a child process: nothing outside changes",
    "domain/call_records.py": "the CDR spool, the bridge's collector (no request)",
    "xml_curl/cdr.py": "FreeSWITCH's CDR posts, not an API route",
    "api/routing.py": "the directory flush it starts runs after the commit",
    "api/agents.py": "its thread is started after the commit (ctx.after_commit)",
    "api/blocked_addresses.py": "its thread is started after the commit (ctx.after_commit)",
    "api/company.py": "its reload thread follows fallback.write, which notes the file",
    "api/audio.py": "names anyio.from_thread.run in its docstring; reads through uploads.form",
    "xml_curl/cache.py": "its thread collects and freezes the process's own objects: nothing outside changes",
}


def test_every_module_that_reaches_outside_notes_it_or_is_known():
    unknown = []
    for path in sorted(WEB.rglob("*.py")):
        name = path.relative_to(WEB).as_posix()
        text = path.read_text()
        if REACHES_OUT.search(text) and "side_effects.happened(" not in text and name not in KNOWN:
            unknown.append(name)
    assert unknown == [], ("these modules reach outside the database: note it with side_effects.happened "
                           "(or say in KNOWN why not)", unknown)
    stale = [name for name in KNOWN if not REACHES_OUT.search((WEB / name).read_text())]
    assert stale == []


def test_a_watched_run_collects_what_happened_and_nothing_leaks_outside_it():
    side_effects.happened("before")  # not watched: nothing to note it in, and no error
    with side_effects.watch() as seen:
        side_effects.happened("sent mail")
        with side_effects.watch() as inner:
            side_effects.happened("told FreeSWITCH")
        side_effects.happened("wrote a file")
    side_effects.happened("after")
    assert seen == ["sent mail", "wrote a file"]
    assert inner == ["told FreeSWITCH"]


def test_a_commit_inside_a_watched_run_is_noted(app, db):
    with side_effects.watch() as seen:
        with db():
            pass
    assert seen == ["committed part of its work"]
