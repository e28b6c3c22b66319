"""The invariants of spec/invariants.py that the Z3 engine encodes, as predicates on a frame.

Models: the state invariants (judged, as the Monitor judges them, in quiescent states: no
operation in flight) ``node_state``, ``page_accounting``, ``state_matches_memory``,
``sysfs_dirs``, ``sysfs_names``, ``sysfs_end_phys_index``, ``sysfs_removable``, ``sysfs_links``,
and the checks the Monitor makes after every step, ``state_strings`` (a block reads
going-offline only while an operation runs on it) and ``slub_structures`` (the state part:
allocatable memory has SLUB structures). ``tests/checker/engines/smt/test_smt.py`` checks on the
reachable states of small worlds that each predicate says what the Monitor says.

The history invariants (``alloc_*``, ``status_change_nid``, ``remove_only_offline``,
``notifier_protocol``, ``chain_order``, ``rejected_write``) are the Monitor's own definition
(spec/history.py) run on Z3 terms over ghost fields, in :mod:`checker.engines.smt.ghosts`.

Leaves out: nothing of spec/invariants.py (every invariant is encoded here or there).
"""

from __future__ import annotations

from typing import Any, Callable

import z3

from checker.engines.smt.encoding import WIDTH, Layout
from spec.actions import MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE
from spec.state import KERNEL_ZONES

RES, ISO, ONL = 0, 1, 2
Frame = dict[str, Any]

def _bv(v: int) -> z3.BitVecRef:
    return z3.BitVecVal(v, WIDTH)


