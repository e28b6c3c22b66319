"""The Monitor's history judgement on Z3 terms: ghost fields and history invariants per step.

Models: the history invariants of :mod:`spec.history` (``notifier_protocol``, ``chain_order``,
``alloc_*``, ``status_change_nid``, ``remove_only_offline``, ``rejected_write``) are judged by
the Monitor on what an operation did since it began, which the spec's State does not hold.
:class:`GhostLayout` adds, per thread, the fields of the Monitor's record
(:class:`spec.history.OpTrack`) as ghost fields ``g<t>.<field>`` (the callee sets one Boolean
per callee of the chain, ``g<t>.seen<c>``); the record's note fields (labels for causes) are
left out. :class:`GhostSystem` is the transition system with them: along every path of the
spec's step (:mod:`checker.engines.smt.symbolic`), :class:`GhostCtx` runs the Monitor's own definition,
:meth:`spec.history.History.step`, on the path's observation (its calls in order, each with
the callee's answer, and the return value if the operation returns) and the frames before and
after it. What the definition writes becomes the ghosts' update; each invariant it reports,
the path's predicate for that invariant. No second rendering of the Monitor exists.

The agreement test (tests/checker/engines/smt/test_ghosts.py) runs the Monitor along every reachable
(state, Monitor state) pair of small worlds under every profile and checks that the encoded
ghosts equal the Monitor's and each predicate is true exactly when the Monitor reports it; a
BMC counterexample is judged by the Monitor again (bmc._judge).

Leaves out: callees outside the world's chain in the callee sets (a call to one is a
chain_order violation at once; whether it answered the GOING_X is not tracked, in either
interpretation).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Iterator

import z3

from checker.engines.smt.encoding import EVENTS, OTYPES, STATES, Layout
from checker.engines.smt.paths import Path, Val
from checker.engines.smt.symbolic import And, Enum, FrameReader, If, Not, Or, SymbolicError, at, past
from checker.engines.smt.system import System
from spec.actions import MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, STATE_TEXT
from spec.config import World
from spec.history import (
    CLOSE, GOING, HISTORY_INVARIANTS, IDLE_TRACK, NOTE_FIELDS, SETS, History, OpTrack,
)
from spec.invariants import MonitorState
from spec.profiles import Profile
from spec.steps import Steps

#: the history invariants the ghost system judges (state_strings is a state predicate there)
GHOST_INVARIANTS = tuple(n for n in HISTORY_INVARIANTS if n != "state_strings")
#: record fields that are not ghosts but the spec's own operation fields: the Monitor's record
#: of a thread begins with the action that starts the spec's operation on it and ends with the
#: observation of its return value, which is the step where the spec's operation ends (the
#: step context's ``new_op`` and ``finish``); GhostSystem checks this on every path
DERIVED = {"kind": "kind", "block": "block"}
NODE_OPEN = ("NODE_ADDING_FIRST_MEMORY", "NODE_REMOVING_LAST_MEMORY")


class GhostLayout(Layout):
    """The base layout and, per thread ``t``, the ghost fields ``g<t>.*`` (module docstring)."""

    def __init__(self, world: World, profile: Profile, steps: type[Steps] = Steps) -> None:
        super().__init__(world, profile, steps)
        self.base_names = self.names
        self.history = History(world, profile, self.threads)
        self.chain = self.history.chain
        for t in range(len(self.threads)):
            g = f"g{t}."
            self.bools += [g + "calls", g + "rstop", g + "dist"]
            self.bools += [f"{g}{s}{c}" for s in SETS for c in range(len(self.chain))]
            self.ints[g + "pre"] = (0,) + STATES
            self._enum(g + "preot", OTYPES)
            self._enum(g + "rev", EVENTS)
            self.ints[g + "rlen"] = tuple(range(self.history.run_cap + 1))
            self._enum(g + "open", ("",) + GOING)
            self._enum(g + "closed", ("",) + tuple(CLOSE))
            self.ints[g + "pnid"] = tuple(range(-2, self.nnodes))
            self._enum(g + "nev", ("",) + NODE_OPEN)
        self.names = tuple(self.bools) + tuple(self.ints)

    def ghost_name(self, t: int, f: str) -> str:
        return f"g{t}.{f}"

    def idle_ghosts(self, t: int) -> dict[str, int | bool]:
        """Thread t's ghost fields with no operation in flight."""
        return self.encode_track(t, IDLE_TRACK)

    def encode_track(self, t: int, op: OpTrack) -> dict[str, int | bool]:
        out: dict[str, int | bool] = {}
        for f, v in op._asdict().items():
            if f in NOTE_FIELDS or f in DERIVED:
                continue
            if f in SETS:
                for c, cb in enumerate(self.chain):
                    out[f"g{t}.{f}{c}"] = cb in v
            else:
                out[f"g{t}.{f}"] = self.code(f"g{t}.{f}", v)
        return out

    def encode_ghosts(self, ms: MonitorState) -> dict[str, int | bool]:
        """The ghost fields of a Monitor state (the agreement test's comparison key)."""
        out: dict[str, int | bool] = {}
        for t, op in enumerate(ms.ops):
            out.update(self.encode_track(t, IDLE_TRACK if op is None else op))
        return out


