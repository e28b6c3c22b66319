"""The spec mutants' manifest (tests/mutants/spec/mutants.py) is complete and honest.

Every state invariant the Z3 engine encodes, on the worlds and profiles the mutants use, has a
mutant; each mutant's invariant applies to its world and profile and holds there for the
unchanged spec (on the world a world variant varies: the explorer, complete), so the violation
BMC finds (tests/checker/engines/smt/test_smt.py) is the mutation's doing; and each mutant, written once,
admits the same successors and judges the invariants alike under both interpretations of the
definition on the mutant's states.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from checker.engines.explore import explore, verdicts
from checker.model import SpecModel
from checker.formats.results import InvariantResult
from checker.engines.smt.encoding import Layout
from checker.engines.smt.props import Props
from checker.engines.smt.system import System
from spec.config import World, load_world
from spec.profiles import get_profile
from spec.steps import Steps
from tests.checker.engines.smt.agree import bfs, state_agreement
from tests.mutants.spec.mutants import FAST_DEPTH, MANIFEST, WORLD_VARIANTS, base_world

WORLDS = Path(__file__).resolve().parents[2] / "checker" / "engines" / "smt" / "worlds"


def _world(name: str, profile: str) -> World:
    return load_world(WORLDS / f"{name}.toml").with_profile(profile)


def _encoded(world: str, profile: str) -> set[str]:
    return set(Props(Layout(_world(world, profile), get_profile(profile))).names())


def test_every_encoded_invariant_has_a_mutant() -> None:
    worlds = {(e[1], e[2]) for e in MANIFEST.values()} | {
        (WORLD_VARIANTS[n], MANIFEST[n][2]) for n in WORLD_VARIANTS}
    encoded = set().union(*(_encoded(w, p) for w, p in worlds))
    covered = {e[3] for e in MANIFEST.values()}
    assert not encoded - covered, f"encoded invariants without a spec mutant: {encoded - covered}"
    fast = {e[3] for e in MANIFEST.values() if e[4] <= FAST_DEPTH}
    assert not encoded - fast, f"invariants whose mutants BMC checks only in the slow tier: {encoded - fast}"
    # both profiles' worlds are among them, so this is every invariant Props can name
    assert {"slub_structures", "sysfs_end_phys_index"} <= encoded


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_invariant_holds_without_the_mutation(name: str) -> None:
    steps, world, profile, inv, _ = MANIFEST[name]
    assert inv in _encoded(world, profile), f"{inv} is not encoded on {world}/{profile}"
    if name in WORLD_VARIANTS:  # the spec itself, on a changed world
        assert steps is Steps
        base = _world(base_world(name), profile)
        varied = _world(world, profile)
        assert base.sections_per_block != varied.sections_per_block  # the one change
        assert replace(varied, name=base.name, description=base.description,
                       sections_per_block=base.sections_per_block) == base
        assert inv in _encoded(base_world(name), profile)
    else:
        assert steps is not Steps
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
def test_mutant_interpretations_agree(name: str) -> None:
    """The mutant's two interpretations are one transition system: on the mutant's states, the
    successors the mutated Z3 relation admits are exactly the mutated spec's, and each encoded
    invariant says what the Monitor says: on the first states of a breadth-first search and
    every state of the explorer's shortest trace to the mutant's violation."""
    steps, world, profile, inv, _ = MANIFEST[name]
    w = _world(world, profile)
    sm = SpecModel(w, steps=steps)
    sy = System(w, sm.profile, steps)
    states = bfs(sm, 12)
    res = explore(sm, stop_on={inv})
    (v,) = [v for v in verdicts(sm, res, None) if v.name == inv]
    assert v.verdict == "violated" and v.trace is not None
    s = sm.initial()[0]
    for st in v.trace.steps:
        s, _ = sm.step(s, st.action)
        states.append(s)
    state_agreement(sm, sy, states)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_mutant_interpretations_agree_deeper(name: str) -> None:
    """As above, on the first 100 states of the mutant's breadth-first search."""
    steps, world, profile, _, _ = MANIFEST[name]
    w = _world(world, profile)
    sm = SpecModel(w, steps=steps)
    state_agreement(sm, System(w, sm.profile, steps), bfs(sm, 100))
