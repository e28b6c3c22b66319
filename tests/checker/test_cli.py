"""The ``memhp`` command in-process: exit codes, trace and replay, and bad input (design.md
sections 4 and 6).

Bad input gets one line on stderr, ``memhp: error: <file>: ...``, exit 2 and no traceback; a
verify that fails on its input writes nothing into --out; no command changes its input files.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from checker.cli import main
from checker.engines.explore import explore
from checker.model import SpecModel
from checker.formats.schemas import validate
from spec.worlds import builtin_world

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOML = ROOT / "spec" / "worlds" / "default.toml"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``memhp argv`` in-process; check that every existing file named on the command line
    has the same bytes afterwards."""
    inputs = {a: Path(a).read_bytes() for a in argv if Path(a).is_file()}
    code = main(list(argv))
    out, err = capsys.readouterr()
    for path, before in inputs.items():
        assert Path(path).read_bytes() == before, f"memhp {' '.join(argv)} changed its input {path}"
    assert "Traceback" not in err
    return code, out, err


def one_error_line(err: str, *names: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert lines[0].startswith("memhp: error:"), lines[0]
    for name in names:
        assert name in lines[0], f"{name!r} not named in {lines[0]!r}"
    return lines[0]


# --- fixtures: a saved trace the explorer produced -----------------------------------------------

@pytest.fixture(scope="module")
def explored():
    return explore(SpecModel(builtin_world("default")), max_depth=12)


@pytest.fixture(scope="module")
def trace_file(explored, tmp_path_factory) -> Path:
    """The longest counterexample to depth 12 (it makes notifier calls), saved as JSON."""
    t = max(explored.traces.values(), key=len)
    assert any(s.obs.calls for s in t.steps), "expected a counterexample with notifier calls"
    path = tmp_path_factory.mktemp("traces") / "found.json"
    t.save(path)
    return path


@pytest.fixture
def trace_data(trace_file) -> dict:
    return json.loads(trace_file.read_text())


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


# --- usage and exit codes ----------------------------------------------------------------------

def test_no_command_is_usage_error(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "usage:" in err


def test_help_exits_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "verify" in out and "replay" in out


def test_unknown_profile_is_usage_error(capsys):
    code, _, err = run(capsys, "explore", "--profile", "v9.9", "--max-depth", "2")
    assert code == 2
    assert "invalid choice" in err and "v9.9" in err


def test_unknown_engine_is_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "verify", "--engines", "explore,spin", "--out", str(tmp_path / "r"))
    assert code == 2
    one_error_line(err, "spin")
    assert not (tmp_path / "r").exists()


def test_explore_exit_code_follows_the_findings(capsys):
    code, out, _ = run(capsys, "explore", "--max-depth", "8", "--json")
    data = json.loads(out)
    assert code == data["exit"]
    violated = [i for i in data["invariants"] if i["verdict"] == "violated"]
    assert code == (1 if violated else 0)
    assert bool(violated) == bool(data["findings"])
    assert all(i["bound"] == 8 for i in data["invariants"])


def test_explore_text_output(capsys):
    code, out, _ = run(capsys, "explore", "--max-depth", "6")
    assert code in (0, 1)
    assert out.startswith("world default, profile v3.4:")
    assert out.rstrip().endswith(f"exit {code}")


def test_list_worlds(capsys):
    code, out, _ = run(capsys, "verify", "--list-worlds")
    assert code == 0
    for name in ("default", "race", "qemu-2node", "qemu-3node"):
        assert re.search(rf"^{re.escape(name)}\s", out, re.M), name


def test_verify_writes_reports(capsys, tmp_path):
    out_dir = tmp_path / "reports"
    code, out, _ = run(capsys, "verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "10", "--no-baseline",
                       "--out", str(out_dir))
    assert code in (0, 1)
    assert {p.name for p in out_dir.iterdir()} == {"summary.md", "result.json", "baseline.json"}
    result = json.loads((out_dir / "result.json").read_text())
    assert result["exit"] == code
    assert code == (1 if result["findings"] else 0)
    assert "# memhp verify" in (out_dir / "summary.md").read_text()
    assert f"exit {code}" in out


@pytest.fixture(scope="module")
def own_baseline(tmp_path_factory) -> tuple[Path, dict]:
    """A baseline that pins exactly the findings of verify --max-depth 10."""
    d = tmp_path_factory.mktemp("own")
    assert main(["verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "10", "--no-baseline", "--out", str(d)]) in (0, 1)
    data = json.loads((d / "baseline.json").read_text())
    assert data["findings"], "v3.4 on the default world breaks the sysfs names promise at boot"
    return d / "baseline.json", data


def test_verify_exits_0_when_findings_equal_the_baseline(capsys, tmp_path, own_baseline):
    path, _ = own_baseline
    code, out, _ = run(capsys, "verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "10",
                       "--baseline", str(path), "--out", str(tmp_path))
    assert code == 0, out
    assert "NEW:" not in out and "DISAPPEARED:" not in out


def test_verify_exits_1_on_a_new_finding(capsys, tmp_path, own_baseline):
    _, data = own_baseline
    fewer = dict(data, findings=data["findings"][1:])
    path = write_json(tmp_path / "fewer.json", fewer)
    code, out, _ = run(capsys, "verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "10",
                       "--baseline", str(path), "--out", str(tmp_path / "r"))
    assert code == 1
    assert f"NEW: {data['findings'][0]['key']}" in out


def test_verify_exits_1_when_a_pinned_finding_disappears(capsys, tmp_path, own_baseline):
    _, data = own_baseline
    gone = {"key": "v3.4/default/chain_order/online:MEM_ONLINE", "profile": "v3.4", "world": "default",
            "invariant": "chain_order", "cause": "online:MEM_GONE", "length": 3}
    path = write_json(tmp_path / "more.json", dict(data, findings=data["findings"] + [gone]))
    code, out, _ = run(capsys, "verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "10",
                       "--baseline", str(path), "--out", str(tmp_path / "r"))
    assert code == 1
    assert "DISAPPEARED: v3.4/default/chain_order/online:MEM_GONE" in out


def test_verify_does_not_check_entries_deeper_than_its_bound(capsys, tmp_path, own_baseline):
    _, data = own_baseline
    deep = {"profile": "v3.4", "world": "default", "invariant": "chain_order",
            "cause": "online:MEM_DEEP", "length": 99}
    path = write_json(tmp_path / "deep.json", dict(data, findings=data["findings"] + [deep]))
    code, _, _ = run(capsys, "verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "10",
                     "--baseline", str(path), "--out", str(tmp_path / "r"))
    assert code == 0
    result = json.loads((tmp_path / "r" / "result.json").read_text())
    assert result["baseline"]["not_checked"] == ["v3.4/default/chain_order/online:MEM_DEEP"]


# --- trace -------------------------------------------------------------------------------------

def test_trace_text(capsys, trace_file, trace_data):
    code, out, _ = run(capsys, "trace", str(trace_file))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"profile v3.4, world default, {len(trace_data['steps'])} steps"
    numbered = [line for line in lines if re.match(r"^\s*\d+\. ", line)]
    assert len(numbered) == len(trace_data["steps"])
    assert [int(line.split(".")[0]) for line in numbered] == list(range(1, len(numbered) + 1))
    # an action that starts something shows its result after "->"; a step shows who ran on
    assert all(" -> " in line or re.match(r"^\s*\d+\. [\w-]+( \[[^]]*\])?: \S", line)
               for line in numbered), numbered
    assert any("echo " in line and "/sys/devices/system/memory/memory" in line for line in numbered) \
        or any("ACPI: " in line for line in numbered)


def test_trace_json_round_trips(capsys, trace_file, trace_data):
    code, out, _ = run(capsys, "trace", str(trace_file), "--format", "json")
    assert code == 0
    data = json.loads(out)
    validate(data, "memhp-trace/1")
    assert data == trace_data


def test_trace_with_binary_text_round_trips(capsys, tmp_path, trace_data):
    data = copy.deepcopy(trace_data)
    data["steps"] = [{"action": {"kind": "write", "thread": "w0", "block": "memory1", "file": "state",
                                 "text_b64": "b2ZmbGluZf8="},
                      "obs": {"point": "wait:state_mutex:memory1", "thread": "w0"}}]
    path = write_json(tmp_path / "bin.json", data)
    code, out, _ = run(capsys, "trace", str(path), "--format", "json")
    assert code == 0
    assert json.loads(out)["steps"][0]["action"]["text_b64"] == "b2ZmbGluZf8="


# --- replay ------------------------------------------------------------------------------------

def test_replay_explorer_trace(capsys, trace_file, trace_data):
    code, out, _ = run(capsys, "replay", str(trace_file))
    assert code == 0, out
    assert f"{len(trace_data['steps'])} steps, every observation as recorded" in out


def test_replay_every_trace_explore_writes(capsys, tmp_path):
    d = tmp_path / "traces"
    code, _, _ = run(capsys, "explore", "--max-depth", "10", "--traces", str(d))
    files = sorted(d.glob("*.json"))
    assert code == (1 if files else 0)
    for f in files:
        validate(json.loads(f.read_text()), "memhp-trace/1")
        rc, out, _ = run(capsys, "replay", str(f))
        assert rc == 0, out


def test_replay_through_the_kernel_mirror(capsys, trace_file):
    code, out, _ = run(capsys, "replay", str(trace_file), "--impl", "mirror")
    assert code == 0, out
    assert "mirror:v3.4" in out


def test_replay_through_a_patch_that_changes_nothing(capsys, tmp_path, trace_file):
    patch = tmp_path / "nothing.py"
    patch.write_text('"""A patched mirror that overrides no function."""\nX = 1\n')
    code, out, _ = run(capsys, "replay", str(trace_file), "--impl", str(patch))
    assert code == 0, out


def test_replay_through_a_patch_that_rejects_every_write(capsys, tmp_path, trace_file):
    patch = tmp_path / "reject.py"
    patch.write_text("from spec.actions import EINVAL\n\n\n"
                     "def store_mem_state(k, mem, buf, count):\n"
                     "    return -EINVAL\n    yield\n")
    code, out, _ = run(capsys, "replay", str(trace_file), "--impl", str(patch))
    assert code == 1, out
    assert "diverges" in out and re.search(r"step \d+ \(", out)


def test_replay_tampered_trace_names_the_step(capsys, tmp_path, trace_data):
    data = copy.deepcopy(trace_data)
    i = next(n for n, s in enumerate(data["steps"]) if s["obs"].get("calls"))
    data["steps"][i]["obs"]["calls"][0]["ret"] ^= 0x8002
    path = write_json(tmp_path / "tampered.json", data)
    code, out, _ = run(capsys, "replay", str(path))
    assert code == 1
    assert f"step {i + 1} (" in out and f"after {i} steps" in out


def test_replay_tampered_trace_json(capsys, tmp_path, trace_data):
    data = copy.deepcopy(trace_data)
    data["steps"][0]["obs"]["point"] = "ret"
    path = write_json(tmp_path / "tampered.json", data)
    code, out, _ = run(capsys, "replay", str(path), "--json")
    assert code == 1
    result = json.loads(out)
    validate(result, "memhp-replay/1")
    assert not result["ok"] and result["steps"] == 0 and result["divergence"].startswith("step 1 (")


@pytest.fixture(scope="module")
def node_trace(explored) -> dict:
    """A counterexample with a step that changes node state, as JSON."""
    t = next((t for t in sorted(explored.traces.values(), key=len)
              if any(st.notes.get("node_changes") for st in t.steps)), None)
    assert t is not None, "expected a counterexample that changes node state"
    return t.to_json()


def _node_step(data: dict) -> int:
    return next(i for i, st in enumerate(data["steps"]) if st["obs"].get("node_changes"))


@pytest.mark.parametrize("impl", [[], ["--impl", "mirror"]])
@pytest.mark.parametrize("edit", ["flip", "drop", "add"])
def test_replay_of_edited_node_changes_names_the_step(capsys, tmp_path, node_trace, impl, edit):
    data = copy.deepcopy(node_trace)
    code, out, _ = run(capsys, "replay", str(write_json(tmp_path / "as-is.json", data)), *impl)
    assert code == 0, out
    i = _node_step(data)
    obs = data["steps"][i]["obs"]
    if edit == "flip":
        node, change = obs["node_changes"][0].split(" ")
        flipped = {"online": "offline", "offline": "online"}.get(change) or \
            {"+": "-", "-": "+"}[change[0]] + change[1:]
        obs["node_changes"][0] = f"{node} {flipped}"
    elif edit == "drop":
        del obs["node_changes"]
    else:
        i = next(k for k, st in enumerate(data["steps"]) if not st["obs"].get("node_changes"))
        data["steps"][i]["obs"]["node_changes"] = ["node0 -N_HIGH_MEMORY"]
    code, out, _ = run(capsys, "replay", str(write_json(tmp_path / "edited.json", data)), *impl)
    assert code == 1, out
    assert f"step {i + 1} (" in out and "expected node changes" in out, out


@pytest.mark.parametrize("impl", [[], ["--impl", "mirror"]])
@pytest.mark.parametrize("field", ["invariant", "cause", "message"])
def test_replay_of_an_edited_violation_names_the_step(capsys, tmp_path, trace_data, impl, field):
    data = copy.deepcopy(trace_data)
    assert data.get("violation"), "expected a counterexample"
    data["violation"][field] = {"invariant": "notifier_protocol", "cause": "online:MEM_ONLINE",
                                "message": "edited"}[field]
    if data["violation"][field] == trace_data["violation"][field]:
        data["violation"][field] = "node_states"
    code, out, _ = run(capsys, "replay", str(write_json(tmp_path / "edited.json", data)), *impl)
    assert code == 1, out
    n = len(data["steps"])
    assert f"step {n} (" in out and "expected the violation" in out, out


def test_replay_of_a_violation_a_plain_trace_does_not_reach(capsys, tmp_path, trace_data):
    """A trace whose steps are cut short no longer reaches its violation: exit 1."""
    data = copy.deepcopy(trace_data)
    data["steps"] = data["steps"][:-1]
    code, out, _ = run(capsys, "replay", str(write_json(tmp_path / "short.json", data)))
    assert code == 1, out
    assert "expected the violation" in out and "got none" in out, out


def test_replay_of_a_step_that_is_not_enabled_is_a_divergence(capsys, tmp_path, trace_data):
    data = copy.deepcopy(trace_data)
    data["steps"][0]["action"] = {"kind": "step", "thread": "w0"}  # no operation to step
    path = write_json(tmp_path / "early.json", data)
    code, out, _ = run(capsys, "replay", str(path))
    assert code == 1
    assert "step 1 (" in out and "not enabled" in out


@pytest.mark.parametrize("impl", [[], ["--impl", "mirror"]])
@pytest.mark.parametrize("where,value,says", [("block", "memory99", "names memory99"),
                                               ("thread", "w9", "names thread 'w9'")])
def test_replay_of_a_block_or_thread_the_world_lacks_is_exit_2(capsys, tmp_path, trace_data, impl,
                                                               where, value, says):
    """Not a divergence: the trace was not written for its own world (spec and mirror alike)."""
    data = copy.deepcopy(trace_data)
    data["steps"][0]["action"][where] = value
    path = write_json(tmp_path / "nosuch.json", data)
    code, out, err = run(capsys, "replay", str(path), *impl)
    assert code == 2 and out == ""
    assert err.startswith(f"memhp: error: {path}: steps[0] {says}") and err.count("\n") == 1


# --- bad input: one line, naming the file, exit 2 ------------------------------------------------

def _world_text(**changes: str) -> str:
    text = DEFAULT_TOML.read_text()
    for key, value in changes.items():
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
        assert n == 1, key
    return text


def _bad_inputs(tmp: Path, trace_data: dict) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (argv, what the one error line must name)."""
    def text(name: str, content: str | bytes) -> str:
        p = tmp / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        return str(p)

    def trace(name: str, change) -> str:
        data = copy.deepcopy(trace_data)
        change(data)
        return str(write_json(tmp / name, data))

    garbage = text("garbage.toml", 'name = "x"\nblocks = [\n[[[')
    wrong_type = text("wrongtype.toml", _world_text(writers='"two"'))
    unknown = text("unknown.toml", "frobnicate = 1\n" + DEFAULT_TOML.read_text())
    bad_value = text("badvalue.toml", _world_text(sections_per_block="0"))
    binary = text("binary.toml", b"\xff\xfe\x00name")
    missing = str(tmp / "missing.toml")
    not_json = text("notjson.json", "this is not JSON\n")
    not_trace = text("nottrace.json", '{"hello": "world"}\n')
    json_list = text("list.json", "[1, 2, 3]\n")
    bad_step = trace("badstep.json", lambda d: d["steps"][1].__setitem__("action", {"kind": "fly"}))
    bad_obs = trace("badobs.json", lambda d: d["steps"][0].__setitem__("obs", 5))
    bad_ret = trace("badret.json", lambda d: d["steps"][0]["obs"].__setitem__("ret", "-EBUSY"))
    no_point = trace("nopoint.json", lambda d: d["steps"][0]["obs"].pop("point"))
    steps_int = trace("stepsint.json", lambda d: d.__setitem__("steps", 5))
    bad_b64 = trace("badb64.json", lambda d: d["steps"][0]["action"].update(text_b64="@@@"))
    bad_world = trace("badworld.json", lambda d: d["world"]["blocks"][0].__setitem__("missing_sections", ["a"]))
    no_world = trace("noworld.json", lambda d: d.pop("world"))
    bad_profile = trace("badprofile.json", lambda d: d.__setitem__("profile", "v9.9"))
    not_baseline = text("notbaseline.json", '{"schema": "memhp-result/1", "findings": []}\n')
    bad_entry = text("badentry.json", '{"schema": "memhp-baseline/1", "findings": [{"profile": "v3.4"}]}\n')
    bin_baseline = text("binbaseline.json", b"\xff\xfe")
    boom = text("boom.py", 'raise RuntimeError("boom at import")\n')
    a_file = text("afile", "I am a file, not a folder\n")
    verify = ["verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "4", "--no-baseline", "--out", str(tmp / "out")]
    return {
        "garbage world": (["explore", "--world", garbage], [garbage]),
        "world key of the wrong type": (["explore", "--world", wrong_type], [wrong_type, "writers"]),
        "unknown world key": (["explore", "--world", unknown], [unknown, "frobnicate"]),
        "world value out of range": (["explore", "--world", bad_value], [bad_value, "sections_per_block"]),
        "world not UTF-8": (["explore", "--world", binary], [binary]),
        "missing world": (["explore", "--world", missing], [missing]),
        "verify garbage world": (verify + ["--world", garbage], [garbage]),
        "trace not JSON": (["trace", not_json], [not_json]),
        "replay not JSON": (["replay", not_json], [not_json]),
        "JSON not a trace": (["trace", not_trace], [not_trace, "memhp-trace/1"]),
        "JSON list not a trace": (["replay", json_list], [json_list]),
        "missing trace": (["replay", str(tmp / "missing.json")], [str(tmp / "missing.json")]),
        "malformed step": (["replay", bad_step], [bad_step, "steps[1]"]),
        "observation not an object": (["trace", bad_obs], [bad_obs, "steps[0]"]),
        "return value not a number": (["trace", bad_ret], [bad_ret, "steps[0]"]),
        "observation without point": (["replay", no_point], [no_point, "steps[0]"]),
        "steps not a list": (["replay", steps_int], [steps_int, "steps"]),
        "bad base64 text": (["replay", bad_b64], [bad_b64, "steps[0]"]),
        "trace world malformed": (["replay", bad_world], [bad_world, "missing_sections"]),
        "trace without world": (["replay", no_world], [no_world, "world"]),
        "trace of an unknown profile": (["replay", bad_profile], [bad_profile, "v9.9"]),
        "baseline not a baseline": (verify[:-3] + ["--baseline", not_baseline, "--out", str(tmp / "out")],
                                    [not_baseline, "memhp-baseline/1"]),
        "baseline entry malformed": (verify[:-3] + ["--baseline", bad_entry, "--out", str(tmp / "out")],
                                     [bad_entry, "findings[0]"]),
        "baseline not UTF-8": (verify[:-3] + ["--baseline", bin_baseline, "--out", str(tmp / "out")],
                               [bin_baseline]),
        "missing baseline": (verify[:-3] + ["--baseline", str(tmp / "nobase.json"), "--out", str(tmp / "out")],
                             [str(tmp / "nobase.json")]),
        "explore --impl raises on import": (["explore", "--max-depth", "2", "--impl", boom], [boom, "boom at import"]),
        "replay --impl raises on import": (["replay", str(tmp / "ok.json"), "--impl", boom], [boom]),
        "replay --impl no such module": (["replay", str(tmp / "ok.json"), "--impl", "no_such_memhp_patch"],
                                         ["no_such_memhp_patch"]),
        "explore --traces into a file": (["explore", "--max-depth", "2", "--traces", a_file], [a_file]),
        "verify --out is a file": (["verify", "--profile", "v3.4", "--engines", "explore", "--max-depth", "2", "--no-baseline",
                                    "--out", a_file], [a_file]),
    }


BAD_CASES = [
    "garbage world", "world key of the wrong type", "unknown world key", "world value out of range",
    "world not UTF-8", "missing world", "verify garbage world", "trace not JSON", "replay not JSON",
    "JSON not a trace", "JSON list not a trace", "missing trace", "malformed step",
    "observation not an object", "return value not a number", "observation without point",
    "steps not a list", "bad base64 text", "trace world malformed", "trace without world",
    "trace of an unknown profile", "baseline not a baseline", "baseline entry malformed",
    "baseline not UTF-8", "missing baseline", "explore --impl raises on import",
    "replay --impl raises on import", "replay --impl no such module", "explore --traces into a file",
    "verify --out is a file",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, trace_file, trace_data, case):
    (tmp_path / "ok.json").write_bytes(trace_file.read_bytes())
    cases = _bad_inputs(tmp_path, trace_data)
    assert set(cases) == set(BAD_CASES)
    argv, names = cases[case]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    one_error_line(err, *names)
    assert out == ""
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before, "a failed command created, removed or changed a file"
    assert not (tmp_path / "out").exists(), "a failed verify wrote into --out"


@pytest.mark.parametrize("bad", ["world", "baseline", "engine"])
def test_failed_verify_leaves_an_existing_out_dir_untouched(capsys, tmp_path, bad):
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("from an earlier run\n")
    world = tmp_path / "w.toml"
    world.write_text(_world_text(writers="9") if bad == "world" else DEFAULT_TOML.read_text())
    baseline = tmp_path / "b.json"
    baseline.write_text("{}" if bad == "baseline" else '{"schema": "memhp-baseline/1", "findings": []}')
    engines = "explore,nope" if bad == "engine" else "explore"
    code, _, err = run(capsys, "verify", "--world", str(world), "--engines", engines, "--max-depth", "4",
                       "--baseline", str(baseline), "--out", str(out_dir))
    assert code == 2
    one_error_line(err)
    assert [p.name for p in out_dir.iterdir()] == ["keep.txt"]


def test_profile_on_the_command_line_overrides_the_world(capsys, tmp_path):
    world = tmp_path / "w.toml"
    world.write_text(DEFAULT_TOML.read_text())
    code, out, _ = run(capsys, "explore", "--world", str(world), "--profile", "v6.1", "--max-depth", "3", "--json")
    assert code in (0, 1)
    assert json.loads(out)["profile"] == "v6.1"


def test_explore_the_kernel_mirror_finds_what_the_spec_finds(capsys, tmp_path):
    """--impl mirror (the base mirror) and a patch that overrides nothing agree with the spec."""
    patch = tmp_path / "nothing.py"
    patch.write_text("X = 1\n")
    outs = {}
    for impl in (None, "mirror", str(patch)):
        argv = ["explore", "--max-depth", "5", "--json"] + (["--impl", impl] if impl else [])
        code, out, _ = run(capsys, *argv)
        data = json.loads(out)
        assert code == data["exit"]
        outs[impl] = ({f["key"] for f in data["findings"]}, data["counts"]["depth"])
    assert outs["mirror"] == outs[None] == outs[str(patch)]


@pytest.mark.parametrize("violation", [5, "x", {"invariant": 3}, ["a"]])
def test_replay_of_a_violation_of_the_wrong_type_is_exit_2(capsys, tmp_path, trace_data, violation):
    data = copy.deepcopy(trace_data)
    data["violation"] = violation
    path = write_json(tmp_path / "v.json", data)
    code, out, err = run(capsys, "replay", str(path))
    assert code == 2 and out == "" and "'violation' must be a table of strings" in err


# --- size and budgets of explicit runs ----------------------------------------------------------

def test_a_world_too_large_to_explore_is_refused_before_the_run(capsys, tmp_path):
    lines = ['name = "big"', "[[nodes]]", "id = 0"]
    for i in range(300):
        lines += ["[[blocks]]", f"id = {i}", "node = 0", 'zones = ["Normal"]']
    path = tmp_path / "big.toml"
    path.write_text("\n".join(lines) + "\n")
    for cmd in ("explore", "verify"):
        code, out, err = run(capsys, cmd, "--world", str(path), "--out", str(tmp_path / "r")) \
            if cmd == "verify" else run(capsys, cmd, "--world", str(path))
        assert code == 2 and out == ""
        line = one_error_line(err, str(path))
        assert "300 blocks" in line and "--blocks" in line


def test_the_state_budget_stops_explore_and_says_so(capsys):
    code, out, _ = run(capsys, "explore", "--max-states", "300", "--json")
    r = json.loads(out)
    validate(r, "memhp-result/1")
    note = next(n for n in r["notes"] if n.startswith("explore budget: 300 states"))
    m = re.search(r"every path of up to (\d+) steps was checked", note)
    assert m, note
    bounds = {inv["bound"] for inv in r["invariants"]}
    assert bounds == {int(m.group(1))}, bounds  # no verdict claims more than was checked
    assert "complete" not in bounds


def test_explore_blocks_cuts_the_world(capsys):
    code, out, _ = run(capsys, "explore", "--blocks", "0,1", "--json")
    r = json.loads(out)
    assert r["counts"]["states"] > 0 and all(inv["bound"] == "complete" for inv in r["invariants"])
    code, _, err = run(capsys, "explore", "--blocks", "0,5")
    assert code == 2
    assert "no block 5" in one_error_line(err, "--blocks")
