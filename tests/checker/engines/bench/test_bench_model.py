"""The benchmark world through the generic explorer: SPIN's counts, the seeded bugs with their
shortest traces, the world names, and the explore command."""

from __future__ import annotations

import json

import pytest

from checker.engines.bench import BenchModel, parse_bench
from checker.engines.bench.trace import replay_labels
from checker.cli import main
from checker.engines.explore import explore
from checker.formats.schemas import validate
from spec.errors import WorldError


def run(spec: str, symmetry: bool = True):
    model = BenchModel(parse_bench(spec))
    return model, explore(model, symmetry=symmetry)


# SPIN's "states, stored" and "transitions" (edges + 1), from docs/spin-model.md
@pytest.mark.parametrize("spec, states, spin_transitions", [
    ("spin-bench:B=2,N=1,K=1,W=1", 123, 229),
    ("spin-bench:B=4,N=2,K=2,W=2", 49_329, 131_329),
])
@pytest.mark.parametrize("symmetry", [False, True])
def test_counts_equal_spins(spec, states, spin_transitions, symmetry) -> None:
    _, res = run(spec, symmetry)
    assert res.complete and not res.traces
    assert (res.states, res.transitions + 1) == (states, spin_transitions)


def test_counts_do_not_depend_on_n() -> None:
    counts = {n: run(f"spin-bench:B=4,N={n},K=2,W=2", False)[1] for n in (1, 2, 3)}
    assert len({(r.states, r.transitions, r.depth) for r in counts.values()}) == 1


def test_initial_state() -> None:
    model = BenchModel(parse_bench("spin-bench:B=5,N=2,K=2,W=3"))
    d = model.decode(model.initial_keys()[0])
    assert d["present"] == [1, 1, 0, 0, 0] and d["bstate"] == [1, 1, 0, 0, 0]
    assert d["pp"] == [1, 1] and d["hm"] == [1, 1] and d["mutex"] == 0
    assert (d["op_ev"], d["op_cb"], d["op_nid"]) == (0, 0, -1) and d["pc"] == [0, 0, 0]
    assert model.encode(d) == model.initial_keys()[0]


# shortest counterexample lengths; SPIN's iterative shortening (pan -i, tests/checker/engines/bench/
# test_promela.py) finds the same lengths
BUGS = {1: ("I5", "commit-offline", 5), 2: ("I4", "finish", 7), 3: ("I3", "remove", 3)}


@pytest.mark.parametrize("bug", [1, 2, 3])
@pytest.mark.parametrize("symmetry", [False, True])
def test_seeded_bug_found_with_shortest_trace(bug, symmetry) -> None:
    model, res = run(f"spin-bench:B=4,N=2,K=2,W=2,BUG={bug}", symmetry)
    inv, cause, length = BUGS[bug]
    assert res.violated() == {inv}
    trace = res.traces[(inv, cause)]
    assert len(trace) == length and min(len(t) for t in res.traces.values()) == length
    # the trace replays on concrete states and its last transition is the violation
    states = replay_labels(model, trace.labels[:-1])
    pre = states[-1] if states else model.initial_keys()[0]
    labels: list[str] = []
    succ, viol = model.expand(pre, labels)
    assert (labels.index(trace.labels[-1]), inv, cause) in (viol or [])
    assert trace.steps[-1][1] == model.decode(succ[labels.index(trace.labels[-1])])


def test_bug1_then_i1_fails_at_release_past_the_check() -> None:
    """BUG1's I5 failure ends its path; the states behind it would break I1 at the release."""
    model, res = run("spin-bench:B=2,N=1,K=1,W=1,BUG=1", False)
    trace = res.traces[("I5", "commit-offline")]
    after = model.encode(trace.steps[-1][1])
    d = model.decode(after)
    assert d["pp"] == [0] and d["hm"] == [1]


def test_bug2_needs_two_callbacks() -> None:
    assert not run("spin-bench:B=2,N=1,K=1,W=1,BUG=2", False)[1].traces


@pytest.mark.parametrize("bad, what", [
    ("spin-bench:B=2,N=1,K=1", "missing W"),
    ("spin-bench:B=0,N=1,K=1,W=1", "out of range"),
    ("spin-bench:B=2,N=1,K=1,W=1,X=3", "not one of"),
    ("spin-bench:B=two,N=1,K=1,W=1", "not an integer"),
    ("spin-bench:B=2,B=3,N=1,K=1,W=1", "twice"),
])
def test_bad_world_names(bad, what) -> None:
    with pytest.raises(WorldError, match=what):
        parse_bench(bad)


def test_explore_command(capsys) -> None:
    assert main(["explore", "--world", "spin-bench:B=2,N=1,K=1,W=1"]) == 0
    out = capsys.readouterr().out
    assert "123 states, 228 transitions (SPIN counts 229)" in out


def test_explore_command_json_and_traces(capsys, tmp_path) -> None:
    code = main(["explore", "--world", "spin-bench:B=3,N=2,K=2,W=2,BUG=3", "--json",
                 "--traces", str(tmp_path)])
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-bench-result/1")
    assert code == 1 and data["exit"] == 1
    assert data["counts"]["spin_transitions"] == data["counts"]["transitions"] + 1
    assert data["symmetry"]["on"] and data["symmetry"]["orbits"] < data["counts"]["states"]
    verdicts = {i["name"]: i["verdict"] for i in data["invariants"]}
    assert verdicts == {"I1": "passed", "I2": "passed", "I3": "violated", "I4": "passed", "I5": "passed"}
    saved = json.loads((tmp_path / "I3--remove.json").read_text())
    assert len(saved["steps"]) == 3 and saved["violation"]["invariant"] == "I3"


def test_explore_command_no_symmetry_same_counts(capsys) -> None:
    main(["explore", "--world", "spin-bench:B=3,N=1,K=1,W=2", "--json", "--no-symmetry"])
    off = json.loads(capsys.readouterr().out)
    main(["explore", "--world", "spin-bench:B=3,N=1,K=1,W=2", "--json"])
    on = json.loads(capsys.readouterr().out)
    assert not off["symmetry"]["on"] and on["symmetry"]["on"]
    assert off["counts"] == on["counts"]
    assert off["symmetry"]["orbits"] == off["counts"]["states"] > on["symmetry"]["orbits"]


def test_bench_world_refuses_profile_and_verify(capsys) -> None:
    assert main(["explore", "--world", "spin-bench:B=2,N=1,K=1,W=1", "--profile", "v6.1"]) == 2
    assert main(["verify", "--world", "spin-bench:B=2,N=1,K=1,W=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("memhp: error:") == 2 and "Traceback" not in err


def test_list_worlds_names_the_benchmark(capsys) -> None:
    assert main(["verify", "--list-worlds"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("spin-bench:"))
    assert "memhp explore" in line and "not yet" not in line


def test_depth_bound() -> None:
    model = BenchModel(parse_bench("spin-bench:B=4,N=2,K=2,W=2,BUG=1"))
    shallow = explore(model, max_depth=4)
    assert not shallow.complete and shallow.depth == 4 and not shallow.traces  # I5 needs 5 steps
    deep = explore(model, max_depth=5)
    assert not deep.complete and deep.violated() == {"I5"}
