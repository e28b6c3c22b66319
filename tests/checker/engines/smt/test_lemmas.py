"""Structural lemmas and Houdini: what is proved on the tiny world, and that nothing unproved is.

Pins the verdicts of ``memhp prove --k 1`` on tests/checker/engines/smt/worlds/tiny.toml under both
profiles and checks them against the explorer's complete verdicts; checks that the lemmas the
Houdini loop keeps hold on every reachable state even when their candidates come from too few
states (so the loop drops the ones that are too strong), that too few lemmas leave a cti, and
that a spec mutant's violated invariant is never proved.
"""

from __future__ import annotations

import time

import pytest
import z3

from checker.engines.explore import explore, verdicts
from checker.model import SpecModel
from checker.engines.smt.bmc import Checker
from checker.engines.smt.engine import prove
from checker.engines.smt.ghosts import GHOST_INVARIANTS
from checker.engines.smt.lemmas import Terms, conjunction, houdini, mine
from checker.engines.smt.props import Props
from checker.engines.smt.system import System
from spec.profiles import get_profile
from tests.checker.engines.smt.reach import spec_states
from tests.checker.engines.smt.test_smt import tiny
from tests.mutants.spec.mutants import MANIFEST

PINNED = {
    "v3.4": {"state_strings": "proved", "slub_structures": "proved", "node_state": "proved",
             "page_accounting": "proved", "state_matches_memory": "cti", "sysfs_dirs": "cti",
             "sysfs_names": "proved", "sysfs_end_phys_index": "proved",
             "sysfs_removable": "proved", "sysfs_links": "cti",
             "alloc_going_online": "proved", "alloc_online": "proved",
             "alloc_going_offline": "proved", "alloc_cancel_offline": "cti",
             "status_change_nid": "cti", "remove_only_offline": "cti",
             "node_state_going": "cti", "node_state_done": "proved",
             "notifier_protocol": "proved", "chain_order": "proved", "rejected_write": "proved"},
    "v6.1": {"state_strings": "proved", "slub_structures": "proved", "node_state": "proved",
             "page_accounting": "proved", "state_matches_memory": "proved", "sysfs_dirs": "proved",
             "sysfs_names": "proved", "sysfs_removable": "violated", "sysfs_links": "proved",
             "alloc_going_online": "proved", "alloc_online": "proved",
             "alloc_going_offline": "proved", "alloc_cancel_offline": "proved",
             "status_change_nid": "proved", "remove_only_offline": "proved",
             "node_state_going": "proved", "node_state_done": "proved",
             "notifier_protocol": "proved", "chain_order": "proved", "rejected_write": "cti"},
}


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_tiny_world_proofs_pinned(profile: str) -> None:
    w = tiny(profile)
    results, notes = prove(w, get_profile(profile), 1, 300)
    got = {r.name: r.verdict for r in results}
    assert got == PINNED[profile]
    m = SpecModel(w)
    explorer = {v.name: v.verdict for v in verdicts(m, explore(m), None)}
    for r in results:  # proved exactly where the complete search passes, cti where it finds one
        assert explorer[r.name] == ("passed" if r.verdict == "proved" else "violated"), r.name
        if r.verdict == "proved":
            assert r.message.startswith("1-inductive together with the lemmas "
                                        + ("ghost:w0" if r.name in GHOST_INVARIANTS else "control:w0"))
        if r.verdict == "cti":
            assert "pre-state: memory0" in r.message
    assert any("lemmas proved (7 of 7)" in n for n in notes)


def _reachable(sy: System) -> list[dict]:
    terms = Terms(sy.L)
    return [terms.values(sy.L.encode(s)) for s in spec_states(sy)]


def test_kept_lemmas_hold_on_every_reachable_state() -> None:
    """Candidates read from the first 60 states are too strong; Houdini drops exactly enough."""
    sy = System(tiny("v3.4"), get_profile("v3.4"))
    cands, n, complete = mine(sy, budget=60)
    assert not complete and n <= 70
    by = {c.name: c for c in cands}
    h = houdini(Checker(sy, time.monotonic() + 120)._sat, sy,
                conjunction(sy, Props(sy.L), [], cands), 1)
    assert h.dropped, "a prefix of the search gave no too-strong candidate"
    states = _reachable(sy)
    for name in h.kept:
        c = by[name]
        assert all(c.get(v) in c.rows for v in states), name
    # and each dropped candidate is really too strong, or fell with one that is
    wrong = {c.name for c in cands if any(c.get(v) not in c.rows for v in states)}
    assert wrong and wrong <= set(h.dropped)


def test_too_few_lemmas_leave_a_cti() -> None:
    """page_accounting with only the control and lock lemmas is not inductive: cti."""
    sy = System(tiny("v6.1"), get_profile("v6.1"))
    cands, _, _ = mine(sy)
    cands = [c for c in cands if c.name.startswith(("control", "locks"))]
    h = houdini(Checker(sy, time.monotonic() + 120)._sat, sy,
                conjunction(sy, Props(sy.L), ["page_accounting"], cands), 1)
    assert "page_accounting" not in h.kept
    assert "pre-state" in h.dropped["page_accounting"]


def test_mutant_invariant_never_proved() -> None:
    """A registration left out of hot-add breaks sysfs_dirs two steps in: BMC to depth 0 misses
    it, and the Houdini loop, with lemmas read from the mutant's own states, must drop it."""
    steps, world, profile, inv, length = MANIFEST["hotadd_unregistered"]
    assert world == "tiny" and length == 2
    w = tiny(profile)
    sy = System(w, get_profile(profile), steps)
    cands, _, complete = mine(sy)
    assert complete
    h = houdini(Checker(sy, time.monotonic() + 120)._sat, sy,
                conjunction(sy, Props(sy.L), [inv], cands), 1)
    assert inv not in h.kept and inv in h.dropped


def test_diagram_accepts_exactly_the_rows() -> None:
    """A projection's decision diagram, evaluated on concrete values, accepts each mined row
    and rejects every tuple that differs from a row in one term (when that tuple is no row)."""
    sy = System(tiny("v3.4"), get_profile("v3.4"))
    cands, _, complete = mine(sy)
    assert complete
    terms = Terms(sy.L)
    for c in cands:
        xs = [z3.BitVec(f"k{j}", 32) if not isinstance(v, bool) else z3.Bool(f"k{j}")
              for j, v in enumerate(next(iter(c.rows)))]
        frame = dict(zip(c.keys, xs))
        f = c.holds(frame, _Plain(terms))
        _root, nodes = c.diagram()
        assert len(nodes) <= sum(len(r) for r in c.rows)
        probes = set(c.rows)
        for r in sorted(c.rows)[:40]:
            for j, v in enumerate(r):
                probes.add(r[:j] + ((not v) if isinstance(v, bool) else v + 1,) + r[j + 1:])
        for r in probes:
            val = z3.simplify(z3.substitute(f, *[(x, z3.BoolVal(v) if isinstance(v, bool)
                                                  else z3.BitVecVal(v, 32)) for x, v in zip(xs, r)]))
            assert z3.is_true(val) == (r in c.rows), (c.name, r)


class _Plain:
    """Terms rendered as the frame's own variables (the diagram test's frame is the keys)."""

    def __init__(self, terms: Terms) -> None:
        self.terms = terms

    def expr(self, key: str, S: dict) -> object:
        return S[key]