class Props:
    def __init__(self, layout: Layout) -> None:
        self.L = layout
        self.w, self.p = layout.world, layout.profile
        zt = layout.zone_tuples
        self.zt_kernel = [k for k, z in enumerate(zt) if any(x in KERNEL_ZONES for x in z)]
        self.mem_flag = "N_HIGH_MEMORY" if "N_HIGH_MEMORY" in self.p.node_flags else "N_MEMORY"
        self.slub = any(c.kind == "slub" for c in self.w.callbacks)

    def names(self) -> list[str]:
        """The encoded invariants that apply to this world and profile (explore.applicable)."""
        out = ["state_strings", "node_state", "page_accounting", "state_matches_memory",
               "sysfs_dirs", "sysfs_names", "sysfs_end_phys_index", "sysfs_removable", "sysfs_links"]
        if not self.p.end_phys_index:
            out.remove("sysfs_end_phys_index")
        if self.slub:
            out.insert(1, "slub_structures")
        return out

    def quiescent(self, S: Frame) -> z3.BoolRef:
        return z3.And([S[f"t{t}.kind"] == 0 for t in range(len(self.L.threads))])

    def holds(self, name: str, S: Frame) -> z3.BoolRef:
        """The invariant as the Monitor judges it in the state S (quiescent ones only there)."""
        body = self._body(name)(S)
        if name in ("state_strings", "slub_structures"):
            return body
        return z3.Implies(self.quiescent(S), body)

    def _body(self, name: str) -> Callable[[Frame], z3.BoolRef]:
        return getattr(self, "_" + name)  # type: ignore[no-any-return]

    # --- helpers ------------------------------------------------------------------------------
    def _blocks_of(self, n: int) -> list[int]:
        return [i for i, s in enumerate(self.w.blocks) if s.node == n]

    def _kernel(self, S: Frame, i: int) -> z3.BoolRef:
        return z3.Or([S[f"b{i}.zones"] == k for k in self.zt_kernel] or [z3.BoolVal(False)])

    def _pages(self, S: Frame, n: int, kernel_only: bool) -> z3.ArithRef:
        terms = [z3.If(z3.And(S[f"b{i}.pages"] != RES, self._kernel(S, i)) if kernel_only
                       else S[f"b{i}.pages"] != RES, _bv(self.w.ram_pages(self.w.blocks[i].id)), _bv(0))
                 for i in self._blocks_of(n)]
        return z3.Sum(terms) if terms else _bv(0)

    # --- the invariants -----------------------------------------------------------------------
    def _state_strings(self, S: Frame) -> z3.BoolRef:
        out = []
        for i in range(self.L.nblocks):
            st = S[f"b{i}.state"]
            busy = z3.Or([z3.And(S[f"t{t}.kind"] != 0, S[f"t{t}.block"] == i)
                          for t in range(len(self.L.threads))])
            ok = z3.Or(st == MEM_ONLINE, st == MEM_OFFLINE, z3.And(st == MEM_GOING_OFFLINE, busy))
            out.append(z3.Implies(S[f"b{i}.registered"], ok))
        return z3.And(out)

    def _slub_structures(self, S: Frame) -> z3.BoolRef:
        out = []
        for n in range(self.L.nnodes):
            kernel_only = self.p.slub_nid_field == "status_change_nid_normal"
            live = z3.Or([z3.And(S[f"b{i}.pages"] == ONL, self._kernel(S, i)) if kernel_only
                          else S[f"b{i}.pages"] == ONL for i in self._blocks_of(n)] or [z3.BoolVal(False)])
            out.append(z3.Implies(live, S[f"slub{n}"]))
        return z3.And(out)

    def _page_accounting(self, S: Frame) -> z3.BoolRef:
        return z3.And([S[f"n{n}.present"] == self._pages(S, n, False) for n in range(self.L.nnodes)])

    def _node_state(self, S: Frame) -> z3.BoolRef:
        out = []
        for n in range(self.L.nnodes):
            out.append(S[f"n{n}.{self.mem_flag}"] == (S[f"n{n}.present"] > 0))
            if "N_NORMAL_MEMORY" in self.p.node_flags:
                out.append(S[f"n{n}.N_NORMAL_MEMORY"] == (self._pages(S, n, True) > 0))
        return z3.And(out)

    def _state_matches_memory(self, S: Frame) -> z3.BoolRef:
        return z3.And([z3.Implies(S[f"b{i}.registered"],
                                  (S[f"b{i}.state"] == MEM_ONLINE) ==
                                  z3.And(S[f"b{i}.pages"] == ONL, S[f"b{i}.present"]))
                       for i in range(self.L.nblocks)])

    def _sysfs_dirs(self, S: Frame) -> z3.BoolRef:
        rng = range(self.L.nblocks)
        return z3.Sum([z3.If(S[f"b{i}.registered"], _bv(1), _bv(0)) for i in rng]) == \
            z3.Sum([z3.If(S[f"b{i}.present"], _bv(1), _bv(0)) for i in rng])

    def _sysfs_names(self, S: Frame) -> z3.BoolRef:
        expected = {self.w.first_section(s.id) for s in self.w.blocks}
        return z3.And([z3.Not(S[f"b{i}.registered"]) for i, s in enumerate(self.w.blocks)
                       if s.id not in expected] or [z3.BoolVal(True)])

    def _sysfs_end_phys_index(self, S: Frame) -> z3.BoolRef:
        w = self.w
        bad = [i for i, s in enumerate(w.blocks)
               if w.last_section(s.id) // w.sections_per_block != s.id + w.sections_per_block - 1]
        return z3.And([z3.Not(S[f"b{i}.registered"]) for i in bad] or [z3.BoolVal(True)])

    def _sysfs_removable(self, S: Frame) -> z3.BoolRef:
        out = []
        for i, s in enumerate(self.w.blocks):
            pages = S[f"b{i}.pages"]
            want0 = z3.BoolVal(s.unmovable) if s.unmovable else z3.BoolVal(False)
            want0 = z3.And(want0, pages == ONL)
            got0 = z3.BoolVal(False) if self.p.removable_always_one else \
                z3.And(z3.BoolVal(s.unmovable), pages != RES)
            out.append(z3.Implies(z3.And(S[f"b{i}.present"], S[f"b{i}.registered"]), want0 == got0))
        return z3.And(out)

    def _sysfs_links(self, S: Frame) -> z3.BoolRef:
        out = []
        for i, s in enumerate(self.w.blocks):
            reg, pres = S[f"b{i}.registered"], S[f"b{i}.present"]
            for n in range(self.L.nnodes):
                online = S[f"n{n}.online"]
                link = z3.And(reg, S[f"b{i}.link{n}"], online)  # node/nodeN/memoryX shown
                back = z3.And(reg, S[f"b{i}.back{n}"])  # memory/memoryX/nodeN shown
                if n in s.nodes:  # a present block of an online node has both
                    out.append(z3.Implies(z3.And(reg, pres, online), z3.And(link, back)))
                out.append(z3.Implies(link, z3.And(pres, back)))
                out.append(z3.Implies(back, z3.And(online, link)))
        return z3.And(out)

