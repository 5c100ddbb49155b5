"""The layers hold: import-linter's contracts (pyproject.toml [tool.importlinter]) are kept, and the
checker itself catches a broken rule (so a green run means the rules were really checked)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _lint_imports(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--no-cache", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_every_layer_contract_is_kept():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_bridge_module_importing_an_api_handler_breaks_a_contract(tmp_path):
    """Copy the tree, make the bridge import an HTTP handler, and the same check fails."""
    for name in ("callplan", "web", "fs_bridge"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "fs_bridge" / "sneaky.py").write_text("from web.api.call_plans import diversion_on  # noqa\n")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=tmp_path, capture_output=True,
        text=True, timeout=300, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "the bridge uses models and domain operations, never an HTTP layer BROKEN" in result.stdout


def test_the_bridge_names_no_http_module():
    """The issue's own check, kept literally: no `from web.api` / `from web.xml_curl` in fs_bridge/."""
    offenders = [f"{path}:{number}" for path in (REPO / "fs_bridge").rglob("*.py")
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if "from web.api" in line or "from web.xml_curl" in line or "import web.api" in line]
    assert offenders == []
