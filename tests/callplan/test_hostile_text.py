"""Hostile text through every text field the plan models have and every object field the engine sees:
either pydantic refuses the value, or the compiled XML is well formed, carries no control characters
(nor U+2028/9 or bidi overrides),
passes no FreeSWITCH expansion the user typed (`${...}`, `$${...}`) into any action, keeps the
space-separated arguments of transfer / voicemail / play_and_get_digits intact, and keeps every bridge
leg a plain dial string."""

from __future__ import annotations

import copy
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from pydantic import ValidationError

import callplan.nodes  # noqa: F401  (before any CallPlan is validated: see test_registry)
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.objects import TenantObjects
from callplan.simulator import simulate_plan
from tests.callplan import objects_fixture as fx

CORPUS = [
    'Jan "de Man" O\'Brien',
    "<script>alert('x')</script>",
    "R&D & Co; &amp; &#36;{x}",
    "]]>",
    "<![CDATA[x]]>",
    "<!-- x --> <?php ?>",
    "a\x00b",
    "tab\there",
    "line\nbreak",
    "cr\rhere",
    "bell\x07 esc\x1b[31m",
    "del\x7f",
    "next line\x85",
    "csi\x9b",
    "\u202egnp.exe",
    "\u200f\u200e\u2066isolate\u2069",
    "\u2028line separator",
    "😀 👨‍👩‍👧 emoji",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Ωμέγα 中文 العربية",
    "\ufffe\uffff",
    r"^$.|?*+()[]{}\/-",
    "(a+)+$",
    "${system(rm -rf /)}",
    "$${hostname}",
    "${caller_id_name}",
    "$1 \\$2",
    "{fail_on_single_reject=true}[leg_timeout=1]",
    "a|b,c:_:d",
    "%[x=y]",
    "^^:a:b",
    "back\\",
    "x" * 10_000,
    " ",
    "",
]
IDS = [repr(value[:24]) for value in CORPUS]

# The compiler's own expansions: the only `${` the document may carry.
OWN_EXPANSIONS = ("${caller_id_name}", "${cp_digit_invalid}", "${cp_digit}", "${cp_dialled}", "${cp_prefix}",
                  # the receive fax step's file in the shared fax folder, and its ident
                  "${uuid}", "${callplan_fax_dir}", "${cp_fax_file}", "${destination_number}",
                  # the record step's file in the shared recordings folder (callplan/recording.py)
                  "${callplan_recordings_dir}")
ARGUMENTS = {"transfer": {3}, "voicemail": {3}, "play_and_get_digits": {10, 13}}
# a ring group's variables for all its legs: busy ends the group, and its display name as the name shown
PREFIX = re.compile(r"^\{(fail_on_single_reject=USER_BUSY)?,?(origination_caller_id_name=[^,{}\[\]'\"]*)?\}")
LEG = re.compile(r"^(\[(leg_timeout=\d+)?,?(origination_caller_id_number=\+[0-9]+)?\])?(user/[A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+|sofia/gateway/[A-Za-z0-9_.-]+/\+?[0-9]+)$")

# A plan in which every step type is compiled (the time conditions at OPEN take their `then`), so every
# field that reaches the XML does.
EVERYTHING = [
    {"id": "s1", "type": "prefix", "text": "MISSED-Q "},
    {"id": "s2", "type": "announcement", "audio": 1, "label": "welcome"},
    {"id": "s3", "type": "time_condition", "schedule": 1, "holidays": 1, "then": [
        {"id": "s4", "type": "user", "user": 201},
        {"id": "s5", "type": "ring_group", "group": 5},
        {"id": "s6", "type": "queue", "queue": 1, "max_wait_s": 60},
        {"id": "s7", "type": "transfer", "to": {"external": "+32471234567"}, "announce": True},
    ]},
    {"id": "s8", "type": "email", "to": ["info@example.com"]},
    {"id": "s15", "type": "record", "tell_caller": True},
    {"id": "s9", "type": "ivr", "menu": 1,
     "keys": {"5": [{"id": "s10", "type": "voicemail", "box": 1, "greeting": 2}],
              "7": [{"id": "s13", "type": "conference", "room": 1}],
              "8": [{"id": "s14", "type": "receive_fax", "mail_to": ["fax@example.com"], "station_id": "+31 20 123"}]},
     "no_input": [{"id": "s11", "type": "hang_up"}]},
]


