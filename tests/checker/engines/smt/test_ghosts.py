"""The history invariants on the ghost system (checker/engines/smt/ghosts.py): agreement with the
Monitor under every profile, BMC at the explorer's lengths, mutants, k-induction verdicts.

The agreement test walks the reachable (state, Monitor state) pairs of small worlds: every
successor takes one path, whose update is the spec's next state and the Monitor's next ghosts,
and each history predicate is true on the step exactly when the Monitor reports that invariant
(tests/checker/engines/smt/agree.py). The ghost system runs the Monitor's own definition
(spec/history.py) on Z3 terms, so this is the check that its two interpretations agree. Seeded
mutants (tests/mutants/spec/step_mutants.py, ghost_mutants.py) break each history invariant;
BMC must find each at the explorer's shortest length, decoded, replayed and judged by the
Monitor.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from checker.engines.smt.bmc import Checker
from checker.engines.smt.encoding import Layout
from checker.engines.smt.engine import prove
from checker.engines.smt.ghost_proof import houdini_steps
from checker.engines.smt.ghosts import GHOST_INVARIANTS, GhostSystem
from checker.engines.smt.props import Props
from spec.config import load_world
from spec.invariants import BY_NAME
from spec.profiles import PROFILES, get_profile
from spec.worlds import builtin_world
from tests.checker.engines.smt.agree import bmc_at_explorer_length, explorer_violated, history_agreement
from tests.mutants.spec.ghost_mutants import GHOST_MANIFEST
from tests.mutants.spec.step_mutants import STEP_MANIFEST

WORLDS = Path(__file__).resolve().parent / "worlds"
MUTANTS = {**STEP_MANIFEST, **GHOST_MANIFEST}


def _world(name: str, profile: str):
    return load_world(WORLDS / f"{name}.toml").with_profile(profile)


@pytest.mark.parametrize("world,profile", [
    ("tiny", "v3.4"), ("tiny", "v6.1"), ("eject", "v3.4"), ("eject", "v6.1"), ("bare", "v3.4"),
    ("bare", "v6.1"), ("chain", "v3.4"), ("chain", "v6.1")])
def test_history_predicates_agree_with_monitor(world: str, profile: str) -> None:
    """Every reachable pair: the ghosts are the Monitor's, each predicate is its verdict, and
    the invariants broken on some step are exactly the explorer's findings among them."""
    w = _world(world, profile)
    hits = history_agreement(GhostSystem(w, get_profile(profile)))
    broken = {n for n, h in hits.items() if h}
    assert broken == explorer_violated(w) & set(GHOST_INVARIANTS)
    if world == "bare":  # no callbacks: no call to judge, no witness of a flip
        assert broken <= {"rejected_write"}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_history_predicates_agree_under_every_profile(profile: str) -> None:
    """The tiny world under each profile (the first 3000 pairs), including the later ones:
    3.8's zone move, 4.15's cancel order, 6.17's node notifier."""
    history_agreement(GhostSystem(_world("tiny", profile), get_profile(profile)), 3000)


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_history_predicates_agree_with_two_writers_and_reads(profile: str) -> None:
    """Three threads (two writers and the firmware) and reads of ``state``: the cross-thread
    parts (another operation's open event, a write disturbed by another thread) and the
    read steps (no operation of their own) agree with the Monitor too."""
    w = replace(_world("chain", profile), writers=2, reads=True, texts=(b"online", b"offline"))
    hits = history_agreement(GhostSystem(w, get_profile(profile)))
    assert {n for n, h in hits.items() if h} == explorer_violated(w) & set(GHOST_INVARIANTS)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_history_mutant(name: str) -> None:
    """Each mutant (one definition, both interpretations): agreement on all its reachable
    pairs (its invariant's predicate true on some steps, exactly where the Monitor says), and
    BMC finds the violation at the explorer's shortest length, decoded and replayed through
    the mutated spec."""
    steps, world, profile, inv = MUTANTS[name]
    w = _world(world, profile)
    assert inv not in explorer_violated(w)  # the unmutated spec keeps it: the mutation's doing
    sy = GhostSystem(w, get_profile(profile), steps)
    hits = history_agreement(sy)
    assert hits[inv] > 0
    assert {n for n, h in hits.items() if h} == explorer_violated(w, steps) & set(GHOST_INVARIANTS)
    bmc_at_explorer_length(sy, inv)