class GhostCtx:
    """The symbolic monitor context (spec.history.HistCtx) of one path of the spec's step."""

    def __init__(self, L: GhostLayout, X: dict[str, Any], path: Path) -> None:
        self.L, self.X, self.path = L, X, path
        self.pre = FrameReader(L, X.__getitem__, fixed=True)
        self.post = FrameReader(L, lambda n: path.upd.get(n, X[n]), self.pre, path.upd)
        #: the spec's operation fields the record derives from: the pinned values of the
        #: stepping thread, the frame's of the others
        self.spec_op = FrameReader(L, lambda n: path.pinned.get(n, X[n]), fixed=True)
        self.t = path.thread if path.thread >= 0 else None
        self.action = path.action
        self.calls = path.calls
        self.ret = path.end
        self.read: Val = None
        a = path.action
        if a.kind == "read" and a.file == "state" and path.block is not None:
            st = X[f"b{path.block}.state"]
            self.read = Enum({STATE_TEXT[k] + "\n": st == k
                              for k in (MEM_ONLINE, MEM_OFFLINE, MEM_GOING_OFFLINE)})
        self.cur: dict[str, Val] = {n: X[n] for n in L.names if n.startswith("g")}
        self.guards: list[Val] = []
        self.derived: dict[str, Val] = {}
        self.bad: dict[str, list[Val]] = {n: [] for n in GHOST_INVARIANTS}

    If = staticmethod(If)
    And = staticmethod(And)
    Or = staticmethod(Or)
    Not = staticmethod(Not)
    test = staticmethod(FrameReader.test)

    def at(self, i: Val, fn: Callable[[int], Val]) -> Val:
        return at(i, fn, self.L.nblocks)

    @staticmethod
    def machine_changed() -> Val:
        return True

    def only(self, c: Val) -> Iterator[None]:
        if c is False:
            return
        self.guards.append(c)
        try:
            yield None
        finally:
            self.guards.pop()

    def _guard(self) -> Val:
        return And(*self.guards)

    @staticmethod
    def alloc(c: Any) -> Val:
        return c.alloc

    @staticmethod
    def nid(c: Any) -> Val:
        return c.nid

    @staticmethod
    def nid_normal(c: Any) -> Val:
        return None if isinstance(c.nid_normal, int) and c.nid_normal == -2 else c.nid_normal

    def g(self, u: int, f: str) -> Val:
        if f in NOTE_FIELDS:
            return ""
        if f in DERIVED:
            name = f"t{u}.{DERIVED[f]}"
            return self.derived[name] if name in self.derived else self.spec_op.field(name)
        if f in SETS:
            raise SymbolicError(f"the callee set {f} is read through ghas")
        name = f"g{u}.{f}"
        v = self.cur[name]
        dom = self.L.enums.get(name)
        if dom is None:
            return v
        return Enum.field(v, dom) if isinstance(v, z3.ExprRef) else dom[v]

    def gset(self, u: int, **kw: Val) -> None:
        guard = self._guard()
        for f, v in kw.items():
            if f in NOTE_FIELDS:
                continue
            if f in DERIVED:
                name = f"t{u}.{DERIVED[f]}"
                self.derived[name] = If(guard, v, self.g(u, f))
                continue
            if f in SETS:
                for c, cb in enumerate(self.L.chain):
                    name = f"g{u}.{f}{c}"
                    self.cur[name] = If(guard, cb in v, self.cur[name])
                continue
            name = f"g{u}.{f}"
            dom = self.L.enums.get(name)
            if dom is not None:
                v = v.code(dom, name) if isinstance(v, Enum) else dom.index(v)
            self.cur[name] = If(guard, v, self.cur[name])

    def gclear(self, u: int) -> None:
        self.gset(u, **IDLE_TRACK._asdict())

    def ghas(self, u: int, s: str, callee: str) -> Val:
        if callee not in self.L.chain:
            return False
        return self.cur[f"g{u}.{s}{self.L.chain.index(callee)}"]

    def gdiff(self, u: int, s: str, r: str) -> Val:
        return Or(False, *[And(self.cur[f"g{u}.{s}{c}"], Not(self.cur[f"g{u}.{r}{c}"]))
                           for c in range(len(self.L.chain))])

    def gput(self, u: int, s: str, callee: str, v: Val) -> None:
        if callee in self.L.chain:
            name = f"g{u}.{s}{self.L.chain.index(callee)}"
            self.cur[name] = Or(self.cur[name], And(self._guard(), v))

    @staticmethod
    def callees(u: int, s: str) -> list[str]:
        return []

    def violate(self, invariant: str, cond: Val, cause: Callable[[], str],
                message: Callable[[], str]) -> None:
        if invariant in self.bad:
            self.bad[invariant].append(And(self._guard(), cond))

    @staticmethod
    def twin(name: str, cond: Val) -> None:
        pass

    def check_derived(self) -> None:
        """The record fields derived from the spec's operation (DERIVED) are what the Monitor's
        definition made of them on this path: the same value after the step."""
        for u in range(len(self.L.threads)):
            for f in DERIVED:
                self._check(f"t{u}.{DERIVED[f]}", self.g(u, f))

    def _check(self, name: str, v: Val) -> None:
        raw = v.term if isinstance(v, Enum) else self.L.code(name, v)
        spec = self.path.upd.get(name, self.path.pinned.get(name, self.X[name]))
        if raw is None or not _same(raw, spec):
            raise SymbolicError(
                f"{self.path.action.label()}: the Monitor's record of t{name[1:]} is {v!r} after "
                f"the step but the spec's operation field is {spec!r}: the definition of the "
                f"steps starts or ends operations where the Monitor does not")


