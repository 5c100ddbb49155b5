"""Every pattern check of the project matches the whole value (#11 item 1).

Two regex engines check what people type, and they read `$` differently:
- Python's `re` (validators, parsers): `$` also matches before a final "\\n", so `^[0-9]{2,4}$` with
  match() or search() lets "235\\n" through. Python patterns end in `\\Z` or run with fullmatch();
- pydantic's `pattern=` constraints run in pydantic-core's Rust engine, where `$` is the very end, and
  they reach the browser as JSON Schema, where ECMAScript reads `$` the same way; there `\\Z` is not even
  valid. So those are written `^...$`, and must be anchored at both ends (pydantic searches).
The source is read with `ast`, so a new pattern is held to this without anyone listing it here."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("callplan", "web", "fs_bridge")
RE_FUNCTIONS = {"compile", "match", "search", "sub", "subn", "split", "findall", "finditer", "fullmatch"}
SUFFIXES = ("\n", "\r\n", "\x00", "\u2028")


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "literal" assignments, so a pattern held in a constant is read too."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, (str, bytes)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _literal(node: ast.AST, constants: dict) -> str | bytes | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def patterns() -> tuple[list, list]:
    """([(where, function, pattern)] of Python `re` calls, [(where, pattern)] of pydantic `pattern=`)."""
    python, pydantic = [], []
    for path in sources():
        tree = ast.parse(path.read_text(), str(path))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            function = node.func
            if (isinstance(function, ast.Attribute) and function.attr in RE_FUNCTIONS
                    and isinstance(function.value, ast.Name) and function.value.id == "re" and node.args):
                pattern = _literal(node.args[0], constants)
                if pattern is not None:
                    python.append((where, function.attr, pattern))
            for keyword in node.keywords:
                if keyword.arg == "pattern":
                    pattern = _literal(keyword.value, constants)
                    assert pattern is not None, f"{where}: pattern= should be a literal or a module constant, to be checked here"
                    pydantic.append((where, pattern))
    return python, pydantic


PYTHON, PYDANTIC = patterns()


def _end_anchors(pattern: str) -> list[int]:
    """Offsets of `$` used as an anchor (not escaped, not inside a character class)."""
    found, escaped, in_class = [], False, False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            found.append(index)
    return found


def test_the_scan_finds_the_patterns():
    # the scan itself must see what it is meant to hold to the rules (a broken walk would pass vacuously)
    assert len(PYTHON) > 20 and len(PYDANTIC) > 15
    assert any("validation.py" in where for where, _, _ in PYTHON)
    assert any("objects.py" in where for where, _ in PYDANTIC)


@pytest.mark.parametrize("where,function,pattern", PYTHON, ids=[p[0] for p in PYTHON])
def test_python_patterns_never_end_with_dollar(where, function, pattern):
    if isinstance(pattern, bytes) or function == "fullmatch":
        return  # bytes: FreeSWITCH's own output; fullmatch: the whole value whatever `$` does
    assert not _end_anchors(pattern), f"{where}: {pattern!r} uses $, which matches before a final newline: end it with \\Z"
    # \d is every script's digits ("٣" too): numbers we store and dial are ASCII
    assert "\\d" not in pattern.replace("\\\\", ""), f"{where}: {pattern!r}: write [0-9], \\d also matches other scripts' digits"


@pytest.mark.parametrize("where,pattern", PYDANTIC, ids=[p[0] for p in PYDANTIC])
def test_pydantic_patterns_are_whole_value_rust_and_ecmascript(where, pattern):
    assert pattern.startswith("^") and pattern.endswith("$") and _end_anchors(pattern) == [len(pattern) - 1], (
        f"{where}: {pattern!r}: pydantic searches, so a pattern= must be ^...$ (one $, at the end)")
    for unportable in ("\\Z", "\\z", "\\A", "(?<", "(?=", "(?!", "\\d"):
        assert unportable not in pattern, f"{where}: {pattern!r}: {unportable} is not the same (or not valid) in Rust and ECMAScript"
    TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])  # pydantic-core's Rust engine compiles it


def test_pydantic_reads_dollar_as_the_very_end():
    """What the rules above rely on: pydantic-core's engine refuses the value followed by anything."""
    adapter = TypeAdapter(Annotated[str, StringConstraints(pattern=r"^[0-9]{2,4}$")])
    assert adapter.validate_python("235") == "235"
    for suffix in SUFFIXES:
        with pytest.raises(ValidationError):
            adapter.validate_python("235" + suffix)
    assert re.match(r"^[0-9]{2,4}$", "235\n")  # unlike Python's re, which is why Python patterns use \Z


def test_no_model_switches_to_pythons_regex_engine():
    # regex_engine="python-re" would give every pattern= of that model Python's `$`
    from tests.validators import project_models

    offenders = [model.__qualname__ for model in project_models() if model.model_config.get("regex_engine") not in (None, "rust-regex")]
    assert not offenders


def _schema_patterns(node, found: set) -> set:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.add(node["pattern"])
        for value in node.values():
            _schema_patterns(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_patterns(value, found)
    return found


def test_json_schema_patterns_are_whole_value_ecmascript():
    """The patterns the browser gets (schemas/*.json and the OpenAPI document) compile as ECMAScript with
    the `u` flag (as an <input pattern> would) and refuse a valid value followed by a newline, CR LF,
    NUL or U+2028."""
    from hypothesis import find, strategies as st

    from web.api import openapi
    from web.app import api_routes

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot run the browser's regex engine")
    found = _schema_patterns(openapi.build(api_routes()), set())
    for path in (ROOT / "schemas").glob("*.json"):
        _schema_patterns(json.loads(path.read_text()), found)
    assert len(found) > 5
    cases = [{"pattern": pattern, "value": find(st.from_regex(pattern, fullmatch=True), lambda _: True)}
             for pattern in sorted(found)]
    script = """
        const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
        const out = cases.map(({pattern, value}) => {
          const re = new RegExp(pattern, "u");
          return {pattern, valid: re.test(value), suffixed: %s.filter(s => re.test(value + s))};
        });
        console.log(JSON.stringify(out));
    """ % json.dumps(list(SUFFIXES))
    result = subprocess.run([node, "-e", script], input=json.dumps(cases), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for item in json.loads(result.stdout):
        assert item["valid"] and not item["suffixed"], item