def test_every_invariant_is_encoded_and_every_history_one_has_a_mutant() -> None:
    """spec/invariants.py's invariants are the state predicates and the history ones; each
    history invariant has a mutant."""
    w = load_world(WORLDS / "tiny.toml")
    state = set(Props(Layout(w, get_profile("v3.4"))).names()) | set(
        Props(Layout(w.with_profile("v6.1"), get_profile("v6.1"))).names())
    assert state | set(GHOST_INVARIANTS) == set(BY_NAME)
    assert {e[3] for e in MUTANTS.values()} == set(GHOST_INVARIANTS)


def test_bmc_default_world_at_explorer_length() -> None:
    """v3.4 default world (checker/review/baseline.json): status_change_nid at 4 transitions and
    alloc_cancel_offline at 6, decoded, replayed and judged by the Monitor; the other step
    invariants pass to depth 6."""
    w = builtin_world("default")
    sy = GhostSystem(w, get_profile("v3.4"))
    names = ["status_change_nid", "alloc_cancel_offline", "alloc_going_online", "alloc_online",
             "alloc_going_offline", "remove_only_offline"]
    out = Checker(sy, time.monotonic() + 300).bmc(names, 6)
    got = {n: (o.verdict, o.bound) for n, o in out.items()}
    assert got == {"status_change_nid": ("violated", 4), "alloc_cancel_offline": ("violated", 6),
                   "alloc_going_online": ("passed", 6), "alloc_online": ("passed", 6),
                   "alloc_going_offline": ("passed", 6), "remove_only_offline": ("passed", 6)}
    for n in ("status_change_nid", "alloc_cancel_offline"):
        tr = out[n].trace
        assert tr is not None and len(tr) == out[n].bound and tr.invariant == n
        assert tr.cause == {"status_change_nid": "offline:MEM_GOING_OFFLINE",
                            "alloc_cancel_offline": "offline:MEM_CANCEL_OFFLINE"}[n]


def test_bmc_remove_only_offline_small_world() -> None:
    """v3.4 ejects a device whose memory is online (the default world needs 21 steps): on a
    world of one hot-pluggable block, BMC finds it at the explorer's length."""
    sy = GhostSystem(_world("eject", "v3.4"), get_profile("v3.4"))
    bmc_at_explorer_length(sy, "remove_only_offline")


def test_history_violation_through_prove() -> None:
    """prove: a history invariant violated within k - 1 steps comes out violated with its
    trace (alloc_cancel_offline, 3 steps on the eject world under v3.4)."""
    w = _world("eject", "v3.4")
    got = {r.name: r for r in prove(w, get_profile("v3.4"), 4, 300)[0]}
    r = got["alloc_cancel_offline"]
    assert r.verdict == "violated" and r.bound == 3 and r.trace is not None and len(r.trace) == 3


def test_history_cti_without_lemmas() -> None:
    """Without lemmas, status_change_nid (which holds on the tiny world under v6.1) is not
    1-inductive: some unreachable pre-state breaks it in one step. A cti naming the step and
    its pre-state, never a violation."""
    sy = GhostSystem(_world("tiny", "v6.1"), get_profile("v6.1"))
    ch = Checker(sy, time.monotonic() + 120)
    h = houdini_steps(ch._sat, sy, ["status_change_nid"], [], 1)
    assert "status_change_nid" not in h.kept and not h.violated
    assert "pre-state" in h.dropped["status_change_nid"]


def test_stale_ghost_certificate_is_mined_again(tmp_path, monkeypatch) -> None:
    """A ghost certificate read from too few pairs (the first 30) has lemmas Z3 cannot prove:
    it is named stale, the candidates are mined afresh, and the verdicts are the fresh ones."""
    from checker.engines.smt import certificate, ghost_proof

    w = _world("tiny", "v3.4")
    fresh, _ = prove(w, get_profile("v3.4"), 1, 300)
    sy = GhostSystem(w, get_profile("v3.4"))
    cands, n, complete = ghost_proof.mine(sy, 30, float("inf"))
    assert not complete
    path = tmp_path / "tiny-v3.4-ghosts.json"
    path.write_text(certificate.dump(sy.L, cands, n))
    monkeypatch.setattr(ghost_proof.certificate, "shipped", lambda L, kind="": path)
    got, notes = prove(w, get_profile("v3.4"), 1, 300)
    assert any("ghost certificate's lemmas" in x and "stale" in x for x in notes)
    assert any(x.startswith("smt: ghost lemma candidates from the certificate") for x in notes)
    assert [(r.name, r.verdict) for r in got] == [(r.name, r.verdict) for r in fresh]
