"""The ghost-field invariants of checker/smt/ghosts.py: agreement with the Monitor, BMC.

The agreement test walks every reachable (state, Monitor state) pair of small worlds. For every
pair it finds, with the paths' guards compiled to Python (tests/checker/smt/pyeval.py), the one
path each of the spec's successors takes, and checks that the path's update gives the spec's
next state and the Monitor's next ghost fields, and that each of notifier_protocol,
chain_order and rejected_write is true on the step exactly when the Monitor reports it. Seeded
mutants (tests/mutants/spec/ghost_mutants.py) break each one; BMC must find each at the
explorer's shortest length, decoded, replayed and judged by the Monitor.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from pathlib import Path

import pytest

from checker.explore import explore, verdicts
from checker.model import SpecModel
from checker.smt.encoding import Layout
from checker.smt.ghosts import GHOST_INVARIANTS, GhostSystem
from checker.smt.props import Props
from checker.smt.steps import STEP_INVARIANTS
from spec.config import load_world
from spec.invariants import BY_NAME, Monitor
from spec.profiles import get_profile
from tests.checker.smt.pyeval import compile_conj, compile_term
from tests.checker.smt.test_steps import bmc_at_explorer_length
from tests.mutants.spec.ghost_mutants import GHOST_MANIFEST

WORLDS = Path(__file__).resolve().parent / "worlds"


def _agree(w, spec_cls=None, sym_cls=None) -> dict[str, int]:
    """The agreement check on every reachable (state, Monitor state) pair; returns, per ghost
    invariant, how many steps break it."""
    sm = SpecModel(w)
    if spec_cls is not None:
        sm.spec = spec_cls(w, sm.profile)
    sy = GhostSystem(w, sm.profile, *((sym_cls, spec_cls) if sym_cls else ()))
    L = sy.L
    guards = [compile_conj(p.guard) for p in sy.paths]
    upd = [{k: compile_term(v) for k, v in p.upd.items()} for p in sy.paths]
    bad = [{n: compile_term(b[n]) for n in GHOST_INVARIANTS} for b in sy.path_bad]
    by_action: dict = {}
    for k, p in enumerate(sy.paths):
        by_action.setdefault(p.action, []).append(k)
    mon = Monitor(w, sm.profile, sm.threads, True)
    s0 = sm.initial()[0]
    ms0, _, _ = mon.initial(sm.machine(s0), sm.view(s0))
    assert {**L.encode(s0), **L.encode_ghosts(ms0)} == sy.initial_values()
    seen = {(s0, ms0)}
    queue = deque([(s0, ms0)])
    hits = {n: 0 for n in GHOST_INVARIANTS}
    while queue:
        s, ms = queue.popleft()
        vals = {**L.encode(s), **L.encode_ghosts(ms)}
        en: dict = {}
        for a, ks in by_action.items():
            for k in ks:
                if guards[k](vals):
                    assert a not in en, f"two paths for {a}"
                    en[a] = k
        succ = list(sm.successors(s))
        assert set(en) == {a for a, _, _ in succ}, L.describe(vals)
        for a, s2, obs in succ:
            ms2, vs, _ = mon.step(ms, sm.machine(s), a, obs, sm.machine(s2), sm.quiescent(s2),
                                  lambda s2=s2: sm.view(s2))
            k = en[a]
            nxt = dict(vals)
            for f, fn in upd[k].items():
                v = fn(vals)
                nxt[f] = bool(v) if f in L.bools else int(v)
            want = {**L.encode(s2), **L.encode_ghosts(ms2)}
            assert nxt == want, (a, sorted(f for f in want if nxt[f] != want[f]), L.describe(vals))
            says = {v.invariant for v in vs}
            for n in GHOST_INVARIANTS:
                got = bool(bad[k][n](vals))
                assert got == (n in says), (n, a, [v.message for v in vs], L.describe(vals))
                hits[n] += got
            if (s2, ms2) not in seen:
                seen.add((s2, ms2))
                queue.append((s2, ms2))
    return hits


def _explorer(w, spec_cls=None) -> tuple[SpecModel, set[str]]:
    m = SpecModel(w)
    if spec_cls is not None:
        m.spec = spec_cls(w, m.profile)
    return m, {v.name for v in verdicts(m, explore(m), None) if v.verdict == "violated"}


@pytest.mark.parametrize("world,profile,want", [
    ("tiny", "v3.4", set()), ("tiny", "v6.1", {"rejected_write"}), ("eject", "v3.4", set()),
    ("eject", "v6.1", {"rejected_write"}), ("bare", "v3.4", set()), ("chain", "v3.4", set()),
    ("chain", "v6.1", {"rejected_write"})])
def test_ghost_predicates_agree_with_monitor(world: str, profile: str, want: set[str]) -> None:
    """Every reachable pair: the ghosts are the Monitor's, each predicate is its verdict, and
    the invariants broken on some step are the explorer's findings (under v6.1: a write of
    ``online`` to online memory fails with -EINVAL after setting the block's online type)."""
    w = load_world(WORLDS / f"{world}.toml").with_profile(profile)
    hits = _agree(w)
    _, broken = _explorer(w)
    assert {n for n, h in hits.items() if h} == broken & set(GHOST_INVARIANTS) == want


