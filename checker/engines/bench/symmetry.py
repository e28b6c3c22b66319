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

Speed: the sorted form of each block part and each (writer part, renaming) are cached, since a
world has few of either; on the common path a canonical form is two dict lookups.
"""

from __future__ import annotations

from itertools import permutations, product
from math import factorial
from typing import TYPE_CHECKING

from checker.engines.bench.world import IDLE

if TYPE_CHECKING:
    from checker.engines.bench.model import BenchModel


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
        self.rest_mask = self.low_mask & ~self.block_mask
        self.trivial = not self.classes and w.W == 1
        # per writer chunk: the bit of the block it names (0 for IDLE, whose b = 0 names nothing)
        self.named = [0 if (c & 7) == IDLE else 1 << (c >> 5) for c in range(1 << L.WW)]
        self._blocks: dict[int, tuple[int, int, list[list[int]], int]] = {}
        self._maps: dict[tuple[tuple[int, int], ...], list[int]] = {}
        self._map_list: list[list[int]] = []
        self._map_index: dict[tuple[tuple[int, int], ...], int] = {}
        self.wbits = w.W * L.WW
        # (writer bits | map index << wbits) -> (writers renamed, sorted and packed; blocks named)
        self._wcache: dict[int, tuple[int, int]] = {}
        self._index({})  # map 0 is the identity
        self._mult: dict[int, tuple[int, int]] = {}  # writer bits -> (prod m!, blocks named)

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

    def _chunk_map(self, ren: dict[int, int]) -> list[int]:
        """Writer chunk -> the chunk with its block renamed (IDLE writers keep b = 0)."""
        key = tuple(sorted(ren.items()))
        m = self._maps.get(key)
        if m is None:
            m = []
            for c in range(1 << self.L.WW):
                if (c & 7) != IDLE and (c >> 5) in ren:
                    c = (c & 31) | (ren[c >> 5] << 5)
                m.append(c)
            self._maps[key] = m
        return m

    def _index(self, ren: dict[int, int]) -> int:
        key = tuple(sorted(ren.items()))
        i = self._map_index.get(key)
        if i is None:
            i = self._map_index[key] = len(self._map_list)
            self._map_list.append(self._chunk_map(ren))
        return i

    def _writers_under(self, v: int, idx: int) -> tuple[int, int]:
        """Writer bits ``v`` renamed by map ``idx``, sorted and packed; and the blocks they name."""
        key = v | (idx << self.wbits)
        r = self._wcache.get(key)
        if r is None:
            m = self._map_list[idx]
            L = self.L
            ws = sorted(m[(v >> (i * L.WW)) & L.WM] for i in range(self.W))
            named = 0
            for c in ws:
                named |= self.named[c]
            r = self._wcache[key] = (self._pack_writers(ws), named)
        return r

    def _block_entry(self, part: int) -> tuple[int, int, list[list[int]], int]:
        """For a block part: the part with each class sorted, the chunk map that renames the
        writers' blocks accordingly (None: nothing moves), the chunk maps of every permutation
        of the blocks tied (equal chunks in one class) after sorting, and the mask of those
        tied blocks. Cached: the block parts are few."""
        e = self._blocks.get(part)
        if e is not None:
            return e
        L = self.L
        CB, CM = L.CB, L.CM
        blocks = part
        ren: dict[int, int] = {}
        ties: list[list[int]] = []
        for cls in self.classes:
            chunks = [((part >> (b * CB)) & CM, b) for b in cls]
            srt = sorted(chunks)
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
        tie_maps = []
        for perms in product(*(permutations(t) for t in ties)):
            r: dict[int, int] = {}
            for tg, pm in zip(ties, perms):
                r.update((a, b) for a, b in zip(tg, pm) if a != b)
            tie_maps.append(self._chunk_map(r))
        mask = 0
        for tg in ties:
            for b in tg:
                mask |= 1 << b
        e = (blocks, self._index(ren), tie_maps, mask)
        self._blocks[part] = e
        return e

    # --- the canonical form and the orbit size -------------------------------------------------
    def canonical(self, s: int) -> int:
        if self.trivial:
            return s
        L = self.L
        e = self._blocks.get(s & self.block_mask)
        if e is None:
            e = self._block_entry(s & self.block_mask)
        blocks, idx, tie_maps, tmask = e
        v = s >> L.WRI
        packed, named = self._writers_under(v, idx)
        if named & tmask:
            m = self._map_list[idx]
            ws = [m[(v >> (i * L.WW)) & L.WM] for i in range(self.W)]
            packed = self._pack_writers(min(sorted([tm[c] for c in ws]) for tm in tie_maps))
        return blocks | (s & self.rest_mask) | (packed << L.WRI)

    def orbit_size(self, c: int) -> int:
        """|G| / |Stab(c)| for a canonical state ``c``."""
        if self.trivial:
            return 1
        v = c >> self.L.WRI
        wf = self._mult.get(v)
        if wf is None:
            ws = self._writers(c)
            f = 1
            for m in _multiplicities(ws):
                f *= factorial(m)
            named = 0
            for x in ws:
                named |= self.named[x]
            wf = self._mult[v] = (f, named)
        stab, named = wf
        e = self._blocks.get(c & self.block_mask) or self._block_entry(c & self.block_mask)
        _, _, tie_maps, tmask = e
        if named & tmask:
            ws = self._writers(c)
            key = sorted(ws)
            stab *= sum(1 for m in tie_maps if sorted([m[x] for x in ws]) == key)
        else:
            stab *= len(tie_maps)
        return self.order // stab


def _multiplicities(ws: list[int]) -> list[int]:
    counts: dict[int, int] = {}
    for c in ws:
        counts[c] = counts.get(c, 0) + 1
    return list(counts.values())
