"""Packed states: every field of the noted ghost layout as a bit range of one Python int.

Models: a search state of the explorer, (spec State, Monitor state), as the field record of
:class:`checker.engines.compiled.notes.NotedLayout`, each field stored as ``value - lo`` in
``width`` bits (``lo`` the least value of its domain). The order puts what the state checks
read first (blocks, nodes, SLUB), then the locks, then per thread its control fields
(:data:`spec.steps.ctx.CONTROL`, contiguous: one shift and mask selects the thread's group of
paths) and its data fields, then the Monitor's records. :meth:`Packing.decode_state` and
:meth:`Packing.decode_machine` rebuild the spec's State, so that state checks, traces and
findings are the spec's own.

Leaves out: nothing of the state; the error injector's settings are constants of the world
(no explored action changes them) and come from the initial machine.
"""

from __future__ import annotations

from typing import Any

from checker.engines.compiled.notes import NotedLayout
from checker.engines.smt.encoding import FIELD, OP_FIELDS, PAGES
from spec.state import Block, Machine, Node, Op, State
from spec.steps.ctx import CONTROL


class Packing:
    """Bit ranges of the fields of ``L`` (module docstring)."""

    def __init__(self, L: NotedLayout, initial: Machine) -> None:
        self.L = L
        self.inject = initial.inject
        names = list(L.names)
        machine = [n for n in names if n[0] in "bns"]
        locks = [n for n in names if n.startswith("lock:")]
        order = machine + locks
        for t in range(len(L.threads)):
            order += [f"t{t}.{FIELD.get(f, f)}" for f in CONTROL]
            order += [n for n in names if n.startswith(f"t{t}.") and n not in order]
        order += [n for n in names if n not in order]
        assert sorted(order) == sorted(names), "every field packed once"
        self.order = tuple(order)
        self.index = {n: k for k, n in enumerate(order)}
        self.off: dict[str, int] = {}
        self.width: dict[str, int] = {}
        self.lo: dict[str, int] = {}
        pos = 0
        for n in order:
            if n in L.ints:
                dom = L.ints[n]
                lo, hi = min(dom), max(dom)
                if n.endswith(".present") and n[0] == "n":
                    # a node's page count below zero is a finding (page accounting), not a
                    # state to lose: room for it down to -hi
                    lo = -hi
            else:
                lo, hi = 0, 1
            self.off[n], self.lo[n], self.width[n] = pos, lo, (hi - lo).bit_length()
            pos += self.width[n]
        self.bits = pos
        self.full = (1 << pos) - 1
        #: the thread's control fields: (offset, mask) of the whole tuple
        self.control: list[tuple[int, int]] = []
        for t in range(len(L.threads)):
            fs = [f"t{t}.{FIELD.get(f, f)}" for f in CONTROL]
            first = self.off[fs[0]]
            end = max(self.off[f] + self.width[f] for f in fs)
            self.control.append((first, (1 << (end - first)) - 1))
        #: what the state checks read: the machine and which blocks have an operation in flight
        self.check_mask = self.mask(machine + [f"t{t}.{f}" for t in range(len(L.threads))
                                               for f in ("kind", "block")])
        #: the explorer's key leaves out the byte counts of writes in flight (checker.model)
        self.key_mask = self.full ^ self.mask([f"t{t}.count" for t in range(len(L.threads))])

    def mask(self, names: list[str]) -> int:
        out = 0
        for n in names:
            out |= ((1 << self.width[n]) - 1) << self.off[n]
        return out

    # --- records ---------------------------------------------------------------------------
    def pack(self, vals: dict[str, int | bool]) -> int:
        s = 0
        for n in self.order:
            v = int(vals[n]) - self.lo[n]
            if v < 0 or v >> self.width[n]:
                raise ValueError(f"field {n} = {vals[n]} is outside its domain")
            s |= v << self.off[n]
        return s

    def unpack(self, s: int) -> dict[str, int]:
        return {n: (s >> self.off[n] & ((1 << self.width[n]) - 1)) + self.lo[n] for n in self.order}

    def control_code(self, t: int, pinned: dict[str, int]) -> int:
        """The packed control tuple of thread ``t`` (its fields' codes in ``pinned``)."""
        first = self.control[t][0]
        out = 0
        for f in CONTROL:
            n = f"t{t}.{FIELD.get(f, f)}"
            out |= (pinned[n] - self.lo[n]) << (self.off[n] - first)
        return out

    # --- back to the spec's values -----------------------------------------------------------
    def decode_machine(self, v: dict[str, int]) -> Machine:
        L = self.L
        val = L.value
        blocks = []
        for i in range(L.nblocks):
            p = f"b{i}."
            blocks.append(Block(bool(v[p + "present"]), bool(v[p + "registered"]), v[p + "state"],
                                PAGES[v[p + "pages"]], L.zone_tuples[v[p + "zones"]],
                                val(p + "otype", v[p + "otype"]), bool(v[p + "resource"]),
                                frozenset(n for n in range(L.nnodes) if v[f"{p}link{n}"]),
                                frozenset(n for n in range(L.nnodes) if v[f"{p}back{n}"])))
        nodes = tuple(Node(bool(v[f"n{n}.online"]), v[f"n{n}.present"],
                           frozenset(f for f in L.flags if v[f"n{n}.{f}"]))
                      for n in range(L.nnodes))
        locks = tuple(sorted((lk, L.threads[v[f"lock:{lk}"]]) for lk in L.locks
                             if v[f"lock:{lk}"] >= 0))
        slub = frozenset(n for n in range(L.nnodes) if v[f"slub{n}"])
        return Machine(tuple(blocks), nodes, slub, self.inject, locks)

    def decode_state(self, s: int) -> State:
        v = self.unpack(s)
        ops: list[Op | None] = []
        for t in range(len(self.L.threads)):
            p = f"t{t}."
            f: dict[str, Any] = {k: self.L.value(p + k, v[p + k]) for k in OP_FIELDS}
            if not f["kind"]:
                ops.append(None)
                continue
            ops.append(Op(f["kind"], f["block"], f["req"], f["via"], f["pc"], f["otype"],
                          f["event"], f["cb"], f["chain_ret"], (f["a0"], f["a1"], f["a2"], f["a3"]),
                          f["ret"], f["count"], f["zone"], f["lock"], f["next"], bool(f["stale"])))
        return State(self.decode_machine(v), tuple(ops))


__all__ = ["Packing"]
