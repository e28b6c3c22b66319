"""The step context: the one interface through which the spec's steps read and write a state.

Models: everything a step definition (:mod:`spec.steps`) may do. A step reads and writes fields
of the machine (blocks, nodes, node-state bits, links, SLUB's structures, locks) and of the
operation in flight on its thread; it branches on a condition (:meth:`Ctx.br`), requires one
(:meth:`Ctx.require`), takes a nondeterministic choice (:meth:`Ctx.decide`), waits for, takes
and releases a lock, calls a notifier callback, and says at which point of spec/STEPS.md it
stopped. Values are combined with :meth:`Ctx.If`, :meth:`Ctx.And`, :meth:`Ctx.Or`,
:meth:`Ctx.Not` and tested with :meth:`Ctx.test` (a Python predicate lifted over a value with a
finite domain, such as a block's zones), never with Python's ``if``/``and``/``or``/``not``:
a definition written this way runs unchanged under every interpretation of the context.

Two interpretations exist. ``spec.model`` runs the definitions on concrete values (the
explorer, the lockstep tests, replay, diff); ``checker.engines.smt.symbolic`` runs them on Z3 terms and
enumerates every path a step can take (BMC, k-induction, the AIGER export). A value read from a
field is a Python value in the first and may be a term in the second: comparisons (``==``,
``<``, ...) and arithmetic work on both, truth tests do not (a term refuses to be a bool, so a
definition that forgets :meth:`Ctx.br` fails when its paths are enumerated).

The operation's control fields (:data:`CONTROL`: kind, block, request, how it came, the
program counter, the online type asked for, the event and callback of the chain being
delivered, the chain's return value, the lock waited for and where to go on) are always
concrete, in both interpretations: the symbolic one enumerates them. Its data fields (the
``struct memory_notify`` arguments, the pending return value, the byte count, the zone, the
stale flag) may be terms.

Leaves out: loops over symbolic bounds (every loop of a definition runs over the world).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

Val = Any  # a Python bool/int/str/tuple, or a term of the symbolic interpretation

#: fields of an operation that are concrete in every interpretation (the rest are data)
CONTROL = ("kind", "block", "req", "via", "pc", "online_type", "event", "cb", "chain_ret", "lock",
           "next")


class Infeasible(Exception):
    """A requirement of the step is false: the step (or this path of it) does not exist."""


class Reader(Protocol):
    """Reading a machine and combining values (the read-only part of :class:`Ctx`)."""

    def If(self, c: Val, a: Val, b: Val) -> Val: ...

    def And(self, *xs: Val) -> Val: ...

    def Or(self, *xs: Val) -> Val: ...

    def Not(self, x: Val) -> Val: ...

    def Xor(self, a: Val, b: Val) -> Val: ...

    def test(self, v: Val, pred: Callable[[Any], bool]) -> Val:
        """``pred`` (a Python function of a concrete value) of ``v``, a value with a finite
        domain (zones, page location, online type)."""
        ...

    def lift(self, v: Val, fn: Callable[[Any], Any]) -> Val:
        """``fn`` (a Python function of a concrete value) applied to ``v``, a value with a
        finite domain; the result has a finite domain too."""
        ...

    def br(self, c: Val) -> bool:
        """Branch on ``c``: its truth on this path (the symbolic interpretation forks)."""
        ...

    def b(self, i: int, f: str) -> Val:
        """Field ``f`` of block ``i`` (present, registered, state, pages, zones, online_type,
        resource)."""
        ...

    def link(self, i: int, n: int) -> Val:
        """``node<n>/memory<i>`` exists (the block is in the node's link set)."""
        ...

    def backlink(self, i: int, n: int) -> Val: ...

    def n(self, j: int, f: str) -> Val:
        """Field ``f`` of node ``j`` (online, present_pages)."""
        ...

    def flag(self, j: int, name: str) -> Val:
        """Node ``j`` carries the node-state bit ``name``."""
        ...

    def slub(self, j: int) -> Val:
        """SLUB has its per-node structures for node ``j``."""
        ...

    def idle(self, u: int) -> Val:
        """Thread ``u`` has no operation in flight."""
        ...

    def op_of(self, u: int, f: str) -> Val:
        """Field ``f`` of thread ``u``'s operation (the idle record's if it has none)."""
        ...

    def lock_free(self, lock: str) -> Val:
        """Nobody holds ``lock``."""
        ...


class Ctx(Reader, Protocol):
    """One step of one thread under construction (module docstring)."""

    t: int | None  # the thread taking the step (index into spec.state.thread_names)
    tname: str | None
    block: int | None  # the block index of the thread's operation
    point: str

    def require(self, c: Val) -> None:
        """The step exists only where ``c`` holds (raises :class:`Infeasible` otherwise)."""
        ...

    def decide(self, options: list[str]) -> str:
        """A nondeterministic choice among ``options`` (at most one per step)."""
        ...

    def inject_setting(self, event: str) -> int:
        """The error injector's debugfs setting for ``event`` (0: none)."""
        ...

    # --- writes ---------------------------------------------------------------------------
    def setb(self, i: int, **kw: Val) -> None:
        """Set fields of block ``i``; ``links``/``backlinks`` take a whole (concrete) set."""
        ...

    def set_link(self, i: int, n: int, v: Val) -> None: ...

    def set_backlink(self, i: int, n: int, v: Val) -> None: ...

    def setn(self, j: int, **kw: Val) -> None: ...

    def set_flag(self, j: int, name: str, v: Val) -> None: ...

    def set_slub(self, j: int, v: Val) -> None: ...

    # --- the thread's operation --------------------------------------------------------------
    def op(self, f: str) -> Val:
        """Field ``f`` of this thread's operation (``arg``: the 4-tuple start_pfn, nr_pages,
        status_change_nid, status_change_nid_normal)."""
        ...

    def upd(self, **kw: Val) -> None: ...

    def new_op(self, kind: str, block: int, **kw: Val) -> None: ...

    def set_op(self, u: int, **kw: Val) -> None:
        """Set data fields of thread ``u``'s operation (nothing if it is idle and the values are
        the idle record's)."""
        ...

    def finish(self, ret: Val = None) -> None:
        """The operation returns ``ret`` (default: its pending return value) in this step."""
        ...

    def wait(self, lock: str, nxt: str) -> None: ...

    def take(self, lock: str) -> None: ...

    def unlock(self, lock: str, nxt: str) -> None:
        """Release ``lock``; ``nxt == "ret"``: the operation returns in this step."""
        ...

    def goto(self, pc: str, point: str = "") -> None: ...

    def call(self, event: str, callback: str, start: Val, nr: Val, nid: Val,
             nid_normal: Val, ret: int, alloc: Val) -> None:
        """One callback called with ``event`` and these ``struct memory_notify`` fields
        (``nid_normal`` None where the profile's struct has no such field)."""
        ...

    def show(self, i: int, file: str) -> None:
        """A read of ``memory<i>/<file>`` returns what the file shows now."""
        ...


__all__ = ["CONTROL", "Ctx", "Infeasible", "Reader", "Val"]
