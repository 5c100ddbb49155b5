"""The call plan's JSON Schema, generated from the pydantic models: `python -m callplan.schema` writes
schemas/callplan.schema.json (the browser's editor reads it). The output is deterministic (sorted keys,
two-space indent, a trailing newline) so the committed file only changes when the models do; a test
fails when the committed file is stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import callplan.nodes  # noqa: F401  (registers every step type; CallPlan is incomplete without it)
from callplan.model import CallPlan

PATH = Path(__file__).resolve().parent.parent / "schemas" / "callplan.schema.json"


def schema() -> dict:
    return CallPlan.model_json_schema()


def render() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
