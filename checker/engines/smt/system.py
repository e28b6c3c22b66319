"""The transition system of one world and profile in Z3: initial state, transition relation.

Models: frames of variables (one per state field, :mod:`checker.engines.smt.encoding`) and, between
frame k and k+1, a selector ``sel@k`` naming the path (:mod:`checker.engines.smt.symbolic`) taken: the
path's guard holds of frame k and each field of frame k+1 is the path's update or, if it writes
none, the field of frame k. The relation is built once on template frames and instantiated per
step by substitution.

Leaves out: nothing of the spec's successors (see checker.engines.smt.symbolic). Observations are not part of the
frames; the history invariants (:mod:`checker.engines.smt.ghosts`) read the notifier calls off the paths.
"""

from __future__ import annotations

from typing import Any

import z3

from checker.engines.smt.encoding import Layout
from checker.engines.smt.paths import Path
from checker.engines.smt.symbolic import enumerate_paths, past
from spec.actions import Action
from spec.config import World
from spec.profiles import Profile
from spec.state import initial_state
from spec.steps import Steps


SEL_BITS = 16  # the path selector: a bit-vector (an int with many excluded values is slow)


class System:
    def __init__(self, world: World, profile: Profile, steps: type[Steps] = Steps,
                 deadline: float | None = None) -> None:
        """``steps``: the definition of the steps (spec.steps.Steps, or a spec mutant: a
        subclass that redefines some of them); the spec that decoded traces replay through
        runs the same class. ``deadline`` (time.monotonic()): building the relation past it
        raises checker.engines.smt.symbolic.Timeout."""
        self.world, self.profile = world, profile
        self.steps = steps
        self.deadline = deadline
        self.L = self._layout(world, profile)
        self.X = self.L.fresh("x")
        self.Y = self.L.fresh("y")
        self.sel = z3.BitVec("sel@x", SEL_BITS)
        self.paths: list[Path] = self._paths()
        assert len(self.paths) < 1 << SEL_BITS
        self.T = self._relation()
        self._frames: dict[int, dict[str, z3.ExprRef]] = {}

    def _layout(self, world: World, profile: Profile) -> Layout:
        return Layout(world, profile, self.steps)

    def _paths(self) -> list[Path]:
        return enumerate_paths(self.L, self.steps(self.world, self.profile), self.X, self.deadline)

    def _relation(self) -> z3.BoolRef:
        sel, X, Y = self.sel, self.X, self.Y
        parts: list[Any] = [z3.ULT(sel, len(self.paths))]
        writers: dict[str, list[tuple[int, Any]]] = {}
        for p, path in enumerate(self.paths):
            past(self.deadline)
            if path.guard:
                parts.append(z3.Implies(sel == p, z3.And(path.guard)))
            for name, v in path.upd.items():
                if isinstance(v, z3.ExprRef) and v.eq(X[name]):
                    continue
                writers.setdefault(name, []).append((p, v))
        for name in self.L.names:
            e: Any = X[name]
            for p, v in writers.get(name, ()):
                e = z3.If(sel == p, v, e)
            parts.append(Y[name] == e)
        return z3.And(parts)

    # --- frames ---------------------------------------------------------------------------
    def frame(self, k: int) -> dict[str, z3.ExprRef]:
        if k not in self._frames:
            self._frames[k] = self.L.fresh(str(k))
        return self._frames[k]

    def sel_at(self, k: int) -> z3.BitVecRef:
        return z3.BitVec(f"sel@{k}", SEL_BITS)

    def subst(self, e: z3.ExprRef, pre: dict[str, z3.ExprRef], post: dict[str, z3.ExprRef] | None,
              sel: z3.ExprRef) -> z3.ExprRef:
        pairs = [(self.X[n], pre[n]) for n in self.L.names]
        if post is not None:
            pairs += [(self.Y[n], post[n]) for n in self.L.names]
        pairs.append((self.sel, sel))
        return z3.substitute(e, *pairs)

    def distinct(self, first: int, last: int) -> list[z3.BoolRef]:
        """Frames first..last pairwise distinct (the simple-path constraint of a step case)."""
        return [z3.Or([self.frame(i)[v] != self.frame(j)[v] for v in self.L.names])
                for i in range(first, last + 1) for j in range(i + 1, last + 1)]

    def trans(self, k: int) -> z3.BoolRef:
        """The step from frame k to frame k+1."""
        return self.subst(self.T, self.frame(k), self.frame(k + 1), self.sel_at(k))  # type: ignore[return-value]

    def model(self) -> Any:
        """The SpecModel (of the same steps) that decoded traces replay through."""
        from checker.model import SpecModel

        return SpecModel(self.world, self.profile, self.steps)

    def initial_values(self) -> dict[str, int | bool]:
        return self.L.encode(initial_state(self.world, self.profile))

    def init(self, k: int = 0) -> z3.BoolRef:
        return self.L.equals(self.frame(k), self.initial_values())

    def action(self, model: z3.ModelRef, k: int) -> Action:
        return self.paths[model.eval(self.sel_at(k), model_completion=True).as_long()].action

    # --- the agreement check's primitive ------------------------------------------------------
    def successors(self, vals: dict[str, int | bool], solver: z3.Solver | None = None
                   ) -> list[tuple[Action, dict[str, int | bool]]]:
        """Every (action, next state) the relation admits from the concrete state ``vals``."""
        s = solver or z3.Solver()
        s.push()
        s.add(self.T, self.L.equals(self.X, vals))
        out = []
        while s.check() == z3.sat:
            m = s.model()
            p = m.eval(self.sel, model_completion=True).as_long()
            out.append((self.paths[p].action, self.L.read_model(m, self.Y)))
            s.add(self.sel != p)
        s.pop()
        return out
