"""The Z3 engine: agreement with the spec, BMC with replayed traces, cti, unknown, mutants, CLI.

The agreement checks are the backbone: on the reachable states of small worlds, under every
profile, the successors the Z3 relation admits (action and next state) are exactly the spec's
(the two interpretations of spec/steps agree), and each encoded invariant says what the Monitor
says. The fast tier checks the first states of a breadth-first search; the slow tier every
reachable state of the tiny world (tests/agree.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import z3

from checker.cli import main
from checker.engines.explore import explore, verdicts
from checker.model import SpecModel
from checker.engines.smt.bmc import Checker, InternalError
from checker.engines.smt.props import Props
from checker.engines.smt.system import System
from spec.config import load_world
from spec.profiles import PROFILES, get_profile
from tests.checker.engines.smt.agree import bfs, state_agreement
from tests.mutants.spec.mutants import FAST_DEPTH, MANIFEST

WORLDS = Path(__file__).resolve().parent / "worlds"
MUTANT_WORLDS = Path(__file__).resolve().parents[3] / "mutants" / "worlds"


def tiny(profile: str):
    return load_world(WORLDS / "tiny.toml").with_profile(profile)


def _agree(profile: str, limit: int | None) -> None:
    w = tiny(profile)
    sm = SpecModel(w)
    sy = System(w, sm.profile)
    states = bfs(sm, limit)
    assert len(states) >= min(limit or 600, 40)
    state_agreement(sm, sy, states)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_successors_and_invariants_agree(profile: str) -> None:
    """Every profile: the Z3 relation's successors are the spec's and each encoded state
    invariant says what the Monitor says, on the first 40 states of a breadth-first search."""
    _agree(profile, 40)


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_successors_and_invariants_agree_deeper(profile: str) -> None:
    """As above on every reachable state of v3.4 and the first 150 of the other profiles."""
    _agree(profile, None if profile == "v3.4" else 150)


def test_a_cpuless_node_goes_offline_in_both_interpretations() -> None:
    """try_offline_node() (v6.1): on a node without CPUs the eject of its last block takes it
    offline, a branch the worlds above never reach (all their nodes have CPUs). The Z3
    relation's successors are the spec's on the first states, among them such ejects."""
    w = load_world(MUTANT_WORLDS / "v61-cpuless-node.toml")
    sm = SpecModel(w)
    states = bfs(sm, 80)
    assert any(sm.machine(s).nodes[1].online and not sm.machine(s2).nodes[1].online
               for s in states for _a, s2, _obs in sm.successors(s))
    state_agreement(sm, System(w, sm.profile), states)


def test_bmc_trace_replays_and_matches_explorer() -> None:
    w = tiny("v6.1")
    sy = System(w, get_profile("v6.1"))
    out = Checker(sy, time.monotonic() + 120).bmc(["sysfs_removable", "sysfs_dirs"], 2)
    o = out["sysfs_removable"]
    assert o.verdict == "violated" and o.bound == 0 and o.trace is not None
    assert o.trace.cause == "removable"
    assert out["sysfs_dirs"].verdict == "passed" and out["sysfs_dirs"].bound == 2


def test_decode_of_a_wrong_model_is_loud() -> None:
    """A 'counterexample' whose frames are not the spec's states raises InternalError."""
    w = tiny("v3.4")
    sy = System(w, get_profile("v3.4"))
    s = z3.Solver()
    s.add(sy.init(0), sy.trans(0), sy.frame(1)["n1.present"] == 5)  # no step does this
    s.add(sy.L.domain(sy.frame(1)))
    assert s.check() == z3.unsat  # the relation admits no such successor
    fake = z3.Solver()
    fake.add(sy.init(0), sy.frame(1)["n0.present"] == 1)  # an unconstrained 'step'
    assert fake.check() == z3.sat
    with pytest.raises(InternalError):
        Checker(sy, time.monotonic() + 60).decode(fake.model(), 1, "page_accounting")


def test_too_weak_invariant_is_cti_not_violated() -> None:
    """page_accounting alone is not inductive: k-induction reports a cti with its pre-state."""
    w = tiny("v3.4")
    sy = System(w, get_profile("v3.4"))
    o = Checker(sy, time.monotonic() + 120).kind("page_accounting", 1)
    assert o.verdict == "cti" and o.cti is not None and o.trace is None
    assert "memory0" in o.message


def test_always_true_invariant_is_proved() -> None:
    """sysfs_names on the tiny world (one section per block) is 1-inductive."""
    sy = System(tiny("v3.4"), get_profile("v3.4"))
    o = Checker(sy, time.monotonic() + 120).kind("sysfs_names", 2)
    assert o.verdict == "proved" and o.bound == 1