def base_plan() -> dict:
    return {"name": "Reception", "numbers": ["+3225805000"], "steps": copy.deepcopy(EVERYTHING),
            "diversions": [{"id": "d1", "name": "Duty mobile", "steps": [{"id": "s12", "type": "hang_up"}]}]}


# What no attribute may carry (#11 item 6): control characters (CR, LF, tab, NUL ...), the line and
# paragraph separators, and the bidi overrides and isolates, which make a name on a phone read backwards.
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI


def problems(document: str) -> list[str]:
    """What is wrong with a compiled document, in words; [] when FreeSWITCH may have it."""
    found = []
    if "$${" in document:
        found.append("$${ reaches FreeSWITCH's preprocessor")
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        return found + [f"not well-formed: {exc}"]
    for element in root.iter():
        for name, value in element.attrib.items():
            controls = sorted({f"U+{ord(c):04X}" for c in value if is_control(c)})
            if controls:
                found.append(f"<{element.tag} {name}> carries control characters {controls}")
    for action in root.iter("action"):
        application, data = action.get("application"), action.get("data")
        rest = data
        for own in OWN_EXPANSIONS:
            if "\\" + own in rest:
                found.append(f"{application} {data[:60]!r}: a backslash escapes the compiler's {own}")
            rest = rest.replace(own, "")
        if "${" in rest:  # a lone $ (a regex's end anchor) is text to FreeSWITCH's expander
            found.append(f"{application} {data[:60]!r}: a ${{ that is not the compiler's own expansion")
        if application in ARGUMENTS and len(data.split(" ")) not in ARGUMENTS[application]:
            found.append(f"{application} {data[:60]!r}: {len(data.split(' '))} space-separated arguments")
        if application == "bridge":
            legs = re.sub(PREFIX, "", data)
            for leg in re.split(r"[|,](?![^\[]*\])", legs):  # separators outside a leg's [variables]
                if not LEG.match(leg):
                    found.append(f"bridge leg {leg[:60]!r} is not a plain dial string")
    return found


def compile_document(plan: CallPlan, objects: TenantObjects) -> str:
    return compile_plan(plan, 1, 3, objects, fx.OPEN).document()


def check(plan_data: dict, objects: TenantObjects | None = None) -> None:
    try:
        plan = CallPlan.model_validate(plan_data)
    except ValidationError:
        return  # refused: fine
    objects = objects or fx.objects()
    assert problems(compile_document(plan, objects)) == []
    simulate_plan(plan, objects, fx.OPEN, caller_name="Alice", keys=["5"])  # must not crash either


def test_the_base_plan_compiles_cleanly_and_reaches_every_step_type():
    plan = CallPlan.model_validate(base_plan())
    assert {step.type for _, step in plan.walk()} == set(callplan.nodes.BY_TYPE)
    document = compile_document(plan, fx.objects())
    assert problems(document) == []
    for application in ("bridge", "callcenter", "playback", "event", "play_and_get_digits", "voicemail", "set", "conference",
                        "record_session"):
        assert f'application="{application}"' in document


def test_the_checker_catches_what_it_should():
    bad = ('<document type="freeswitch/xml"><section name="dialplan"><context name="x"><extension name="e">'
           '<condition field="destination_number" expression="^e$">'
           '<action application="set" data="a=${system(id)}"/>'
           '<action application="set" data="b=x\\${caller_id_name}"/>'
           '<action application="set" data="c=&#10;"/>'
           '<action application="transfer" data="1 2 XML d"/>'
           '<action application="bridge" data="user/1@d,evil"/>'
           '</condition></extension></context></section></document>')
    assert len(problems(bad)) == 5
    anchored = problems(bad.replace("${system(id)}", "^[0-9]$"))  # a regex's $ is not an expansion
    assert len(anchored) == 4 and not any("not the compiler's own" in problem for problem in anchored)
    assert problems("<document>$${x}</document>") == ["$${ reaches FreeSWITCH's preprocessor"]
    assert problems("<document") and "not well-formed" in problems("<document")[0]


# -- plan fields ------------------------------------------------------------------------------------

