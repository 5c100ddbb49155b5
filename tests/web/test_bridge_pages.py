"""The pages on the bridge's data (/live, /calls, /integrations) without a browser: every text key they
use exists in English and Dutch, their own catalogue (web/i18n/portal_calls.json) is complete in both,
they are served with the strict headers and without inline code, and the portal nav links to them only
for the roles that may use them (web/permissions.py)."""

from __future__ import annotations

import json
import re

from web import i18n, pages
from web.permissions import PERMISSIONS
from web.settings import REPO_ROOT
from tests.web.helpers import menu_entries, page_policy_of, used_i18n_keys

STATIC = REPO_ROOT / "static"
PAGES = {"/live": "live.html", "/calls": "calls.html", "/integrations": "integrations.html", "/agent": "agent.html"}
SOURCES = [STATIC / "pages" / name for name in PAGES.values()] + [
    STATIC / "js" / name for name in ("live.js", "calls.js", "integrations.js", "portal.js", "agent.js", "dial.js")]

# keys the scripts build at run time: prefix -> the values they are built from
FAMILIES = {
    "ui.livepage.status.": {"available", "on_break", "logged_out"},
    "ui.livepage.health.": {"connected", "disconnected", "down"},
    "ui.livepage.call_state.": {"ringing", "answered", "queued", "other"},
    "ui.livepage.agent_states.": {"waiting", "receiving", "in_a_queue_call", "idle", "reserved", "other"},
    "ui.calls.dir.": {"inbound", "outbound", "internal", "unknown"},
    "ui.calls.type.": {"internal", "national", "mobile", "international", "premium_rate", "emergency", "unknown"},
    "ui.calls.blocked_by.": {"company", "user"},  # who blocked the call (callplan.blocking: cp_blocked)
    "ui.faxes.status.": {"queued", "sending", "received", "sent", "failed"},  # a fax call's (web/models/fax.py)
    "ui.recordings.reason.": {"user", "queue", "step", "demand"},  # why a call was recorded (web/models/recording.py)
    "ui.integrations.event.": {"missed_call", "voicemail", "call_ended", "agent_status", "test"},
    "ui.integrations.state.": {"pending", "delivered", "failed"},
    "ui.integrations.channels.": {"webhook", "email"},
    # the agent panel (#15 item 3)
    "ui.agentpanel.call_state.": {"ringing", "answered", "queued"},
    "ui.agentpanel.direction.": {"inbound", "outbound"},
    "ui.agentpanel.stat.": {"answered", "missed", "talk_time", "average_handling", "break_time"},
    "ui.agentpanel.qcol.": {"agent", "status", "answered", "missed", "talk_time", "average_handling", "break_time"},
}


def used_keys() -> tuple[set[str], set[str]]:
    return used_i18n_keys(SOURCES)


def test_every_key_the_pages_use_exists_in_english_and_dutch():
    catalogue = i18n.catalogue()
    literal, prefixes = used_keys()
    assert len(literal) > 150  # the scan finds the pages' keys at all
    unknown = prefixes - set(FAMILIES)
    assert not unknown, f"keys built from {sorted(unknown)}: add their values to FAMILIES"
    wanted = literal | {prefix + value for prefix in prefixes for value in FAMILIES[prefix]}
    for lang in ("en", "nl"):
        missing = sorted(key for key in wanted if key not in catalogue[lang])
        assert not missing, f"{lang}: {missing}"


def test_the_catalogue_is_its_own_file_with_both_languages_alike():
    own = json.loads((REPO_ROOT / "web" / "i18n" / "portal_calls.json").read_text())
    assert set(own) == {"en", "nl"}
    assert set(own["en"]) == set(own["nl"])
    for key, text in own["en"].items():
        assert key.startswith("ui."), key
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", own["nl"][key])), key
        assert text.strip() and own["nl"][key].strip(), key


def test_pages_are_served_with_strict_headers_and_no_inline_code(client):
    for path, name in PAGES.items():
        assert pages.PAGES[path].markup == name
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == page_policy_of(response.text)
        html = response.text
        assert "<script>" not in html and "style=" not in html and " on" + "click=" not in html
        assert re.findall(r'<script type="module" src="(/static/js/[a-z/]+\.js)\?v=[0-9a-f]{16}"></script>', html)
    for path in SOURCES:
        if path.suffix == ".js":
            text = path.read_text()
            assert "innerHTML" not in text and "insertAdjacentHTML" not in text, f"{path.name}: texts go in as text"


def nav_entries() -> dict[str, set | None]:
    """The portal menu: link -> the roles it is shown to (None: all)."""
    return {entry["href"]: entry["roles"] for entry in menu_entries()}


def test_nav_links_only_for_the_roles_that_may_use_them():
    entries = nav_entries()
    assert {"/", "/plans", "/live", "/calls", "/integrations", "/account/security"} <= set(entries)
    for path, permission in {"/plans": "pbx.manage", "/live": "live.read", "/calls": "calls.read",
                             "/integrations": "pbx.manage"}.items():
        if path == "/live":  # the operator's blocked addresses and bridge health are on it too
            assert entries[path] == PERMISSIONS[permission] | {"operator"}
        else:
            assert entries[path] == PERMISSIONS[permission], path
    assert entries["/"] is None and entries["/account/security"] is None
