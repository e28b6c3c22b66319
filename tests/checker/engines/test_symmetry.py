"""Symmetry reduction of the benchmark world: the canonical form picks one state per orbit, the
orbit sizes add up to the full counts, and the invariants cannot tell the members of an orbit
apart. The group is applied here by hand, independently of checker.engines.bench.symmetry."""

from __future__ import annotations

import random
from itertools import permutations, product

import pytest

from checker.engines.bench import BenchModel, parse_bench
from checker.engines.bench.model import IDLE
from checker.engines.bench.symmetry import Symmetry
from checker.engines.explore import explore


def group(model: BenchModel):
    """Every (writer permutation, block permutation) of the world's symmetry group."""
    w = model.world
    classes: dict[tuple[int, bool], list[int]] = {}
    for b in range(w.B):
        classes.setdefault((b % w.N, b < w.B // 2), []).append(b)
    cls = list(classes.values())
    for wp in permutations(range(w.W)):
        for parts in product(*(permutations(c) for c in cls)):
            bp = {}
            for c, p in zip(cls, parts):
                bp.update(zip(c, p))
            yield wp, bp


def act(model: BenchModel, s: int, wp, bp) -> int:
    d = model.decode(s)
    w = model.world
    e = dict(d)
    for key in ("present", "bstate"):
        e[key] = [0] * w.B
        for b in range(w.B):
            e[key][bp[b]] = d[key][b]
    e["prep"] = [[0] * w.B for _ in range(w.K)]
    for k in range(w.K):
        for b in range(w.B):
            e["prep"][k][bp[b]] = d["prep"][k][b]
    for key in ("pc", "a", "b"):
        e[key] = [0] * w.W
    for i in range(w.W):
        j = wp[i]
        e["pc"][j], e["a"][j] = d["pc"][i], d["a"][i]
        e["b"][j] = bp[d["b"][i]] if d["pc"][i] != IDLE else 0
    return model.encode(e)


def sample_states(model: BenchModel, n: int, seed: int = 1) -> list[int]:
    """States from random walks (reachable ones)."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        s = model.initial_keys()[0]
        for _ in range(rng.randrange(1, 60)):
            succ, _ = model.expand(s)
            s = rng.choice(succ)
        out.append(s)
    return out


WORLDS = ["spin-bench:B=5,N=2,K=2,W=2", "spin-bench:B=4,N=1,K=1,W=3", "spin-bench:B=6,N=2,K=1,W=2"]


@pytest.mark.parametrize("spec", WORLDS)
def test_canonical_is_constant_on_orbits_and_orbit_sizes_count_them(spec) -> None:
    model = BenchModel(parse_bench(spec))
    sym = Symmetry(model)
    elems = list(group(model))
    assert len(elems) == sym.order
    for s in sample_states(model, 60):
        orbit = {act(model, s, wp, bp) for wp, bp in elems}
        canon = {sym.canonical(x) for x in orbit}
        assert len(canon) == 1 and canon <= orbit
        assert sym.orbit_size(canon.pop()) == len(orbit)


@pytest.mark.parametrize("spec", WORLDS)
def test_invariants_and_degrees_are_symmetric(spec) -> None:
    model = BenchModel(parse_bench(spec + ",BUG=3"))
    elems = list(group(model))
    rng = random.Random(2)
    for s in sample_states(model, 40):
        wp, bp = rng.choice(elems)
        t = act(model, s, wp, bp)
        (ss, vs), (st, vt) = model.expand(s), model.expand(t)
        assert len(ss) == len(st)
        assert sorted((i, c) for _, i, c in vs or []) == sorted((i, c) for _, i, c in vt or [])
        assert sorted(act(model, x, wp, bp) for x in ss) == sorted(st)  # g maps edges to edges


@pytest.mark.parametrize("spec", WORLDS[:2] + ["spin-bench:B=4,N=2,K=2,W=2,BUG=2"])
def test_full_counts_equal_the_unreduced_search(spec) -> None:
    model = BenchModel(parse_bench(spec))
    on, off = explore(model), explore(model, symmetry=False)
    assert on.symmetry and not off.symmetry
    assert (on.states, on.transitions, on.depth) == (off.states, off.transitions, off.depth)
    assert on.orbits < off.orbits == off.states
    assert {k: len(t) for k, t in on.traces.items()} == {k: len(t) for k, t in off.traces.items()}


def test_one_writer_and_no_alike_blocks_has_no_symmetry() -> None:
    model = BenchModel(parse_bench("spin-bench:B=2,N=1,K=1,W=1"))
    assert model.symmetry() is None
    assert not explore(model).symmetry