C1_CONTROLS = ("next line\x85", "csi\x9b")


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
def test_plan_name(value):
    data = base_plan()
    data["name"] = value
    check(data)


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
def test_diversion_name(value):
    data = base_plan()
    data["diversions"][0]["name"] = value
    check(data)


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
def test_label_of_every_step(value):
    data = base_plan()

    def label(steps):
        for step in steps:
            step["label"] = value
            for key in ("then", "else", "no_input", "invalid"):
                label(step.get(key, []))
            for branch in step.get("keys", {}).values():
                label(branch)

    label(data["steps"])
    label(data["diversions"][0]["steps"])
    check(data)


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
def test_prefix_text(value):
    data = base_plan()
    data["steps"][0]["text"] = value
    check(data)


def test_a_prefix_keeps_its_text_but_not_its_expansions():
    data = base_plan()
    data["steps"][0]["text"] = "${system(id)} <VIP> & $${x}"
    plan = CallPlan.model_validate(data)
    root = ET.fromstring(compile_document(plan, fx.objects()))
    data_of = [a.get("data") for a in root.iter("action")]
    assert "cp_prefix=(system(id)) <VIP> & (x)${cp_prefix}" in data_of
    # the caller's own name is expanded once only: the core's expansion is off around the prefix
    index = data_of.index("effective_caller_id_name=${cp_prefix}${caller_id_name}")
    assert data_of[index - 2] == "app_disable_expand_variables=true" and data_of[index + 1] == "app_disable_expand_variables"


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
@pytest.mark.parametrize("shape", ["{}", "{}@example.com", "x@{}.com", "x{}y@example.com"])
def test_email_address(value, shape):
    data = base_plan()
    data["steps"][3]["to"] = [shape.format(value)]
    check(data)


def test_email_addresses_never_reach_the_dialplan():
    data = base_plan()
    data["steps"][3]["to"] = ["secret.person@example.com"]
    assert "secret.person" not in compile_document(CallPlan.model_validate(data), fx.objects())


PATTERNED = {
    "step id": lambda data, value: data["steps"][1].update(id=value),
    "diversion id": lambda data, value: data["diversions"][0].update(id=value),
    "diversion category": lambda data, value: data["diversions"][0].update(category=value),
    "plan number": lambda data, value: data.update(numbers=[value]),
    "transfer extension": lambda data, value: data["steps"][2]["then"][3].update(to={"extension": value}),
    "transfer external": lambda data, value: data["steps"][2]["then"][3].update(to={"external": value}),
    "ivr key": lambda data, value: data["steps"][4].update(keys={value: [{"id": "s30", "type": "hang_up"}]}),
}


@pytest.mark.parametrize("value", CORPUS + ["s1\n", "+3225805000\n", "200\n", "#\n"], ids=IDS + ["id+LF", "e164+LF", "ext+LF", "key+LF"])
@pytest.mark.parametrize("field", sorted(PATTERNED))
def test_fields_with_a_pattern(field, value):
    data = base_plan()
    PATTERNED[field](data, value)
    check(data)


# -- object fields ------------------------------------------------------------------------------------

NAMES = [
    ("users", 201, "name"), ("ring_groups", 5, "name"), ("ring_groups", 5, "display_name"), ("queues", 1, "name"),
    ("ivr_menus", 1, "name"), ("voicemail_boxes", 1, "name"), ("schedules", 1, "name"), ("holidays", 1, "name"),
    ("audio", 1, "name"), ("plans", 2, "name"),
]
# Object fields the engine writes into actions (bridge legs, transfer and voicemail arguments).
WRITTEN = [("users", 201, "extension"), ("devices", 12, "sip_username"), ("ring_groups", 1, "extension"),
           ("voicemail_boxes", 1, "extension")]


def with_object_field(table: str, ident: int, field: str, value) -> TenantObjects:
    tables = {"users": fx.USERS, "ring_groups": fx.RING_GROUPS, "queues": fx.QUEUES, "ivr_menus": fx.IVR_MENUS,
              "voicemail_boxes": fx.VOICEMAIL_BOXES, "schedules": fx.SCHEDULES, "holidays": fx.HOLIDAYS,
              "audio": fx.AUDIO, "plans": fx.PLANS, "devices": fx.DEVICES}
    rows = {key: dict(row) for key, row in tables[table].items()}
    rows[ident][field] = value
    return fx.objects(**{table: rows})


def plan_ringing_everything() -> dict:
    plan = base_plan()
    # ring group 1 rings user 201 and device 12; IVR key 1 transfers to ring group 1's extension
    plan["steps"].insert(0, {"id": "s20", "type": "ring_group", "group": 1})
    return plan


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
@pytest.mark.parametrize("table,ident,field", NAMES, ids=[f"{t}.{f}" for t, _, f in NAMES])
def test_object_names(table, ident, field, value):
    check(plan_ringing_everything(), with_object_field(table, ident, field, value))


