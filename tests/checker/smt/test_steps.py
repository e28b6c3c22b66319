"""The step invariants of checker/smt/steps.py: agreement with the Monitor, BMC, k-induction.

The agreement test walks every reachable (state, Monitor state) pair of the tiny world under both
profiles. For every state it finds, with the paths' guards compiled to Python
(tests/checker/smt/pyeval.py), the one path each of the spec's successors takes, and checks that
the path's update gives the spec's next state; for every successor it runs the spec's Monitor
from that pair's Monitor state and checks that each step predicate is true exactly when the
Monitor reports that invariant on that step. BMC must find the default world's step violations
at the explorer's length (and remove_only_offline on a small world), decoded and replayed; a
seeded mutant per step invariant (tests/mutants/spec/step_mutants.py) must come out violated.
The k-induction verdicts of ``memhp prove`` on the tiny world, step invariants included, are
pinned in test_lemmas.py.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import pytest

from checker.explore import explore, verdicts
from checker.model import SpecModel
from checker.smt.bmc import Checker
from checker.smt.steps import STEP_INVARIANTS, StepProps
from checker.smt.system import System
from spec.config import load_world
from spec.invariants import Monitor
from spec.profiles import get_profile
from spec.worlds import builtin_world
from tests.checker.smt.pyeval import compile_conj, compile_term
from tests.checker.smt.test_smt import tiny
from tests.mutants.spec.step_mutants import STEP_MANIFEST

WORLDS = Path(__file__).resolve().parent / "worlds"


class Compiled:
    """Every path of a system as Python functions: guard conjuncts, update, step predicates."""

    def __init__(self, sy: System) -> None:
        st = StepProps(sy)
        self.sy = sy
        self.guards = [compile_conj(p.guard) for p in sy.paths]
        self.upd = [{k: compile_term(v) for k, v in p.upd.items()} for p in sy.paths]
        self.bad = [{n: compile_term(st.path_bad(n, p)) for n in STEP_INVARIANTS} for p in sy.paths]
        self.by_action: dict = {}
        for k, p in enumerate(sy.paths):
            self.by_action.setdefault(p.action, []).append(k)

    def enabled(self, vals: dict) -> dict:
        """action -> the index of the path it takes from ``vals`` (asserting it is unique)."""
        out: dict = {}
        for a, ks in self.by_action.items():
            for k in ks:
                if self.guards[k](vals):
                    assert a not in out, f"two paths for {a}"
                    out[a] = k
        return out

    def post(self, k: int, vals: dict) -> dict:
        nxt = dict(vals)
        for f, fn in self.upd[k].items():
            v = fn(vals)
            nxt[f] = bool(v) if f in self.sy.L.bools else int(v)
        return nxt


def _agree(w, spec_cls=None, sym_cls=None) -> dict[str, int]:
    """The agreement check on every reachable (state, Monitor state) pair; returns, per step
    invariant, how many steps break it."""
    sm = SpecModel(w)
    if spec_cls is not None:
        sm.spec = spec_cls(w, sm.profile)
    sy = System(w, sm.profile, *((sym_cls, spec_cls) if sym_cls else ()))
    c = Compiled(sy)
    mon = Monitor(w, sm.profile, sm.threads, True)
    s0 = sm.initial()[0]
    ms0, _, _ = mon.initial(sm.machine(s0), sm.view(s0))
    seen = {(s0, ms0)}
    queue = deque([(s0, ms0)])
    paths_of: dict = {}
    hits = {n: 0 for n in STEP_INVARIANTS}
    while queue:
        s, ms = queue.popleft()
        vals = sy.L.encode(s)
        succ = list(sm.successors(s))
        if s not in paths_of:  # the successors, path by path, are the spec's
            en = c.enabled(vals)
            assert set(en) == {a for a, _, _ in succ}, sy.L.describe(vals)
            for a, s2, _ in succ:
                assert c.post(en[a], vals) == sy.L.encode(s2), (a, sy.L.describe(vals))
            paths_of[s] = en
        for a, s2, obs in succ:
            ms2, vs, _ = mon.step(ms, sm.machine(s), a, obs, sm.machine(s2), sm.quiescent(s2),
                                  lambda s2=s2: sm.view(s2))
            says = {v.invariant for v in vs}
            k = paths_of[s][a]
            for n in STEP_INVARIANTS:
                got = bool(c.bad[k][n](vals))
                assert got == (n in says), (n, a, sy.L.describe(vals))
                hits[n] += got
            if (s2, ms2) not in seen:
                seen.add((s2, ms2))
                queue.append((s2, ms2))
    return hits


def _explorer_violated(w, spec_cls=None) -> set[str]:
    m = SpecModel(w)
    if spec_cls is not None:
        m.spec = spec_cls(w, m.profile)
    return {v.name for v in verdicts(m, explore(m), None) if v.verdict == "violated"}


@pytest.mark.parametrize("world,profile", [("tiny", "v3.4"), ("tiny", "v6.1"), ("eject", "v3.4"),
                                           ("bare", "v3.4"), ("bare", "v6.1")])
def test_step_predicates_agree_with_monitor(world: str, profile: str) -> None:
    """tiny: 838 states under v3.4 (838 with Monitor states), 4242 under v6.1 (9210)."""
    w = load_world(WORLDS / f"{world}.toml").with_profile(profile)
    hits = _agree(w)
    broken = {n for n, h in hits.items() if h}
    assert broken == _explorer_violated(w) & set(STEP_INVARIANTS)
    if world == "bare":  # no callbacks: no call to judge, no witness of a flip
        assert broken == set()
    else:
        assert broken == (set() if profile == "v6.1" else
                          {"alloc_cancel_offline", "status_change_nid", "remove_only_offline"})


def test_bmc_default_world_at_explorer_length() -> None:
    """v3.4 default world (checker/baseline.json): status_change_nid at 4 transitions and
    alloc_cancel_offline at 6, decoded, replayed and judged by the Monitor; the other step
    invariants pass to depth 6."""
    w = builtin_world("default")
    sy = System(w, get_profile("v3.4"))
    out = Checker(sy, time.monotonic() + 300).bmc(list(STEP_INVARIANTS), 6)
    got = {n: (o.verdict, o.bound) for n, o in out.items()}
    assert got == {"status_change_nid": ("violated", 4), "alloc_cancel_offline": ("violated", 6),
                   "alloc_going_online": ("passed", 6), "alloc_online": ("passed", 6),
                   "alloc_going_offline": ("passed", 6), "remove_only_offline": ("passed", 6)}
    for n in ("status_change_nid", "alloc_cancel_offline"):
        tr = out[n].trace
        assert tr is not None and len(tr) == out[n].bound and tr.invariant == n
        assert tr.cause == {"status_change_nid": "offline:MEM_GOING_OFFLINE",
                            "alloc_cancel_offline": "offline:MEM_CANCEL_OFFLINE"}[n]


def _explorer_shortest(m: SpecModel, inv: str) -> int:
    res = explore(m, stop_on={inv})
    return min(len(v.trace) for v in verdicts(m, res, None) if v.name == inv and v.trace)


def test_bmc_remove_only_offline_small_world() -> None:
    """v3.4 ejects a device whose memory is online (the default world needs 21 steps): on a
    world of one hot-pluggable block, BMC finds it at the explorer's length."""
    w = load_world(WORLDS / "eject.toml").with_profile("v3.4")
    m = SpecModel(w)
    want = _explorer_shortest(m, "remove_only_offline")
    sy = System(w, m.profile)
    o = Checker(sy, time.monotonic() + 300).bmc(["remove_only_offline"], want)["remove_only_offline"]
    assert o.verdict == "violated" and o.bound == want and o.trace is not None
    assert len(o.trace) == want and o.trace.cause == "offline:eject"