def _same(a: Val, b: Val) -> bool:
    """``a`` is syntactically ``b`` (a field the path leaves as it was)."""
    if isinstance(a, z3.ExprRef) and isinstance(b, z3.ExprRef):
        return bool(a.eq(b))
    return not isinstance(a, z3.ExprRef) and not isinstance(b, z3.ExprRef) and a == b


class GhostSystem(System):
    """The transition system over :class:`GhostLayout`: each path also updates the ghosts as
    the Monitor's definition does, and ``path_bad`` holds, per path, when the Monitor reports
    each of :data:`GHOST_INVARIANTS`."""

    L: GhostLayout
    #: the monitor context the Monitor's definition runs in along each path
    ctx: type[GhostCtx] = GhostCtx

    def _layout(self, world: World, profile: Profile) -> Layout:
        return GhostLayout(world, profile, self.steps)

    def _keep(self, y: GhostCtx) -> None:
        """What a subclass keeps of the Monitor's run along one path (nothing here)."""

    def _paths(self) -> list[Path]:
        out = []
        self.path_bad: list[dict[str, Val]] = []
        for path in super()._paths():
            past(self.deadline)
            y = self.ctx(self.L, self.X, path)
            self.L.history.step(y)
            y.check_derived()
            self._keep(y)
            upd = {n: z3.simplify(v) if isinstance(v, z3.ExprRef) else v for n, v in y.cur.items()
                   if not _same(v, self.X[n])}
            out.append(replace(path, upd={**path.upd, **upd}))
            self.path_bad.append({n: Or(*v) for n, v in y.bad.items()})
        self._gbad: dict[str, z3.BoolRef] = {}
        return out

    def initial_values(self) -> dict[str, int | bool]:
        vals = super().initial_values()
        for t in range(len(self.L.threads)):
            vals.update(self.L.idle_ghosts(t))
        return vals

    def ghost_bad(self, name: str) -> z3.BoolRef:
        """The template: the step from X along path sel breaks ``name``."""
        if name not in self._gbad:
            self._gbad[name] = path_disjunction(self, [bad[name] for bad in self.path_bad])
        return self._gbad[name]

    def ghost_bad_at(self, name: str, k: int) -> z3.BoolRef:
        """Step k (frame k to k+1) breaks ``name``."""
        return self.subst(self.ghost_bad(name), self.frame(k), None, self.sel_at(k))  # type: ignore[return-value]


def path_disjunction(sy: System, per_path: list[Val]) -> z3.BoolRef:
    """``sel == k and per_path[k]`` for some path k (the paths whose term is false left out)."""
    parts = []
    for k, e in enumerate(per_path):
        if isinstance(e, z3.ExprRef):
            e = z3.simplify(e)
            if z3.is_false(e):
                continue
            parts.append(z3.And(sy.sel == k, e))
        elif e:
            parts.append(sy.sel == k)
    return z3.Or(parts) if parts else z3.BoolVal(False)


__all__ = ["GHOST_INVARIANTS", "GhostCtx", "GhostLayout", "GhostSystem", "path_disjunction"]
