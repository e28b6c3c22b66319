"""Every machine-readable output validates against its schema in checker/formats/schemas/, and every
schema can fail (design.md section 5)."""

from __future__ import annotations

import copy
import json
import tomllib
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from checker.review.baseline import to_baseline
from checker.cli import main
from checker.commands.verify import run_verify
from checker.engines.explore import explore
from checker.model import SpecModel
from checker.formats.schemas import NAMES, SchemaError, errors, load_schema, validate
from spec.worlds import BUILTIN, builtin_world

ROOT = Path(__file__).resolve().parents[3]
WORLDS = ROOT / "spec" / "worlds"


@pytest.fixture(scope="module")
def explored():
    return explore(SpecModel(builtin_world("default")), max_depth=12)


@pytest.fixture(scope="module")
def trace_json(explored):
    """The longest counterexample the explorer found to depth 12, as memhp-trace/1."""
    assert explored.traces, "the default world has findings at depth 12 (at least the sysfs names)"
    t = max(explored.traces.values(), key=len)
    return t.to_json()


@pytest.fixture(scope="module")
def verify_result():
    return run_verify(builtin_world("default"), ["explore"], 0, "ci", None, max_depth=10)


# --- the schemas themselves ------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12(name):
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(name.replace("/", "-"))


def test_schema_files_are_the_named_ones():
    # memhp-*: memhp's own; the vendored SARIF schema (test_sarif.py) is not one of them
    on_disk = {p.name for p in (ROOT / "checker" / "formats" / "schemas").glob("memhp-*.json")}
    assert on_disk == {n.replace("/", "-") + ".json" for n in NAMES}


def test_schemas_are_packaged():
    files = resources.files("checker.formats") / "schemas"
    for name in NAMES:
        assert (files / (name.replace("/", "-") + ".json")).is_file()


def test_unknown_schema_name_is_an_error():
    with pytest.raises(SchemaError, match="no schema"):
        validate({}, "memhp-nothing/1")


# --- worlds ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_world_toml_validates(name):
    data = tomllib.loads((WORLDS / f"{name}.toml").read_text())
    validate(data, "memhp-world/1")


@pytest.mark.parametrize("name", BUILTIN)
def test_world_to_json_validates(name):
    validate(builtin_world(name).to_json(), "memhp-world/1")


@pytest.mark.parametrize("change, where", [
    (lambda d: d.__setitem__("writers", "one"), "writers"),
    (lambda d: d.__setitem__("frobnicate", 1), "frobnicate"),
    (lambda d: d["blocks"][0].__setitem__("boot", "up"), "blocks[0].boot"),
    (lambda d: d["blocks"][1].pop("node"), "blocks[1]"),
    (lambda d: d["blocks"][0].__setitem__("zones", ["HighMem"]), "blocks[0].zones[0]"),
    (lambda d: d["callbacks"][0].__setitem__("kind", "magic"), "callbacks[0].kind"),
    (lambda d: d["callbacks"][0].pop("answers"), "callbacks[0]"),
    (lambda d: d.__setitem__("migration", ["-EBUSY"]), "migration"),
    (lambda d: d.pop("blocks"), "(top)"),
    (lambda d: d["blocks"][0].__setitem__("hole_mib", 96), "blocks[0]"),
    (lambda d: d["blocks"][0].__setitem__("id", 1 << 32), "blocks[0].id"),
    (lambda d: d["blocks"][1].__setitem__("nodes", [0]), "blocks[1]"),
    (lambda d: d["blocks"][1].__setitem__("missing_sections", [0, 0]), "blocks[1].missing_sections"),
    (lambda d: d["nodes"][0].__setitem__("cpu", True), "nodes[0]"),
    (lambda d: d["callbacks"][0].__setitem__("priority", 1 << 31), "callbacks[0].priority"),
    (lambda d: d["callbacks"][0].__setitem__("answers", ["-40960"]), "callbacks[0].answers[0]"),
    (lambda d: d["callbacks"][0].__setitem__("answer", ["-EBUSY"]), "callbacks[0]"),
    (lambda d: d.__setitem__("section_size_mib", 1 << 17), "section_size_mib"),
])
def test_world_schema_rejects_broken_worlds(change, where):
    data = tomllib.loads((WORLDS / "default.toml").read_text())
    change(data)
    found = errors(data, "memhp-world/1")
    assert found, "the schema accepted a broken world"
    assert any(e.startswith(f"at {where}") or f"'{where}'" in e for e in found), found


# --- traces ----------------------------------------------------------------------------------

def test_explorer_traces_validate(explored):
    for trace in explored.traces.values():
        validate(trace.to_json(), "memhp-trace/1")


def test_trace_with_binary_text_validates(trace_json):
    data = copy.deepcopy(trace_json)
    data["steps"] = [{"action": {"kind": "write", "thread": "w0", "block": "memory1", "file": "state",
                                 "text_b64": "b2ZmbGluZf8="},
                      "obs": {"point": "wait:state_mutex:memory1", "thread": "w0"}}]
    validate(data, "memhp-trace/1")


