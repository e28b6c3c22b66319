"""The parametric model instantiated on finite worlds gives the explorer's verdicts there.

Worlds: ``world_2x2.toml`` (two blocks, two nodes, two callbacks, two writers and the firmware
thread) and ``world_holes.toml`` (one node, two online blocks, each half a hole). For every
profile the parametric model renders, the explorer runs the spec on each world to depth 10
(world_2x2's whole space has millions of states; every violation the model speaks about is at
most 8 steps deep there, and at most 8 in world_holes); the parametric model, instantiated on
the same world (finite sorts, the world's facts, the spec's boot machine), must agree per
invariant: a parametric proof covers every world (its boot state is one of the parametric
initial states, checked here), so a proved invariant must be one the explorer finds no
violation of in either world; one the parametric model does not prove must be one the explorer
finds violated in one of them (world_holes is where v3.8's and v4.15's holes make the nids, and
through them N_MEMORY, wrong), and for x_after_going a bounded search of the instance finds the
violation itself.

notifier_protocol is one invariant of the spec and three of the parametric model; the explorer's
violations are sorted into those three by their message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import z3

from checker.engines.explore import explore
from checker.model import SpecModel
from checker.engines.smt.parametric import PROFILES
from checker.engines.smt.parametric.engine import Prover, ground
from checker.engines.smt.parametric.instance import instance_sig, world_facts
from checker.engines.smt.parametric.invariants import axioms, initial
from checker.engines.smt.parametric.vocab import Vocab
from spec.config import load_world
from spec.profiles import get_profile

WORLD = Path(__file__).with_name("world_2x2.toml")
WORLDS = (WORLD, Path(__file__).with_name("world_holes.toml"))
PARTS = {  # notifier_protocol messages (spec/invariants.py) -> the parametric invariant
    "never closed": "going_closed", "without an open": "going_closed",
    "while another operation": "going_closed", "already delivered": "going_closed",
    "outside any operation": "going_closed", "got GOING but neither": "alloc_promise",
    "which never got": "x_after_going",
}
DEPTH = 10
SAME = ("node_state", "status_change_nid", "sysfs_links", "remove_only_offline")


def explorer_violated(profile: str, world: Path = WORLD) -> set[str]:
    """The parametric invariants the explorer finds violated on the world (to depth 10)."""
    res = explore(SpecModel(load_world(world), get_profile(profile)), max_depth=DEPTH)
    out = set()
    for (inv, _cause), hit in res.hits.items():
        if inv in SAME:
            out.add(inv)
        elif inv == "notifier_protocol":
            out.update(p for key, p in PARTS.items() if key in hit.violation.message)
    return out


@pytest.mark.parametrize("world", WORLDS, ids=lambda w: w.stem)
@pytest.mark.parametrize("profile", PROFILES)
def test_world_is_an_instance_of_the_parametric_model(profile: str, world: Path) -> None:
    """The world's boot machine satisfies the parametric initial states and axioms."""
    w = load_world(world)
    sig = instance_sig(w)
    facts, init = world_facts(w, profile, sig)
    V = Vocab(sig, "i")
    s = z3.Solver()
    s.add(ground(z3.And(facts, init(V, profile)), sig.domains))
    assert s.check() == z3.sat
    s.add(ground(z3.Not(z3.And(axioms(sig), initial(V, profile))), sig.domains))
    assert s.check() == z3.unsat


@pytest.mark.parametrize("profile", PROFILES)
def test_verdicts_agree_with_the_explorer(profile: str, runs) -> None:
    run = runs[profile]
    bad = set().union(*(explorer_violated(profile, w) for w in WORLDS))
    for name, o in run.outcomes.items():
        if o.verdict == "proved":
            assert name not in bad, (profile, name, "proved but the explorer finds a violation")
        else:
            assert name in bad, (profile, name, o.verdict, "not proved, explorer finds none")


def test_instance_search_finds_x_after_going() -> None:
    """v6.1 on the world: offline memory0 (a write or the eject), the first callback answers
    NOTIFY_STOP to GOING_OFFLINE, the pages go, MEM_OFFLINE reaches the first callback and then
    the second, which never saw GOING_OFFLINE (the explorer's 6 steps; its first call shares a
    step with the isolation, which is one transition more here)."""
    w = load_world(WORLD)
    sig = instance_sig(w)
    facts, init = world_facts(w, "v6.1", sig)
    pr = Prover("v6.1", 300.0, sig=sig, extra_axioms=facts, init=init)
    prop = next(p for p in pr.props if p.name == "x_after_going")
    hit = pr.bmc(prop, 7, 900.0)
    assert hit is not None
    k, path = hit
    assert k == 7 and path[0] in ("write_start", "eject_start")
    assert path[1:] == ["going_offline", "offline_pages", "call", "end_going_offline_commit",
                        "call", "call"]
