"""The spec mutants' manifest (tests/mutants/spec/mutants.py) is complete and honest.

Every invariant the Z3 engine encodes, on the worlds and profiles the mutants use, has a mutant;
each mutant's invariant applies to its world and profile and holds there for the unchanged spec
(on the world a world variant varies: the explorer, complete), so the violation BMC finds
(tests/checker/smt/test_smt.py) is the mutation's doing; and each mutant's two renderings admit
the same successors and judge the invariants alike on the mutant's states.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import z3

from checker.explore import explore, verdicts
from checker.model import SpecModel
from checker.results import InvariantResult
from checker.smt.encoding import Layout
from checker.smt.props import Props
from checker.smt.symspec import SymSpec
from checker.smt.system import System
from spec.config import World, load_world
from spec.invariants import Monitor
from spec.model import Spec
from spec.profiles import get_profile
from tests.mutants.spec.mutants import FAST_DEPTH, MANIFEST, WORLD_VARIANTS, base_world

SLOW = bool(os.environ.get("MEMHP_SLOW"))
WORLDS = Path(__file__).resolve().parents[2] / "checker" / "smt" / "worlds"


def _world(name: str, profile: str) -> World:
    return load_world(WORLDS / f"{name}.toml").with_profile(profile)


def _encoded(world: str, profile: str) -> set[str]:
    return set(Props(Layout(_world(world, profile), get_profile(profile))).names())


def test_every_encoded_invariant_has_a_mutant() -> None:
    worlds = {(e[2], e[3]) for e in MANIFEST.values()} | {
        (WORLD_VARIANTS[n], MANIFEST[n][3]) for n in WORLD_VARIANTS}
    encoded = set().union(*(_encoded(w, p) for w, p in worlds))
    covered = {e[4] for e in MANIFEST.values()}
    assert not encoded - covered, f"encoded invariants without a spec mutant: {encoded - covered}"
    fast = {e[4] for e in MANIFEST.values() if e[5] <= FAST_DEPTH}
    assert not encoded - fast, f"invariants whose mutants BMC checks only with MEMHP_SLOW=1: {encoded - fast}"
    # both profiles' worlds are among them, so this is every invariant Props can name
    assert {"slub_structures", "sysfs_end_phys_index"} <= encoded


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_invariant_holds_without_the_mutation(name: str) -> None:
    spec_cls, sym_cls, world, profile, inv, _ = MANIFEST[name]
    assert inv in _encoded(world, profile), f"{inv} is not encoded on {world}/{profile}"
    if name in WORLD_VARIANTS:  # the spec itself, on a changed world
        assert (spec_cls, sym_cls) == (Spec, SymSpec)
        base = _world(base_world(name), profile)
        varied = _world(world, profile)
        assert base.sections_per_block != varied.sections_per_block  # the one change
        assert replace(varied, name=base.name, description=base.description,
                       sections_per_block=base.sections_per_block) == base
        assert inv in _encoded(base_world(name), profile)
    else:
        assert spec_cls is not Spec and sym_cls is not SymSpec
        base = _world(world, profile)
    v = _unmutated_verdicts(base)[inv]
    assert v.verdict == "passed" and v.bound == "complete", (name, v.verdict, v.message)


@cache
def _unmutated_verdicts(world: World) -> dict[str, InvariantResult]:
    m = SpecModel(world)
    res = explore(m)
    assert res.complete
    return {v.name: v for v in verdicts(m, res, None)}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_mutant_pair_agrees(name: str) -> None:
    """The two renderings of a mutant are one transition system: on the mutant's states, the
    successors the mutated Z3 relation admits are exactly the mutated spec's, and each encoded
    invariant says what the Monitor says. The fast run checks the first states of a
    breadth-first search and every state of the explorer's shortest trace to the mutant's
    violation; MEMHP_SLOW=1 checks every reachable state (the first 2000 on tiny)."""
    spec_cls, sym_cls, world, profile, inv, _ = MANIFEST[name]
    w = _world(world, profile)
    sm = SpecModel(w)
    sm.spec = spec_cls(w, sm.profile)
    sy = System(w, sm.profile, sym_cls, spec_cls)
    P = Props(sy.L)
    mon = Monitor(w, sm.profile, sm.threads, True)
    s0 = sm.initial()[0]
    mon.initial(sm.machine(s0), sm.view(s0))
    states = _bfs(sm, s0, (2000 if world == "tiny" else None) if SLOW else 12)
    if not SLOW:
        res = explore(sm, stop_on={inv})
        (v,) = [v for v in verdicts(sm, res, None) if v.name == inv]
        assert v.verdict == "violated" and v.trace is not None
        s = s0
        for st in v.trace.steps:
            s, _ = sm.spec.step(s, st.action)
            states.append(s)
    solver = z3.Solver()
    for s in dict.fromkeys(states):
        want = {a: sy.L.encode(s2) for a, s2, _ in sm.successors(s)}
        vals = sy.L.encode(s)
        got = dict(sy.successors(vals, solver))
        assert got == want, sy.L.describe(vals)
        says = _monitor_says(sm, mon, s)
        for other in P.names():
            holds = z3.simplify(z3.substitute(P.holds(other, sy.X), *[
                (sy.X[k], z3.BoolVal(x) if isinstance(x, bool) else z3.BitVecVal(x, 32))
                for k, x in vals.items()]))
            assert z3.is_true(holds) == (other not in says), (other, sy.L.describe(vals))


def _bfs(sm: SpecModel, s0: Any, limit: int | None) -> list[Any]:
    seen: dict[Any, None] = {}
    queue = deque([s0])
    while queue and (limit is None or len(seen) < limit):
        s = queue.popleft()
        if s not in seen:
            seen[s] = None
            queue.extend(s2 for _, s2, _ in sm.successors(s))
    return list(seen)


def _monitor_says(sm: SpecModel, mon: Monitor, s: Any) -> set[str]:
    m = sm.machine(s)
    busy = frozenset(op.block for op in s.threads if op is not None)
    v: list = []
    mon._always(m, busy, v, set())
    if sm.quiescent(s):
        mon._quiescent(m, sm.view(s), v, set())
    return {x.invariant for x in v}
