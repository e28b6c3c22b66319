"""The compiled explorer against the interpreted one: the same search, number for number.

On every profile and built-in world (bounded where the interpreted search would take long),
both explorers must give the same states, transitions, depth, findings (invariant and cause),
shortest traces (the same steps: both search in the same order) and twins; each compiled
finding's trace is also replayed and judged by the interpreted Monitor inside the engine
(checker.engines.compiled.engine). The spec mutants: test_agreement_mutants.py.
"""

from __future__ import annotations

import pytest

from checker.engines.compiled.engine import Compiled, explore_compiled
from checker.model import SpecModel
from spec.config import load_world
from spec.profiles import PROFILES
from spec.worlds import builtin_world
from tests.mutants.common import WORLDS
from tests.checker.engines.compiled.agree import both

#: how deep the interpreted search goes on each built-in world in this test (seconds, not minutes)
DEPTH = {"default": 16, "qemu-2node": 14, "qemu-3node": 8, "race": 7}


@pytest.mark.parametrize("world", sorted(DEPTH))
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_and_world(world: str, profile: str) -> None:
    got, want, fallback = both(builtin_world(world), profile, DEPTH[world])
    assert fallback is None
    assert got == want


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_cpuless_node_to_the_end(profile: str) -> None:
    """A node without CPUs whose memory is all hot-pluggable: where the profile has
    try_offline_node(), the eject of its last block takes it offline (a branch no built-in
    world reaches: every one of their nodes has a CPU)."""
    got, want, fallback = both(load_world(WORLDS / "v61-cpuless-node.toml"), profile, None)
    assert fallback is None
    assert got == want


def test_default_world_to_the_end() -> None:
    """The figures docs/findings.md gives: the whole default world under v3.4."""
    r = explore_compiled(SpecModel(builtin_world("default")))
    assert (r.states, r.transitions, r.depth, r.complete) == (207_115, 511_597, 77, True)
    assert len(r.hits) == 12  # the baseline's findings (checker/review/baseline.json)
    for key, t in r.traces.items():
        assert (t.invariant, t.cause) == key and t.message  # judged again by the Monitor


def test_budgets_cut_the_search() -> None:
    m = SpecModel(builtin_world("default"))
    c = Compiled(m)
    r = explore_compiled(m, max_states=500, compiled=c)
    assert not r.complete and r.cut == "states" and 500 <= r.states < 600
    r = explore_compiled(m, max_depth=3, compiled=c)
    assert not r.complete and r.cut == "depth" and r.checked == 3 and r.depth == 3
    r = explore_compiled(m, max_rss=1, compiled=c)
    assert not r.complete and r.cut == "memory" and r.states == 1
    r = explore_compiled(m, stop_on={"status_change_nid"}, compiled=c)
    assert not r.complete and r.cut == "stop" and ("status_change_nid", "offline:MEM_GOING_OFFLINE") in r.hits
