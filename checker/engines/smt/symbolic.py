"""The spec's steps (spec/steps) run on Z3 terms: the paths of the transition relation.

Models: the symbolic interpretation of the step context of :mod:`spec.steps.ctx`.
:class:`SymCtx` reads the fields of a frame of Z3 variables (:mod:`checker.engines.smt.encoding`) and
writes terms; a branch on a term forks the run (:meth:`checker.engines.smt.paths.Run.br`), a choice
forks it once per option, a requirement joins the path's guard. Values with a finite domain
(page location, zones, online types, an operation's fields read from another thread) are
:class:`Enum` values: for each possible value, the condition under which the field holds it.

:func:`enumerate_paths` derives the relation's paths from the definition alone: the start
actions of the world (:meth:`spec.steps.Steps.start_groups`), then, for each thread, a
breadth-first search over the control tuples of its operation (the fields of
:data:`spec.steps.ctx.CONTROL`, pinned by each path's guard): a tuple's step paths lead to
new tuples, until none is new. No list of handlers, waits or program counters is kept by hand;
a control field written with a term (a definition that computes a program counter from data)
is refused with :class:`SymbolicError`.

Leaves out: ``inject`` actions (the explorer does not take them either) and observations other
than the notifier calls (event, callee, chain position, allocatability, nids, answer) and the
return value of an operation that returns.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable, Iterable

import z3

from checker.engines.smt.encoding import FIELD, Layout
from checker.engines.smt.paths import Call, Path, Run, all_paths, num
from spec.actions import Action
from spec.errors import MemhpError
from spec.steps import CONTROL, Steps
from spec.steps.core import requirement

Val = Any


class SymbolicError(MemhpError):
    """The definition does something its symbolic interpretation cannot render."""


def _sym(v: Val) -> bool:
    return isinstance(v, (z3.ExprRef, Enum))


def _bool(v: Val) -> z3.BoolRef:
    return v if isinstance(v, z3.ExprRef) else z3.BoolVal(bool(v))


def And(*xs: Val) -> Val:
    if any(not x for x in xs if not isinstance(x, z3.ExprRef)):
        return False
    sym = [x for x in xs if isinstance(x, z3.ExprRef)]
    return True if not sym else (sym[0] if len(sym) == 1 else z3.And(sym))


def Or(*xs: Val) -> Val:
    if any(x for x in xs if not isinstance(x, z3.ExprRef)):
        return True
    sym = [x for x in xs if isinstance(x, z3.ExprRef)]
    return False if not sym else (sym[0] if len(sym) == 1 else z3.Or(sym))


def Not(x: Val) -> Val:
    return z3.Not(x) if isinstance(x, z3.ExprRef) else not x


class Enum:
    """A value with a finite domain: ``cases`` maps each value it may hold to the condition
    under which it holds it (the conditions are mutually exclusive and cover every case)."""

    __slots__ = ("cases", "term")

    def __init__(self, cases: dict[Any, Val], term: z3.ExprRef | None = None) -> None:
        self.cases = {k: c for k, c in cases.items() if not (c is False)}
        #: the field's code, for a value read from a field
        self.term = term

    @staticmethod
    def of(v: Val) -> "Enum":
        return v if isinstance(v, Enum) else Enum({v: True})

    @staticmethod
    def field(term: z3.ExprRef, domain: tuple[Any, ...]) -> "Enum":
        return Enum({d: term == k for k, d in enumerate(domain)}, term)

    def __eq__(self, other: object) -> Val:  # type: ignore[override]
        if other is self:
            return True
        if isinstance(other, Enum):
            return Or(*[And(c, other.cases.get(k, False)) for k, c in self.cases.items()])
        return self.cases.get(other, False)

    def __ne__(self, other: object) -> Val:  # type: ignore[override]
        return Not(self.__eq__(other))

    def __bool__(self) -> bool:
        raise SymbolicError("a symbolic value was tested with Python's truth (use br or If)")

    __hash__ = None  # type: ignore[assignment]

    def test(self, pred: Callable[[Any], bool]) -> Val:
        return Or(*[c for k, c in self.cases.items() if pred(k)])

    def lift(self, fn: Callable[[Any], Any]) -> "Enum":
        out: dict[Any, list[Val]] = {}
        for k, c in self.cases.items():
            out.setdefault(fn(k), []).append(c)
        return Enum({k: Or(*cs) for k, cs in out.items()})

    def code(self, domain: tuple[Any, ...], name: str) -> Val:
        """The field code of this value in ``domain`` (an If chain over the cases)."""
        items = list(self.cases.items())
        for k, _ in items:
            if k not in domain:
                raise SymbolicError(f"{name}: the value {k!r} is not in the field's domain")
        out: Val = domain.index(items[-1][0])
        for k, c in reversed(items[:-1]):
            out = If(c, domain.index(k), out)
        return out


def If(c: Val, a: Val, b: Val) -> Val:
    if not isinstance(c, z3.ExprRef):
        return a if c else b
    if a is b or (not _sym(a) and not _sym(b) and type(a) is type(b) and a == b):
        return a
    if isinstance(a, (Enum, str, tuple)) or isinstance(b, (Enum, str, tuple)):
        ea, eb = Enum.of(a), Enum.of(b)
        keys = list(dict.fromkeys(list(ea.cases) + list(eb.cases)))
        return Enum({k: Or(And(c, ea.cases.get(k, False)), And(Not(c), eb.cases.get(k, False)))
                     for k in keys})
    if isinstance(a, bool) or isinstance(b, bool) or z3.is_bool(a) or z3.is_bool(b):
        return z3.If(c, _bool(a), _bool(b))
    return z3.If(c, num(a), num(b))


class FrameReader:
    """The read-only step context on Z3 terms: the fields of one frame (``get`` gives a
    field's value by its encoding name: a term, or a Python value already known)."""

    def __init__(self, L: Layout, get: Callable[[str], Val], base: "FrameReader | None" = None,
                 changed: Any = None, fixed: bool = False) -> None:
        """``fixed``: the frame does not change while it is read (its decoded values are kept).
        ``base`` and ``changed``: a fixed reader of the frame after a step, which reads the
        fields the step did not change (those not in ``changed``) through ``base``, the reader
        of the frame before it (so an unchanged field reads as the same value)."""
        self.L, self.get = L, get
        self.base, self.changed = base, changed
        self._memo: dict[str, Val] | None = {} if fixed or base is not None else None

    If = staticmethod(If)
    And = staticmethod(And)
    Or = staticmethod(Or)
    Not = staticmethod(Not)

    @staticmethod
    def Xor(a: Val, b: Val) -> Val:
        if not isinstance(a, z3.ExprRef) and not isinstance(b, z3.ExprRef):
            return bool(a) != bool(b)
        return z3.Xor(_bool(a), _bool(b))

    @staticmethod
    def test(v: Val, pred: Callable[[Any], bool]) -> Val:
        return v.test(pred) if isinstance(v, Enum) else pred(v)

    @staticmethod
    def lift(v: Val, fn: Callable[[Any], Any]) -> Val:
        return v.lift(fn) if isinstance(v, Enum) else fn(v)

    def br(self, c: Val) -> bool:
        raise SymbolicError("a read-only context cannot branch")

    def field(self, name: str) -> Val:
        """The value of field ``name``: a Python value (decoded) or a term (an Enum for a
        field with a finite domain of values)."""
        if self.base is not None and name not in self.changed:
            return self.base.field(name)
        memo = self._memo
        if memo is not None and name in memo:
            return memo[name]
        v = self.get(name)
        dom = self.L.enums.get(name)
        if dom is not None:
            v = Enum.field(v, dom) if isinstance(v, z3.ExprRef) else dom[v]
        if memo is not None:
            memo[name] = v
        return v

    def b(self, i: int, f: str) -> Val:
        return self.field(f"b{i}.{FIELD.get(f, f)}")

    def link(self, i: int, n: int) -> Val:
        return self.get(f"b{i}.link{n}")

    def backlink(self, i: int, n: int) -> Val:
        return self.get(f"b{i}.back{n}")

    def n(self, j: int, f: str) -> Val:
        return self.field(f"n{j}.{FIELD.get(f, f)}")

    def flag(self, j: int, name: str) -> Val:
        return self.get(f"n{j}.{name}")

    def slub(self, j: int) -> Val:
        return self.get(f"slub{j}")

    def idle(self, u: int) -> Val:
        return self.get(f"t{u}.kind") == 0

    def op_of(self, u: int, f: str) -> Val:
        if f == "arg":
            return tuple(self.field(f"t{u}.a{k}") for k in range(4))
        return self.field(f"t{u}.{FIELD.get(f, f)}")

    def lock_free(self, lock: Val) -> Val:
        if isinstance(lock, Enum):
            return Or(*[And(c, self.get(f"lock:{k}") == -1) for k, c in lock.cases.items() if k])
        return self.get(f"lock:{lock}") == -1


def at(i: Val, fn: Callable[[int], Val], n: int) -> Val:
    """``fn(i)`` for an index ``i`` in range(n) that may be a term: an If over the indices."""
    if not isinstance(i, z3.ExprRef):
        return fn(int(i))
    out = fn(n - 1)
    for j in reversed(range(n - 1)):
        out = If(i == j, fn(j), out)
    return out


class SymCtx(FrameReader):
    """The step context on a frame of Z3 variables (spec/steps/ctx.py)."""

    def __init__(self, L: Layout, steps: Steps, run: Run, t: int | None) -> None:
        super().__init__(L, run.get)
        self.steps, self.run = steps, run
        self.world, self.profile = L.world, L.profile
        self.t = t
        self.tname = L.threads[t] if t is not None else None
        self.block: int | None = None
        self.point = ""
        run.t = -1 if t is None else t

    def br(self, c: Val) -> bool:
        return self.run.br(c)

    def require(self, c: Val) -> None:
        self.run.require(c)

    def decide(self, options: list[str]) -> str:
        return self.run.decide(options)

    def inject_setting(self, event: str) -> int:
        return dict(self.world.inject_errors).get(event, 0)

    # --- writes ---------------------------------------------------------------------------
    def _set(self, name: str, v: Val) -> None:
        dom = self.L.enums.get(name)
        if dom is not None:
            v = v.code(dom, name) if isinstance(v, Enum) else dom.index(v)
        self.run.set(name, v)

    def setb(self, i: int, **kw: Val) -> None:
        for f, v in kw.items():
            if f in ("links", "backlinks"):
                tag = "link" if f == "links" else "back"
                for n in range(self.L.nnodes):
                    self.run.set(f"b{i}.{tag}{n}", n in v)
            else:
                self._set(f"b{i}.{FIELD.get(f, f)}", v)

    def set_link(self, i: int, n: int, v: Val) -> None:
        self.run.set(f"b{i}.link{n}", v)

    def set_backlink(self, i: int, n: int, v: Val) -> None:
        self.run.set(f"b{i}.back{n}", v)

    def setn(self, j: int, **kw: Val) -> None:
        for f, v in kw.items():
            self._set(f"n{j}.{FIELD.get(f, f)}", v)

    def set_flag(self, j: int, name: str, v: Val) -> None:
        self.run.set(f"n{j}.{name}", v)

    def set_slub(self, j: int, v: Val) -> None:
        self.run.set(f"slub{j}", v)

    # --- operations ------------------------------------------------------------------------
    def op(self, f: str) -> Val:
        assert self.t is not None
        return self.op_of(self.t, f)

    def set_op(self, u: int, **kw: Val) -> None:
        for f, v in kw.items():
            if f == "arg":
                for k in range(4):
                    self._set(f"t{u}.a{k}", v[k])
            else:
                self._set(f"t{u}.{FIELD.get(f, f)}", v)

    def upd(self, **kw: Val) -> None:
        assert self.t is not None
        self.set_op(self.t, **kw)

    def new_op(self, kind: str, block: int, **kw: Val) -> None:
        assert self.t is not None
        for name, v in self.L.idle_op(self.t).items():
            self.run.set(name, v)
        self.upd(kind=kind, block=block, **kw)
        self.block = self.run.block = block

    def finish(self, ret: Val = None) -> None:
        assert self.t is not None
        self.run.end = self.op("ret") if ret is None else ret
        for name, v in self.L.idle_op(self.t).items():
            self.run.set(name, v)
        self.point = "ret"

    def wait(self, lock: str, nxt: str) -> None:
        self.upd(pc="wait", lock=lock, next=nxt)
        self.point = "wait:" + lock

    def take(self, lock: str) -> None:
        self.run.set(f"lock:{lock}", self.t)

    def unlock(self, lock: str, nxt: str) -> None:
        self.run.require(self.run.get(f"lock:{lock}") == self.t)
        self.run.set(f"lock:{lock}", -1)
        if nxt == "ret":
            self.finish()
            return
        self.upd(pc=nxt)
        self.point = "unlock:" + lock

    def goto(self, pc: str, point: str = "") -> None:
        self.upd(pc=pc)
        if point:
            self.point = point

    def call(self, event: str, callback: str, start: Val, nr: Val, nid: Val, nid_normal: Val,
             ret: int, alloc: Val) -> None:
        self.run.calls.append(Call(event, callback, alloc, self.op("cb"), nid,
                                   -2 if nid_normal is None else nid_normal, ret))

    def show(self, i: int, file: str) -> None:
        self.point = "ret"  # a read changes nothing; the Monitor judges states, not reads


# --- the paths of the relation ---------------------------------------------------------------------
def _control(L: Layout, t: int, path: Path, pre: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """Thread t's control tuple after ``path`` (codes), given the one before it."""
    out = []
    for f in CONTROL:
        name = f"t{t}.{FIELD.get(f, f)}"
        v = path.upd.get(name, pre.get(name))
        if isinstance(v, z3.ExprRef) or v is None:
            raise SymbolicError(f"{path.action.label()}: the control field {name} is written "
                                f"with a term ({v}); control fields must stay concrete")
        out.append((name, int(v)))
    return tuple(out)


class Timeout(Exception):
    """The run's deadline passed (building the relation or solving)."""


def past(deadline: float | None) -> None:
    """Raise Timeout once ``deadline`` (time.monotonic()) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise Timeout


def enumerate_paths(L: Layout, steps: Steps, frame: dict[str, z3.ExprRef],
                    deadline: float | None = None) -> list[Path]:
    """Every path of the relation (module docstring), in a fixed order; Timeout once
    ``deadline`` passes."""
    out: list[Path] = []
    idle = {t: L.idle_op(t) for t in range(len(L.threads))}
    found: dict[int, list[tuple[tuple[str, int], ...]]] = {t: [] for t in idle}
    seen: set[tuple[int, tuple[tuple[str, int], ...]]] = set()
    todo: deque[tuple[int, tuple[tuple[str, int], ...]]] = deque()

    def note(t: int, paths: Iterable[Path], pre: dict[str, Any]) -> None:
        for p in paths:
            out.append(p)
            ctl = _control(L, t, p, pre)
            if dict(ctl)[f"t{t}.kind"] != 0 and (t, ctl) not in seen:
                seen.add((t, ctl))
                found[t].append(ctl)
                todo.append((t, ctl))

    for g in steps.start_groups():
        for a in g.actions:
            def start(run: Run, g: Any = g, a: Action = a) -> Action:
                x = SymCtx(L, steps, run, g.thread)
                x.block = run.block = g.block
                for req in g.requires:
                    x.require(requirement(x, req))
                steps.start(x, a)
                return a
            past(deadline)
            paths = all_paths(frame, start)
            if g.thread is None:
                out.extend(paths)
            else:
                note(g.thread, paths, idle[g.thread])
    while todo:
        t, ctl = todo.popleft()
        past(deadline)

        def advance(run: Run, t: int = t, ctl: tuple[tuple[str, int], ...] = ctl) -> Action:
            for name, code in ctl:
                run.pin(name, code)
            x = SymCtx(L, steps, run, t)
            x.block = run.block = x.op("block")
            x.require(steps.runnable(x, t))
            steps.advance(x)
            return Action("step", thread=L.threads[t], choice=run.choice)
        note(t, all_paths(frame, advance), dict(ctl))
    for t, tuples in found.items():  # the control fields' domains: what the paths produce
        for f in CONTROL:
            name = f"t{t}.{FIELD.get(f, f)}"
            L.narrow(name, {dict(c)[name] for c in tuples} | {idle[t][name]})
    return out


__all__ = ["And", "Enum", "FrameReader", "If", "Not", "Or", "SymCtx", "SymbolicError", "Timeout", "at",
           "enumerate_paths", "past"]