@pytest.mark.parametrize("name", sorted(STEP_MANIFEST))
def test_step_mutant(name: str) -> None:
    """Each step mutant: the agreement check on all its reachable states (its invariant's
    predicate true on some steps, as the Monitor says), and BMC finds the violation at the
    explorer's shortest length, decoded and replayed through the mutated spec."""
    spec_cls, sym_cls, world, profile, inv = STEP_MANIFEST[name]
    w = load_world(WORLDS / f"{world}.toml").with_profile(profile)
    hits = _agree(w, spec_cls, sym_cls)
    assert hits[inv] > 0
    assert {n for n, h in hits.items() if h} == _explorer_violated(w, spec_cls) & set(STEP_INVARIANTS)
    bmc_at_explorer_length(System(w, get_profile(profile), sym_cls, spec_cls), spec_cls, inv)


def bmc_at_explorer_length(sy: System, spec_cls, inv: str) -> None:
    """BMC on ``sy`` (a mutant's system) finds ``inv`` at the explorer's shortest length on
    the mutated spec, with a trace of that length (decoded, replayed and judged)."""
    m = SpecModel(sy.world)
    m.spec = spec_cls(sy.world, m.profile)
    want = _explorer_shortest(m, inv)
    o = Checker(sy, time.monotonic() + 300).bmc([inv], want)[inv]
    assert o.verdict == "violated" and o.bound == want and o.trace is not None
    assert len(o.trace) == want and o.trace.invariant == inv


def test_step_kind_violated() -> None:
    """k-induction of a step invariant: a violation within k - 1 steps comes out violated with
    its trace (alloc_cancel_offline, 3 steps on the eject world under v3.4)."""
    w = load_world(WORLDS / "eject.toml").with_profile("v3.4")
    sy = System(w, get_profile("v3.4"))
    o = Checker(sy, time.monotonic() + 120).kind("alloc_cancel_offline", 4)
    assert o.verdict == "violated" and o.bound == 3 and o.trace is not None and len(o.trace) == 3


def test_step_cti_without_lemmas() -> None:
    """Without lemmas, status_change_nid (which holds on the tiny world under v6.1) is not
    1-inductive: some unreachable pre-state breaks it in one step. A cti naming the step and
    its pre-state, never a violation."""
    sy = System(tiny("v6.1"), get_profile("v6.1"))
    o = Checker(sy, time.monotonic() + 120).kind("status_change_nid", 1)
    assert o.verdict == "cti" and o.trace is None and "pre-state" in o.message