def test_tiny_timeout_is_unknown(capsys) -> None:
    import json

    code = main(["prove", "--world", str(WORLDS / "tiny.toml"), "--timeout", "0.001", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3 and data["exit"] == 3
    assert data["invariants"] and {r["verdict"] for r in data["invariants"]} == {"unknown"}


SHALLOW = sorted(n for n, e in MANIFEST.items() if e[4] <= FAST_DEPTH)
DEEP = sorted(n for n, e in MANIFEST.items() if e[4] > FAST_DEPTH)


@pytest.mark.parametrize("name", SHALLOW)
def test_spec_mutant_violated_at_explorer_length(name: str) -> None:
    _violated_at_explorer_length(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", DEEP)
def test_spec_mutant_violated_at_explorer_length_deep(name: str) -> None:
    """The mutants whose shortest violation is longer than FAST_DEPTH (BMC takes minutes)."""
    _violated_at_explorer_length(name)


def _violated_at_explorer_length(name: str) -> None:
    steps, world, profile, inv, length = MANIFEST[name]
    w = load_world(WORLDS / f"{world}.toml").with_profile(profile)
    m = SpecModel(w, steps=steps)
    res = explore(m, stop_on={inv})
    shortest = min(len(v.trace) for v in verdicts(m, res, None) if v.name == inv and v.trace)
    assert shortest == length
    sy = System(w, m.profile, steps)
    o = Checker(sy, time.monotonic() + 600).bmc([inv], length)[inv]
    assert o.verdict == "violated" and o.bound == length and len(o.trace) == length
    assert o.trace.invariant == inv  # the Monitor's judgement of the decoded, replayed trace


def test_prove_usage_errors(capsys) -> None:
    assert main(["prove", "--k", "0"]) == 2
    assert main(["prove", "--timeout", "-1"]) == 2
    for bad in ("nan", "inf", "1e400", "3e6"):
        assert main(["prove", "--timeout", bad]) == 2
    assert main(["prove", "--bmc-depth", "-1"]) == 2
    assert main(["prove", "--world", "/nonexistent.toml"]) == 2
    import importlib.util

    if importlib.util.find_spec("checker.engines.smt.parametric") is None:
        assert main(["prove", "--parametric"]) == 2
    err = capsys.readouterr().err
    assert all(line.startswith("memhp: error:") for line in err.strip().splitlines())


def test_bmc_depth_turns_a_cti_into_the_shortest_violation(capsys) -> None:
    """status_change_nid on tiny v3.4 is a cti with --k 1 (BMC to depth 0) and violated, at
    the explorer's length, once BMC reaches that depth."""
    m = SpecModel(tiny("v3.4"))
    want = {v.name: v for v in verdicts(m, explore(m), None)}["status_change_nid"]
    assert want.verdict == "violated"
    depth = len(want.trace)
    rc = main(["prove", "--world", str(WORLDS / "tiny.toml"), "--k", "1", "--json"])
    got = {r["name"]: r for r in json.loads(capsys.readouterr().out)["invariants"]}
    assert rc == 3 and got["status_change_nid"]["verdict"] == "cti"
    rc = main(["prove", "--world", str(WORLDS / "tiny.toml"), "--k", "1", "--bmc-depth",
               str(depth), "--json"])
    got = {r["name"]: r for r in json.loads(capsys.readouterr().out)["invariants"]}
    assert rc != 0 and got["status_change_nid"]["verdict"] == "violated"
    assert got["status_change_nid"]["bound"] == depth


def test_verify_smt_engine_agrees_with_the_explorer(tmp_path: Path, capsys) -> None:
    """verify --engines explore,smt on tiny v3.4: smt proves only what the complete search
    passes, and what it finds violated the search finds at the same length."""
    main(["verify", "--world", str(WORLDS / "tiny.toml"), "--engines", "explore,smt",
          "--no-baseline", "--out", str(tmp_path / "r"), "--json"])
    rows = json.loads(capsys.readouterr().out)["invariants"]
    ex = {r["name"]: r for r in rows if r["engine"] == "explore"}
    smt = [r for r in rows if r["engine"] == "smt"]
    assert {r["verdict"] for r in smt} >= {"proved", "violated", "cti"}
    for r in smt:
        if r["verdict"] == "proved":
            assert ex[r["name"]]["verdict"] == "passed", r["name"]
        elif r["verdict"] == "violated":
            assert ex[r["name"]]["verdict"] == "violated", r["name"]
            assert len(r["trace"]["steps"]) == len(ex[r["name"]]["trace"]["steps"]), r["name"]
        else:
            assert r["verdict"] == "cti" and ex[r["name"]]["verdict"] == "violated", r["name"]


def test_building_the_relation_stops_at_the_deadline() -> None:
    """--timeout bounds the whole run, building the relation included: a deadline already past
    stops path enumeration (and the ghost paths) with Timeout, and prove reports every
    invariant unknown with that reason."""
    from checker.engines.smt.engine import prove
    from checker.engines.smt.ghosts import GhostSystem
    from checker.engines.smt.symbolic import Timeout

    w = tiny("v6.1")
    for cls in (System, GhostSystem):
        with pytest.raises(Timeout):
            cls(w, get_profile("v6.1"), deadline=time.monotonic() - 1)
    results, notes = prove(w, get_profile("v6.1"), 1, 1e-9)
    assert results and {r.verdict for r in results} == {"unknown"}
    assert any("while the relation was built" in n for n in notes)
