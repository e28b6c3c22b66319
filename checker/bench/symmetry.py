"""Symmetry reduction of the benchmark world: an exact canonical form of each orbit.

The group G acting on states is S_W (writers permuted) x the product, over each class of blocks
alike in node and initial state (``b % N`` and ``b < B // 2``), of the permutations of that class.
(The benchmark has no zones, so "alike in zone" adds nothing.) The transition relation and the
initial state are invariant under G: a permuted block keeps its node, so ``pp``/``hm`` are
unchanged, and a writer's identity shows only in who holds the mutex, which the packed state
derives from the writers' phases. Every invariant is symmetric too: I1, I2 quantify over nodes
(fixed by G), I3 and I4 over all blocks and callbacks, I5 speaks of the committing writer's own
node, and a violation's cause names the transition kind, never a writer or a block. So a state
violates an invariant iff every state of its orbit does, and BFS depth is the same on the orbit.

Canonical form: inside each class, sort the block chunks (a chunk holds all the state says about
the block); blocks with equal chunks are interchangeable except through the writers that name
them, so every permutation of such ties is tried; in each candidate the writers' ``b`` are
renamed and the writer chunks sorted; the least result is the canonical state. This picks one
state per orbit (the set of candidates is the same for every member of the orbit), so the number
of canonical states is the orbit count.

Orbit size: |G| / |Stab(c)|, where |Stab(c)| = (number of tie permutations that keep the
multiset of writer chunks) x prod(m!) over the multiplicities m of equal writer chunks. The full
state count is the sum of the orbit sizes; every state of an orbit has the same number of
enabled transitions, so the full transition count is the sum of orbit size x out-degree.
"""

from __future__ import annotations

from itertools import permutations, product
from math import factorial

from checker.bench.model import IDLE, BenchModel


class Symmetry:
    def __init__(self, model: BenchModel) -> None:
        w, L = model.world, model.L
        self.L = L
        self.W = w.W
        half = w.B // 2
        groups: dict[tuple[int, bool], list[int]] = {}
        for b in range(w.B):
            groups.setdefault((b % w.N, b < half), []).append(b)
        self.classes = [g for g in groups.values() if len(g) > 1]
        self.order = factorial(w.W)
        for g in self.classes:
            self.order *= factorial(len(g))
        self.low_mask = (1 << L.WRI) - 1
        self.block_mask = (1 << (w.B * L.CB)) - 1
        self.trivial = not self.classes and w.W == 1

    # --- helpers ---------------------------------------------------------------------------
    def _writers(self, s: int) -> list[int]:
        L = self.L
        v = s >> L.WRI
        return [(v >> (i * L.WW)) & L.WM for i in range(self.W)]

    def _pack_writers(self, ws: list[int]) -> int:
        v = 0
        for c in reversed(ws):
            v = (v << self.L.WW) | c
        return v

    @staticmethod
    def _rename(ws: list[int], ren: dict[int, int]) -> list[int]:
        """Writers' blocks renamed (IDLE writers keep their canonical b = 0)."""
        out = []
        for c in ws:
            if (c & 7) != IDLE:
                b = c >> 5
                nb = ren.get(b, b)
                if nb != b:
                    c = (c & 31) | (nb << 5)
            out.append(c)
        return out

    def _sorted_blocks(self, s: int) -> tuple[int, dict[int, int], list[list[int]]]:
        """The block part with each class sorted, the renaming old block -> new block, and the
        tie groups (new positions holding equal chunks) that some writer names."""
        L = self.L
        CB, CM = L.CB, L.CM
        blocks = s & self.block_mask
        ren: dict[int, int] = {}
        ties: list[list[int]] = []
        for cls in self.classes:
            chunks = [((s >> (b * CB)) & CM, b) for b in cls]
            srt = sorted(chunks)
            if srt != chunks:
                for pos, (ch, old) in zip(cls, srt):
                    blocks = (blocks & ~(CM << (pos * CB))) | (ch << (pos * CB))
                    if old != pos:
                        ren[old] = pos
            j = 0
            while j < len(srt):
                k = j + 1
                while k < len(srt) and srt[k][0] == srt[j][0]:
                    k += 1
                if k - j > 1:
                    ties.append(cls[j:k])
                j = k
        return blocks, ren, ties

    def _tie_renamings(self, ties: list[list[int]]) -> list[dict[int, int]]:
        out = []
        for perms in product(*(permutations(t) for t in ties)):
            ren = {}
            for t, p in zip(ties, perms):
                ren.update(zip(t, p))
            out.append(ren)
        return out

    # --- the canonical form and the orbit size -------------------------------------------------
    def canonical(self, s: int) -> int:
        if self.trivial:
            return s
        L = self.L
        ws = self._writers(s)
        if not self.classes:
            return (s & self.low_mask) | (self._pack_writers(sorted(ws)) << L.WRI)
        blocks, ren, ties = self._sorted_blocks(s)
        ws = self._rename(ws, ren) if ren else ws
        rest = s & self.low_mask & ~self.block_mask
        named = {c >> 5 for c in ws if (c & 7) != IDLE}
        ties = [t for t in ties if named.intersection(t)]
        if not ties:
            best = sorted(ws)
        else:
            best = min(sorted(self._rename(ws, r)) for r in self._tie_renamings(ties))
        return blocks | rest | (self._pack_writers(best) << L.WRI)

    def orbit_size(self, c: int) -> int:
        """|G| / |Stab(c)| for a canonical state ``c``."""
        if self.trivial:
            return 1
        ws = self._writers(c)
        stab = 1
        for m in _multiplicities(ws):
            stab *= factorial(m)
        if self.classes:
            _, _, ties = self._sorted_blocks(c)
            named = {x >> 5 for x in ws if (x & 7) != IDLE}
            free = [t for t in ties if not named.intersection(t)]
            bound = [t for t in ties if named.intersection(t)]
            for t in free:
                stab *= factorial(len(t))
            if bound:
                key = sorted(ws)
                stab *= sum(1 for r in self._tie_renamings(bound) if sorted(self._rename(ws, r)) == key)
        return self.order // stab


def _multiplicities(ws: list[int]) -> list[int]:
    counts: dict[int, int] = {}
    for c in ws:
        counts[c] = counts.get(c, 0) + 1
    return list(counts.values())
