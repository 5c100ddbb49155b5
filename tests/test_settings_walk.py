"""Every setting the API accepts is read by the switch side, or is said to be display-only (#16 item 5).

The walk takes every field of every model a route of the API validates a request body with (the Create /
Update models and the models nested in them, found through the route table as the OpenAPI document is:
tests.validators.api_models). The Public models answer with those same fields plus what the app derives
(ids, counts, `used_by`), which nobody sets, so the request bodies are the settings.

A field passes when its name is read by the code that makes FreeSWITCH do something: the dialplan
compiler (callplan/), the mod_xml_curl answers (web/xml_curl/: dialplan, directory, configuration), the
phones' provisioning (web/provisioning/), the bridge (fs_bridge/) and the web/domain modules those import,
plus web/domain/fallback.py (it writes FreeSWITCH's static fallback dialplan). "Read" is found with `ast`:
an attribute loaded (`user.withhold_caller_id`), a subscript key (`vm["announce_only"]`), or a string
argument of a call (`vm.get("announce_only")`, `getattr(user, "caller_id_mode")`, `_field(period, "from_day")`).
web/domain/callplan_snapshot.py is left out: it copies rows into callplan.objects, and a copy is no use.
Names built at run time (f-strings) are listed in DYNAMIC with the fragment that builds them, and the
fragment is checked to be in that file.

Otherwise the field must be listed: DISPLAY_ONLY (names, notes, labels, portal behaviour, actions of the
portal, each with its reason), or KNOWN_STORED_ONLY (accepted and stored, but nothing on the switch does
what it says yet: #16 item 1). A new field that is neither read nor listed fails the test, so a new
stored-only setting cannot appear unnoticed. The lists must not go stale either: every entry names a field
that exists, and a DISPLAY_ONLY field that the switch side starts reading is to be taken off the list."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
CONSUMERS = ("callplan", "web/xml_curl", "web/provisioning", "fs_bridge")
EXTRA = ("web/domain/fallback.py",)  # writes the static dialplan FreeSWITCH uses when the app does not answer
CONDUITS = ("web/domain/callplan_snapshot.py",)  # copies every row into callplan.objects: a copy is not a use
# mail (and the statements' PDFs) the bridge makes on a timer (its heartbeat hosts the check): what those
# read is for people, not the switch
MAIL_ONLY = ("web/domain/report_mail.py", "web/domain/statements.py", "web/domain/statement_pdf.py")

# field names built at run time: field -> (file, the fragment that builds it)
DYNAMIC = {
    "VoicemailBehaviour.busy_greeting_audio_id": ("callplan/base_dialplan.py", 'vm.get(f"{greeting}_greeting_audio_id")'),
    "VoicemailBehaviour.unavailable_greeting_audio_id": ("callplan/base_dialplan.py", 'vm.get(f"{greeting}_greeting_audio_id")'),
    "Company.block_premium_0900": ("callplan/outbound.py", 'getattr(company, f"block_premium_{name}"'),
    "Company.block_premium_0906": ("callplan/outbound.py", 'getattr(company, f"block_premium_{name}"'),
    "Company.block_premium_0909": ("callplan/outbound.py", 'getattr(company, f"block_premium_{name}"'),
    "Company.block_premium_090x": ("callplan/outbound.py", 'getattr(company, f"block_premium_{name}"'),
    # a forwarding's case is the key of the rule the dialplan compiles ("busy", "no_answer", "unregistered")
    "Forwarding.busy": ("callplan/base_dialplan.py", '"unregistered": ("no_answer", "busy_or_no_answer")'),
    "Forwarding.unregistered": ("callplan/base_dialplan.py", '"unregistered": ("no_answer", "busy_or_no_answer")'),
    # read under another name: the company's name is the tenant's, CompanyInfo.name in the dialplan (the
    # caller ID name of calls out with show_company_name)
    "Company.company_name": ("callplan/base_dialplan.py", "literal(company.name)"),
}

# Not for the switch: what people read (names, notes, labels), mail, the portal's own behaviour, one-off actions.
# (SchedulePreview.holiday_schedule_id, the schedule screen's preview, is such an action too, but its name is
# read: IVR menus' out-of-hours variants have a field of that name, so it cannot be listed here.)
DISPLAY_ONLY = {
    "PasswordChange.current_password": "a portal login's password change (checked, never stored as a setting)",
    "PasswordChange.new_password": "a portal login's password",
    "ResetConfirm.token": "the one-time token of a password reset mail",
    "ResetConfirm.new_password": "a portal login's password",
    "SecondFactorRequest.recovery_code": "portal login: a two-factor recovery code",
    "PrimaryChoice.factor": "portal login: which second factor is asked first",
    "PublishRequest.note": "a call plan version's note, shown in its history",
    "SimulateRequest.caller": "the simulator's pretend caller: an action, nothing stored",
    "ImportRequest.csv": "a phonebook import's file: its rows become contacts (those are walked)",
    "NumberRange.last": "adding a range of numbers: the end of the range, each number is stored on its own",
    "TenantSettings.require_2fa": "portal login: two-factor required for everyone",
    "Tenant.require_2fa": "portal login: two-factor required for everyone",
    "Tenant.admin_email": "the first admin's portal login, mailed an invitation",
    "Tenant.admin_first_name": "the first admin's name, shown in the portal",
    "Tenant.admin_last_name": "the first admin's name, shown in the portal",
    "Account.role": "portal permissions of a login",
    "Account.send_welcome": "whether the invitation mail is sent: an action",
    "PortalAccountRequest.role": "portal permissions of the user's login",
    "PortalAccountRequest.send_welcome": "whether the invitation mail is sent: an action",
    "ApiToken.expires_in_days": "the portal API token's lifetime",
    "Company.agent_logout_with_portal": "read at portal logout by web/api/agents.py, which then logs the agent out of its queues",
    "Device.model": "the phone's model, shown; provisioning follows the brand the phone asks with",
    "VerifiedCallerId.note": "a note beside a verified caller ID, shown",
    "Contact.note": "a phonebook contact's note, shown",
    "MessageChange.heard": "an action on a voicemail message: sent to mod_voicemail at once (vm_read), no setting",
    "VoicemailBox.readers": "portal permission: who may listen to the box's messages on /messages (through mod_voicemail's API)",
    "CallStatus.default_for": "the agent panel: which call status is preselected for a call's direction",
    "CallStatus.asks_callback": "the agent panel: choosing the status suggests a time to call back",
    "Company.agent_tiles_by_department": "the agent panel: which colleagues' tiles an agent sees",
    "Company.recordings_for_reports": "portal permission: the reports role may hear the call recordings",
    "ReportMailUpdate.usage_limit": "report mail: the month's cost that mails the usage alert (tests/web/test_report_mail.py)",
    "ReportMailUpdate.subscriptions": "report mail: who gets which mail (tests/web/test_report_mail.py)",
    "OutcomeRequest.status_id": "the agent's word on a finished call, stored on its record and shown",
    "OutcomeRequest.note": "the agent's note on a finished call, shown",
    "OutcomeRequest.callback_at": "a call-back task in the agent's list",
    "TransferRequest.attended": "an action on a live call, sent to FreeSWITCH at once by web/domain/agent_calls.py "
                                "(att_xfer or uuid_transfer: tests/web/test_agent_panel_api.py)",
    "TransferRequest.queue_id": "an action on a live call: where uuid_transfer sends it (web/domain/agent_calls.py)",
    "HoldRequest.on": "an action on a live call, sent to FreeSWITCH at once as uuid_hold by web/domain/agent_calls.py",
    "PhonebookContact.note": "a phonebook contact's note, shown (the company book's shape: it adds `blocked`)",
}

# Accepted and stored, but not (or only partly) doing on the switch what the portal says: #16 item 1.
KNOWN_STORED_ONLY: dict[str, str] = {
    # none left: each of #16 item 1's is made real (README's settings table names the tests). A field read
    # by the switch side under the same name for something else, or only in part, goes here to be honest.
}


def kind(model: type[BaseModel]) -> str:
    """PbxUserCreate and PbxUserUpdate are both PbxUser: one entry in the lists covers both."""
    name = model.__name__
    for suffix in ("Create", "Update"):
        if name.endswith(suffix) and name != suffix:
            return name[: -len(suffix)]
    return name


def _domain_imports(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("web.domain"):
            if node.module == "web.domain":
                found.update(f"web/domain/{alias.name}.py" for alias in node.names)
            else:
                found.add(node.module.replace(".", "/") + ".py")
    return found


def read_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            names.add(node.attr)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            names.add(node.slice.value)
        elif isinstance(node, ast.Call):
            names.update(arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return names


@lru_cache(maxsize=1)
def switch_side() -> tuple[tuple[str, ...], frozenset[str]]:
    """(the files scanned, the names they read)."""
    files = {path.relative_to(ROOT).as_posix() for package in CONSUMERS for path in (ROOT / package).rglob("*.py")}
    trees = {name: ast.parse((ROOT / name).read_text(), name) for name in files}
    domain = set(EXTRA)
    for tree in list(trees.values()):
        domain |= _domain_imports(tree)
    for name in domain - set(CONDUITS) - set(MAIL_ONLY):
        if (ROOT / name).is_file():
            trees[name] = ast.parse((ROOT / name).read_text(), name)
    names = frozenset().union(*(read_names(tree) for tree in trees.values()))
    return tuple(sorted(trees)), names


@lru_cache(maxsize=1)
def setting_fields() -> tuple[tuple[str, str, str], ...]:
    """(key for the lists, the model's own name, field) of every field of every API request body model."""
    from tests.validators import api_models
    from web.app import api_routes

    found = set()
    for model in api_models(api_routes()):
        for field in model.model_fields:
            found.add((f"{kind(model)}.{field}", model.__name__, field))
    return tuple(sorted(found))


def _listed(key: str, model_name: str, field: str, table: dict) -> bool:
    return key in table or f"{model_name}.{field}" in table


def unaccounted(fields, names) -> list[str]:
    return [f"{model_name}.{field}" for key, model_name, field in fields
            if field not in names and not any(_listed(key, model_name, field, t) for t in (DYNAMIC, DISPLAY_ONLY, KNOWN_STORED_ONLY))]


def test_the_walk_sees_the_settings_and_the_switch_side():
    files, names = switch_side()
    assert any(f.startswith("web/xml_curl/directory") for f in files) and "web/domain/fallback.py" in files
    assert "web/domain/callplan_snapshot.py" not in files
    fields = setting_fields()
    assert len(fields) > 150
    keys = {key for key, _, _ in fields}
    # settings the switch reads, found as read
    for key, expected in (("PbxUser.withhold_caller_id", "withhold_caller_id"), ("VoicemailBehaviour.announce_only", "announce_only")):
        assert key in keys and expected in names, key


def test_a_new_stored_only_field_is_caught():
    """What the walk exists for: a field nothing on the switch reads, listed nowhere, fails."""
    _, names = switch_side()
    fake = (("PbxUser.ring_in_purple", "PbxUserUpdate", "ring_in_purple"),)
    assert unaccounted(fake, names) == ["PbxUserUpdate.ring_in_purple"]
    # a listed one passes, and so does one the switch side reads
    assert unaccounted((("PbxUser.hot_desking", "PbxUserUpdate", "hot_desking"),), names) == []
    assert unaccounted((("PbxUser.withhold_caller_id", "PbxUserUpdate", "withhold_caller_id"),), names) == []
    # and the scan tells a read from a definition: a name only assigned to is not read
    assert "ring_in_purple" not in read_names(ast.parse("class A:\n    ring_in_purple: bool = True\nx = dict(ring_in_purple=1)\n"))
    assert "ring_in_purple" in read_names(ast.parse("vm.get('ring_in_purple')"))


def test_every_setting_is_read_by_the_switch_or_listed():
    _, names = switch_side()
    missing = unaccounted(setting_fields(), names)
    assert not missing, (
        "accepted by the API but read by neither the dialplan, the directory, the provisioning nor the bridge: "
        f"{missing}. Make it do something on the switch, or list it in DISPLAY_ONLY (with the reason) or, "
        "if it is a setting the switch should honour and does not yet, in KNOWN_STORED_ONLY with its issue")


@pytest.mark.parametrize("table", ["DYNAMIC", "DISPLAY_ONLY", "KNOWN_STORED_ONLY"])
def test_the_lists_name_fields_that_exist(table):
    known = {key for key, _, _ in setting_fields()} | {f"{m}.{f}" for _, m, f in setting_fields()}
    stale = [key for key in globals()[table] if key not in known]
    assert not stale, f"{table} names fields no API model has (any more): {stale}"


def test_display_only_fields_are_not_read_by_the_switch():
    """A display-only field the switch side starts reading is no longer display-only: take it off the list."""
    _, names = switch_side()
    read = [key for key in DISPLAY_ONLY if key.split(".", 1)[1] in names]
    assert not read, f"listed as display-only but read by the switch side: {read}"


def test_dynamic_names_are_built_where_said():
    for key, (path, fragment) in DYNAMIC.items():
        assert fragment in (ROOT / path).read_text(), f"{key}: {path} no longer holds {fragment!r}"


def test_known_stored_only_cite_the_issue():
    assert all("#16" in reason for reason in KNOWN_STORED_ONLY.values())


# --- the README's table of settings (#16 item 5) -------------------------------------------------------------

README_NAME = {"AfterHours": "after_hours"}  # a nested model's fields are said by the field holding it


def settings_table() -> list[str]:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Settings and what they do on the switch")
    end = text.index("\n## ", start + 1)
    return [line for line in text[start:end].splitlines() if line.startswith("| ") and not line.startswith("| ---")][1:]


def test_readme_table_names_tests_that_exist():
    checked = 0
    for row in settings_table():
        current = None
        for token in re.findall(r"`([^`]+)`", row):
            found = re.fullmatch(r"([\w/]+\.py)?(?:::(\w+))?", token)
            if not found or not any(found.groups()):
                continue
            path, name = found.groups()
            if path:
                current = ROOT / "tests" / path if (ROOT / "tests" / path).is_file() else ROOT / path
                assert current.is_file(), f"README settings table: {path} does not exist ({row[:60]})"
            if name:
                assert current is not None, row
                assert re.search(rf"^(async )?def {name}\(", current.read_text(), re.M), f"README: {current.name} has no {name}"
                checked += 1
    assert checked > 40


def test_readme_marks_the_known_stored_only_settings():
    rows = [row for row in settings_table() if "**stored only**" in row]
    assert bool(rows) == bool(KNOWN_STORED_ONLY), rows  # and a setting made real loses its mark
    for key in KNOWN_STORED_ONLY:
        model, field = key.split(".", 1)
        name = README_NAME.get(model, field)
        assert any(f"`{name}`" in row for row in rows), f"README's settings table does not mark {key} as stored only"
