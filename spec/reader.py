"""The read-only step context on a concrete machine (spec.steps.ctx.Reader in plain Python).

Models: reading a :class:`spec.state.Machine` and its threads' operations the way the step
definitions (:mod:`spec.steps`) and the Monitor's history judgement (:mod:`spec.history`) read
them, and combining values with Python's own operators. The concrete step context
(``spec.model.Tx``) and the Monitor's context (``spec.invariants.Judge``) build on it; so does
the sysfs view, which renders ``valid_zones`` with the steps' zone_for_online.

Leaves out: writing (``spec.model.Tx`` does that).
"""

from __future__ import annotations

from typing import Any, Callable

from spec.state import IDLE_OP, Machine, Op


class MachineReader:
    """The read-only part of the step context on a concrete machine and its threads' ops."""

    __slots__ = ("blocks", "nodes", "slubs", "locks", "ops")

    def __init__(self, m: Machine, ops: tuple[Op | None, ...] = ()) -> None:
        self.blocks: Any = m.blocks
        self.nodes: Any = m.nodes
        self.slubs = m.slub_nodes
        self.locks: Any = m.locks
        self.ops: Any = ops

    # --- values (plain Python) -------------------------------------------------------------
    @staticmethod
    def If(c: Any, a: Any, b: Any) -> Any:
        return a if c else b

    @staticmethod
    def And(*xs: Any) -> bool:
        return all(xs)

    @staticmethod
    def Or(*xs: Any) -> bool:
        return any(xs)

    @staticmethod
    def Not(x: Any) -> bool:
        return not x

    @staticmethod
    def Xor(a: Any, b: Any) -> bool:
        return bool(a) != bool(b)

    @staticmethod
    def test(v: Any, pred: Callable[[Any], bool]) -> bool:
        return pred(v)

    @staticmethod
    def lift(v: Any, fn: Callable[[Any], Any]) -> Any:
        return fn(v)

    @staticmethod
    def br(c: Any) -> bool:
        return bool(c)

    # --- the machine -------------------------------------------------------------------------
    def b(self, i: int, f: str) -> Any:
        return getattr(self.blocks[i], f)

    def link(self, i: int, n: int) -> bool:
        return n in self.blocks[i].links

    def backlink(self, i: int, n: int) -> bool:
        return n in self.blocks[i].backlinks

    def n(self, j: int, f: str) -> Any:
        return getattr(self.nodes[j], f)

    def flag(self, j: int, name: str) -> bool:
        return name in self.nodes[j].flags

    def slub(self, j: int) -> bool:
        return j in self.slubs

    def idle(self, u: int) -> bool:
        return self.ops[u] is None

    def op_of(self, u: int, f: str) -> Any:
        op = self.ops[u]
        return getattr(IDLE_OP if op is None else op, f)

    def lock_free(self, lock: str) -> bool:
        return all(name != lock for name, _ in self.locks)


__all__ = ["MachineReader"]
