"""The ghost system with everything the explorer's Monitor keeps: notes, causes, twins.

Models: the compiled explorer (:mod:`checker.engines.compiled`) must tell apart exactly the
search states the interpreted explorer tells apart, (state key, Monitor state), and report the
same (invariant, cause) findings and sometimes-twins. The ghost system of
:mod:`checker.engines.smt.ghosts` leaves out what only names causes (the record's note fields
``label`` and ``last``) and the twins. :class:`NotedLayout` adds the notes as ghost fields,
and :class:`NoteCtx` runs the Monitor's own definition (:meth:`spec.history.History.step`)
along each path of the relation recording, besides the ghost updates, every ``violate`` as
(invariant, cause template, holes, condition) and every ``twin`` as (name, condition). A cause
is computed by the definition's own ``cause`` function on placeholders: each record field it
reads becomes a hole (a term of the frame before the step) that the compiled code fills in
when the condition holds.

Leaves out: the messages of violations (the compiled explorer replays each finding's trace
through the interpreted model and Monitor, which write them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import z3

from checker.engines.smt.ghosts import GhostCtx, GhostLayout, GhostSystem
from checker.engines.smt.paths import Path, Val
from checker.engines.smt.symbolic import And, Enum, If, SymbolicError, _sym
from spec.config import World
from spec.history import NOTE_FIELDS, OpTrack
from spec.profiles import Profile
from spec.steps import Steps
from spec.steps.core import START_KINDS

#: the values a record's ``label`` takes (spec.history: the operation's kind, then online or
#: offline once its GOING_X is delivered)
LABELS = ("",) + START_KINDS + ("online", "offline")


class Hole:
    """A record field read while a cause is computed: formats as a placeholder."""

    def __init__(self, value: Val, holes: list[Val]) -> None:
        self.value, self.holes = value, holes

    def __format__(self, spec: str) -> str:
        self.holes.append(self.value)
        return f"\x00{len(self.holes) - 1}\x00"

    __str__ = __repr__ = lambda self: self.__format__("")  # noqa: E731


@dataclass
class Judged:
    """What the Monitor's definition reports along one path: ``violations`` as (invariant,
    cause template, holes, condition) and ``twins`` as (name, condition)."""

    violations: list[tuple[str, str, list[Val], Val]]
    twins: list[tuple[str, Val]]


class NotedLayout(GhostLayout):
    """The ghost layout and the records' note fields ``g<t>.label``, ``g<t>.last``."""

    def __init__(self, world: World, profile: Profile, steps: type[Steps] = Steps) -> None:
        super().__init__(world, profile, steps)
        callees = ("",) + tuple(dict.fromkeys(self.history.chain + self.history.node_chain))
        for t in range(len(self.threads)):
            self._enum(f"g{t}.label", LABELS)
            self._enum(f"g{t}.last", callees)
        self.names = tuple(self.bools) + tuple(self.ints)

    def encode_track(self, t: int, op: OpTrack) -> dict[str, int | bool]:
        out = super().encode_track(t, op)
        for f in NOTE_FIELDS:
            name = f"g{t}.{f}"
            v = getattr(op, f)
            if v not in self.enums[name]:
                raise SymbolicError(f"the record note {name} holds {v!r}, outside its domain")
            out[name] = self.code(name, v)
        return out


class NoteCtx(GhostCtx):
    """The ghost context that also keeps the notes and records causes and twins."""

    def __init__(self, L: GhostLayout, X: dict[str, Any], path: Path) -> None:
        super().__init__(L, X, path)
        self.judged = Judged([], [])
        self._holes: list[Val] | None = None

    def g(self, u: int, f: str) -> Val:
        if f in NOTE_FIELDS:
            name = f"g{u}.{f}"
            v = self.cur[name]
            dom = self.L.enums[name]
            v = Enum.field(v, dom) if _sym(v) else dom[v]
        else:
            v = super().g(u, f)
        return v if self._holes is None else Hole(v, self._holes)

    def gset(self, u: int, **kw: Val) -> None:
        notes = {f: kw.pop(f) for f in NOTE_FIELDS if f in kw}
        super().gset(u, **kw)
        guard = self._guard()
        for f, v in notes.items():
            name = f"g{u}.{f}"
            dom = self.L.enums[name]
            if not isinstance(v, Enum) and v not in dom:
                raise SymbolicError(f"the record note {name} is set to {v!r}, outside its domain")
            self.cur[name] = If(guard, v.code(dom, name) if isinstance(v, Enum) else dom.index(v),
                                self.cur[name])

    def violate(self, invariant: str, cond: Val, cause: Callable[[], str],
                message: Callable[[], str]) -> None:
        super().violate(invariant, cond, cause, message)
        c = And(self._guard(), cond)
        if c is False:
            return
        holes: list[Val] = []
        self._holes = holes
        try:
            template = cause()
        finally:
            self._holes = None
        self.judged.violations.append((invariant, template, holes, c))

    def twin(self, name: str, cond: Val) -> None:  # type: ignore[override]
        c = And(self._guard(), cond)
        if c is not False:
            self.judged.twins.append((name, c))


class NotedSystem(GhostSystem):
    """The ghost system over :class:`NotedLayout`; ``judged[p]`` is what path ``p`` reports."""

    L: NotedLayout
    ctx = NoteCtx

    def _layout(self, world: World, profile: Profile) -> NotedLayout:
        return NotedLayout(world, profile, self.steps)

    def _relation(self) -> z3.BoolRef:
        """Not built: the compiled explorer runs the paths, not the Z3 relation."""
        return z3.BoolVal(True)

    def _keep(self, y: GhostCtx) -> None:
        assert isinstance(y, NoteCtx)
        if not hasattr(self, "judged"):
            self.judged: list[Judged] = []
        self.judged.append(y.judged)


__all__ = ["Hole", "Judged", "LABELS", "NoteCtx", "NotedLayout", "NotedSystem"]