@pytest.mark.parametrize("change, where", [
    (lambda d: d.__setitem__("schema", "memhp-trace/2"), "schema"),
    (lambda d: d.pop("world"), "(top)"),
    (lambda d: d["world"].__setitem__("writers", 9), "world.writers"),
    (lambda d: d["steps"][0]["action"].__setitem__("block", 1), "steps[0].action.block"),
    (lambda d: d["steps"][0]["action"].__setitem__("kind", "fly"), "steps[0].action.kind"),
    (lambda d: d["steps"][0]["obs"].pop("point"), "steps[0].obs"),
    (lambda d: d["steps"][-1]["obs"].__setitem__("ret", "-EBUSY"), "steps[-1]"),
    (lambda d: d["steps"][0].__setitem__("obs", 5), "steps[0].obs"),
])
def test_trace_schema_rejects_broken_traces(trace_json, change, where):
    data = copy.deepcopy(trace_json)
    change(data)
    found = errors(data, "memhp-trace/1")
    assert found, "the schema accepted a broken trace"
    if where == "steps[-1]":
        where = f"steps[{len(data['steps']) - 1}]"
    assert any(e.startswith(f"at {where}") for e in found), found


def test_trace_schema_rejects_a_bad_notifier_call(trace_json):
    data = copy.deepcopy(trace_json)
    step = next(s for s in data["steps"] if s["obs"].get("calls"))
    step["obs"]["calls"][0]["event"] = "MEM_SOMETHING"
    assert errors(data, "memhp-trace/1")


def test_validate_raises_one_line_naming_the_source(trace_json):
    data = copy.deepcopy(trace_json)
    data["steps"][0]["action"]["kind"] = "fly"
    with pytest.raises(SchemaError) as e:
        validate(data, "memhp-trace/1", source="x.json")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("x.json: not a valid memhp-trace/1: at steps[0].action.kind")


# --- results ---------------------------------------------------------------------------------

def test_run_verify_result_validates(verify_result):
    data = verify_result.to_json()
    validate(data, "memhp-result/1")
    assert data["invariants"], "verify judged no invariant"


def test_explore_json_output_validates(capsys):
    code = main(["explore", "--max-depth", "8", "--json"])
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-result/1")
    assert code == data["exit"]
    assert data["command"] == "explore"


def test_verify_json_output_and_result_file_validate(capsys, tmp_path):
    code = main(["verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "8", "--no-baseline",
                 "--out", str(tmp_path), "--json"])
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-result/1")
    assert code == data["exit"]
    validate(json.loads((tmp_path / "result.json").read_text()), "memhp-result/1")
    validate(json.loads((tmp_path / "baseline.json").read_text()), "memhp-baseline/1")


def test_hypothesis_style_invariant_validates(verify_result):
    data = verify_result.to_json()
    inv = dict(data["invariants"][0], engine="hypothesis", verdict="sampled", bound="200x50", trace=None)
    data["invariants"] = [inv]
    validate(data, "memhp-result/1")


@pytest.mark.parametrize("change", [
    lambda d: d.__setitem__("exit", 7),
    lambda d: d["counts"].pop("transitions"),
    lambda d: d["invariants"][0].__setitem__("verdict", "ok"),
    lambda d: d["invariants"][0].__setitem__("engine", "spin"),
    lambda d: d["invariants"][0].__setitem__("bound", "forever"),
    lambda d: next(i for i in d["invariants"] if i["verdict"] == "violated").__setitem__("trace", None),
    lambda d: d["findings"][0].__setitem__("key", "no-slashes"),
    lambda d: d["findings"][0]["trace"].__setitem__("steps", "none"),
    lambda d: d.pop("findings"),
])
def test_result_schema_rejects_broken_results(verify_result, change):
    data = verify_result.to_json()
    assert data["findings"], "the default world has findings at depth 10"
    change(data)
    assert errors(data, "memhp-result/1"), "the schema accepted a broken result"


def test_passed_verdict_with_a_trace_is_rejected(verify_result):
    data = verify_result.to_json()
    violated = next(i for i in data["invariants"] if i["verdict"] == "violated")
    passed = next(i for i in data["invariants"] if i["verdict"] == "passed")
    passed["trace"] = violated["trace"]
    assert errors(data, "memhp-result/1")


# --- baselines -------------------------------------------------------------------------------

def test_baseline_from_a_run_validates(verify_result):
    validate(to_baseline(verify_result.findings), "memhp-baseline/1")


def test_packaged_baseline_validates():
    f = resources.files("checker.review") / "baseline.json"
    assert f.is_file(), "memhp verify needs the packaged baseline"
    validate(json.loads(f.read_text()), "memhp-baseline/1")


@pytest.mark.parametrize("bad", [
    {"findings": []},
    {"schema": "memhp-baseline/1", "findings": {}},
    {"schema": "memhp-baseline/1", "findings": [{"profile": "v3.4", "world": "default", "invariant": "x"}]},
    {"schema": "memhp-baseline/1", "findings": [{"profile": "v3.4", "world": "default", "invariant": "x",
                                                 "cause": "c", "length": "long"}]},
])
def test_baseline_schema_rejects_broken_baselines(bad):
    assert errors(bad, "memhp-baseline/1")


# --- replay ----------------------------------------------------------------------------------

def test_replay_json_output_validates(tmp_path, capsys, explored):
    t = max(explored.traces.values(), key=len)
    t.save(tmp_path / "t.json")
    assert main(["replay", str(tmp_path / "t.json"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-replay/1")
    assert errors(dict(data, ok=True, divergence="step 3"), "memhp-replay/1")
    assert errors(dict(data, schema="memhp-result/1"), "memhp-replay/1")