@pytest.mark.parametrize("profile,want", [("v3.4", set()), ("v6.1", {"rejected_write"})])
def test_ghost_predicates_agree_with_two_writers_and_reads(profile: str, want: set[str]) -> None:
    """Three threads (two writers and the firmware) and reads of ``state``: the cross-thread
    parts (another operation's open event, a write disturbed by another thread) and the
    read steps (no operation of their own) agree with the Monitor too."""
    w = load_world(WORLDS / "chain.toml").with_profile(profile)
    w = replace(w, writers=2, reads=True, texts=(b"online", b"offline"))
    hits = _agree(w)
    _, broken = _explorer(w)
    assert {n for n, h in hits.items() if h} == broken & set(GHOST_INVARIANTS) == want


@pytest.mark.parametrize("name", sorted(GHOST_MANIFEST))
def test_ghost_mutant(name: str) -> None:
    """Each mutant: agreement on all its reachable pairs (its invariant's predicate true on
    some steps, exactly where the Monitor says), and BMC finds the violation at the explorer's
    shortest length, decoded and replayed through the mutated spec."""
    spec_cls, sym_cls, world, profile, inv = GHOST_MANIFEST[name]
    w = load_world(WORLDS / f"{world}.toml").with_profile(profile)
    hits = _agree(w, spec_cls, sym_cls)
    assert hits[inv] > 0
    _, broken = _explorer(w, spec_cls)
    assert {n for n, h in hits.items() if h} == broken & set(GHOST_INVARIANTS)
    bmc_at_explorer_length(GhostSystem(w, get_profile(profile), sym_cls, spec_cls), spec_cls, inv)


def test_every_invariant_is_encoded_and_every_ghost_one_has_a_mutant() -> None:
    """spec/invariants.py's invariants are the state predicates, the step predicates and the
    ghost ones (each in one module); each ghost invariant has a mutant, on a world and profile
    where the unmutated spec keeps it (the explorer, complete), so its violation is the
    mutation's doing."""
    w = load_world(WORLDS / "tiny.toml")
    state = set(Props(Layout(w, get_profile("v3.4"))).names()) | set(
        Props(Layout(w.with_profile("v6.1"), get_profile("v6.1"))).names())
    assert state | set(STEP_INVARIANTS) | set(GHOST_INVARIANTS) == set(BY_NAME)
    assert {e[4] for e in GHOST_MANIFEST.values()} == set(GHOST_INVARIANTS)
    for _spec, _sym, world, profile, inv in GHOST_MANIFEST.values():
        _, broken = _explorer(load_world(WORLDS / f"{world}.toml").with_profile(profile))
        assert inv not in broken, (world, profile, inv)


def test_stale_ghost_certificate_is_mined_again(tmp_path, monkeypatch) -> None:
    """A ghost certificate read from too few pairs (the first 30) has lemmas Z3 cannot prove:
    it is named stale, the candidates are mined afresh, and the verdicts are the fresh ones."""
    from checker.smt import certificate, ghost_proof
    from checker.smt.engine import prove

    w = load_world(WORLDS / "tiny.toml").with_profile("v3.4")
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
    assert {r.name: r.verdict for r in got if r.name in GHOST_INVARIANTS} == dict.fromkeys(
        GHOST_INVARIANTS, "proved")
