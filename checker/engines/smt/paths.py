"""Symbolic execution of one step: the paths a step can take, each a guard and an update.

Models: a :class:`Run` reads fields of a frame of Z3 variables (or values it already wrote or
pinned), writes new values, branches with :meth:`Run.br` (a condition on symbolic data: the run
forks) and takes choices with :meth:`Run.decide` (one fork per option).
:func:`all_paths` re-runs a step function under every sequence of decisions, depth first, and
returns one :class:`Path` per leaf: the conjunction of the branch conditions taken, the fields
written, the action taken, the thread and block of the operation that takes it and the notifier
calls made (event, callee, its position in the chain, the block's allocatability and the
``struct memory_notify`` nids at the call: what the Monitor's definition judges on the ghost
system, :mod:`checker.engines.smt.ghosts`), and the control fields the path's guard pins.

Leaves out: loops over symbolic bounds (the spec has none; every loop runs over the world).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import z3

from spec.actions import Action

Val = Any  # int | bool | z3.ExprRef


from spec.steps.ctx import Infeasible  # noqa: E402  (the definitions' own exception)


def _is_sym(v: Val) -> bool:
    return isinstance(v, z3.ExprRef)


def num(v: Val) -> Val:
    """A Python int as a bit-vector of the encoding's width (bools and terms unchanged)."""
    from checker.engines.smt.encoding import WIDTH

    return z3.BitVecVal(v, WIDTH) if type(v) is int else v


@dataclass
class Call:
    """One notifier call of a step, with what the Monitor judges of it."""

    event: str
    callback: str
    alloc: Val  # the block's pages allocatable at the call
    pos: int = 0  # the callee's position in the chain (0: the call that starts the event)
    nid: Val = -1  # status_change_nid at the call (arg[2])
    nid_normal: Val = -2  # status_change_nid_normal at the call (arg[3]; -2: None)
    ret: int = 0  # what the callee answered


@dataclass
class Path:
    action: Action
    guard: list[Val]
    upd: dict[str, Val]
    calls: list[Call] = field(default_factory=list)
    block: int | None = None  # the operation's block (index), for the alloc invariants
    thread: int = -1  # the thread whose operation takes the step (-1: none, a read)
    end: Val = None  # the operation's return value if it returns in this step, else None
    #: fields the path's guard pins to a value (the stepping thread's control tuple)
    pinned: dict[str, int] = field(default_factory=dict)


class Run:
    def __init__(self, frame: dict[str, z3.ExprRef], decisions: list[int]) -> None:
        self.frame = frame
        self.known: dict[str, Val] = {}
        self.pinned: dict[str, int] = {}
        self.upd: dict[str, Val] = {}
        self.guard: list[Val] = []
        self.dec = decisions
        self.trail: list[int] = []
        self.choice: str | None = None
        self.calls: list[Call] = []
        self.block: int | None = None
        self.t = -1  # the thread taking the step
        self.end: Val = None  # the return value, once the operation returns

    def _fork(self, n: int) -> int:
        pos = len(self.trail)
        if pos == len(self.dec):
            self.dec.append(0)
        self.trail.append(n)
        return self.dec[pos]

    def get(self, name: str) -> Val:
        if name in self.upd:
            return self.upd[name]
        return self.known.get(name, self.frame[name])

    def set(self, name: str, v: Val) -> None:
        if _is_sym(v):
            v = z3.simplify(v)
            if z3.is_true(v):
                v = True
            elif z3.is_false(v):
                v = False
            elif z3.is_bv_value(v):
                v = v.as_signed_long()
        self.upd[name] = v

    def require(self, c: Val) -> None:
        if not _is_sym(c):
            if not c:
                raise Infeasible
            return
        c = z3.simplify(c)
        if z3.is_false(c):
            raise Infeasible
        if not z3.is_true(c):
            self.guard.append(c)

    def pin(self, name: str, value: int) -> None:
        """The path starts where field ``name`` holds ``value`` (a control field)."""
        self.known[name] = value
        self.pinned[name] = value
        self.guard.append(self.frame[name] == value)

    def br(self, c: Val) -> bool:
        if not _is_sym(c):
            return bool(c)
        c = z3.simplify(c)
        if z3.is_true(c):
            return True
        if z3.is_false(c):
            return False
        k = self._fork(2)
        self.guard.append(c if k == 0 else z3.Not(c))
        return k == 0

    def decide(self, options: list[str]) -> str:
        assert self.choice is None, "a step asks for at most one choice"
        self.choice = options[self._fork(len(options))]
        return self.choice


def all_paths(frame: dict[str, z3.ExprRef], fn: Callable[[Run], Action]) -> list[Path]:
    """Every path of ``fn`` (which returns the action the path takes)."""
    out: list[Path] = []
    dec: list[int] = []
    while True:
        r = Run(frame, dec)
        try:
            action = fn(r)
            out.append(Path(action, r.guard, r.upd, r.calls, r.block, r.t, r.end, r.pinned))
        except Infeasible:
            pass
        trail, d = r.trail, r.dec[:len(r.trail)]
        i = len(trail) - 1
        while i >= 0 and d[i] + 1 >= trail[i]:
            i -= 1
        if i < 0:
            return out
        dec = d[:i] + [d[i] + 1]