def corpus_failures(make_objects) -> list:
    """Every corpus value the objects accept and the engine turns into a bad document (or a crash)."""
    failures = []
    for value in CORPUS:
        try:
            objects = make_objects(value)
        except ValidationError:
            continue
        plan = CallPlan.model_validate(plan_ringing_everything())
        try:
            found = problems(compile_document(plan, objects))
        except Exception as exc:  # noqa: BLE001 (any crash is a finding)
            found = [f"compile raised {type(exc).__name__}: {exc}"]
        if found:
            failures.append((value[:30], found[:2]))
    return failures


@pytest.mark.parametrize("table,ident,field", WRITTEN, ids=[f"{t}.{f}" for t, _, f in WRITTEN])
def test_object_fields_the_engine_writes(table, ident, field):
    assert corpus_failures(lambda value: with_object_field(table, ident, field, value)) == []


TENANT_FIELDS = ["domain", "gateway", "company_number", "audio_dir", "timezone"]


@pytest.mark.parametrize("field", TENANT_FIELDS)
def test_tenant_fields(field):
    assert corpus_failures(lambda value: fx.objects(**{field: value})) == []


@pytest.mark.parametrize("field,value", [
    ("domain", "acme.pbx.test"), ("domain", ".".join(["x" * 60] * 3) + ".example.com"), ("gateway", "trunk-1_b.x"),
    ("company_number", "+3225805000"), ("audio_dir", "/srv/audio"), ("timezone", "America/New_York"),
])
def test_tenant_fields_with_ordinary_values_compile_cleanly(field, value):
    check(base_plan(), fx.objects(**{field: value}))


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
def test_the_fast_serializer_writes_what_elementtree_writes(value):
    from callplan.xml import Document, clean, serialize

    document = Document("dialplan", description=value)
    context = document.child(document.section, "context", name=value)
    extension = document.child(context, "extension", name="e")
    document.child(extension, "action", application="set", data=value)
    document.child(extension, "action", application="hangup")
    assert serialize(document.root) == ET.tostring(document.root, encoding="unicode")
    assert ET.fromstring(serialize(document.root)).find(".//action").get("data") == clean(value)


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
def test_the_streamed_context_writes_what_elementtree_writes(value):
    """callplan.xml.context_document (the base dialplan, the tenant context) against the tree builder,
    with the value in every attribute it writes, anti-actions and an empty condition included."""
    from callplan.xml import Document, context_document

    conditions = [("destination_number", value, [("set", value), ("hangup", "")], []),
                  (value, "^x$", [], [("respond", value)]), ("${x}", value, [], [])]
    document = Document("dialplan", description=value)
    context = document.child(document.section, "context", name=value)
    extension = document.child(context, "extension", name=value)
    for field, expression, actions, anti_actions in conditions:
        condition = document.child(extension, "condition", field=field, expression=expression)
        for tag, items in (("action", actions), ("anti-action", anti_actions)):
            for application, data in items:
                document.child(condition, tag, application=application, data=data)
    document.child(context, "extension", name="empty")
    streamed = context_document(value, [(value, conditions), ("empty", [])], description=value)
    assert streamed == document.to_string()


@pytest.mark.parametrize("value", CORPUS, ids=IDS)
def test_no_attribute_the_builder_writes_carries_a_control_character(value):
    """callplan.xml drops control characters, U+2028/9 and the bidi overrides from any attribute it
    writes, through the tree builder and the streaming one alike (#11 item 6): whatever a stored name or
    a future field holds, no caller-ID name or display text on a phone reads backwards or breaks a line."""
    from callplan.xml import Document, context_document, dialplan

    document = Document("directory", description=value)
    user = document.child(document.child(document.section, "domain", name=value), "user", id=value)
    document.child(document.child(user, "variables"), "variable", name="effective_caller_id_name", value=value)
    streamed = dialplan(value, [(value, value, [("set", value), ("log", value)])], description=value)
    context = context_document(value, [(value, [(value, value, [("set", value)], [("respond", value)])])], description=value)
    for text in (document.to_string(), streamed, context):  # (expansions are literal()'s part, not the builder's)
        assert [found for found in problems(text) if "control characters" in found or "well-formed" in found] == []
