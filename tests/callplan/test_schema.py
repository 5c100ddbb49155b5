"""schemas/callplan.schema.json is what the models say, and says what the editor needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from callplan import nodes, schema

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_schema_is_what_the_models_generate():
    committed = schema.PATH.read_text(encoding="utf-8")
    assert committed == schema.render(), "schemas/callplan.schema.json is stale: run `python -m callplan.schema`"


def test_generation_is_deterministic_across_processes():
    # A fresh interpreter (another hash seed) must produce byte-for-byte the same file.
    code = "from callplan import schema; import sys; sys.stdout.write(schema.render())"
    outputs = {
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout
        for seed in (1, 2)
    }
    assert outputs == {schema.render()}


def test_the_file_is_sorted_two_space_json_with_a_trailing_newline():
    text = schema.PATH.read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_every_step_type_is_in_the_discriminated_union():
    generated = schema.schema()
    items = generated["properties"]["steps"]["items"]
    assert items["discriminator"]["propertyName"] == "type"
    assert set(items["discriminator"]["mapping"]) == set(nodes.BY_TYPE)
    for step_type, ref in items["discriminator"]["mapping"].items():
        definition = generated["$defs"][ref.rsplit("/", 1)[1]]
        assert definition["properties"]["type"]["const"] == step_type
        assert definition["additionalProperties"] is False  # typos in a stored plan are refused, not dropped


def test_the_schema_uses_the_json_names():
    generated = schema.schema()
    time_condition = generated["$defs"][
        generated["properties"]["steps"]["items"]["discriminator"]["mapping"]["time_condition"].rsplit("/", 1)[1]]
    assert "else" in time_condition["properties"] and "else_" not in time_condition["properties"]
    assert set(generated["required"]) == {"name"}
