"""Bounded model checking and k-induction over :class:`checker.engines.smt.system.System`.

Models: BMC unrolls the relation from the initial state one transition at a time and asks, at
each depth, whether an invariant fails in the last frame, or a history invariant
(:mod:`checker.engines.smt.ghosts`) in the last transition (so the first depth found is a shortest
counterexample, counted in transitions). A counterexample is decoded into a
:class:`checker.formats.traces.Trace` by running the decoded actions through the spec, checking after
every step that the spec's state is the solver's frame, and replaying the trace with
``checker.formats.traces.replay``; any disagreement raises :class:`InternalError`.

k-induction (with simple-path constraints: the frames of the step case are pairwise distinct)
tries k = 1, 2, ... up to a bound; the base case is BMC to depth k - 1. A failed step case is a
counterexample to induction (cti): its first frame is reported, never as a violation.

Leaves out: lemmas (:meth:`Checker.kind` takes ready ones; :mod:`checker.engines.smt.lemmas` finds and
proves the structural lemmas that ``memhp prove`` uses).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import z3

from checker.engines.smt.ghosts import GHOST_INVARIANTS
from checker.engines.smt.props import Props
from checker.engines.smt.symbolic import Timeout
from checker.engines.smt.system import System
from checker.formats.traces import Trace, TraceStep, annotate, replay
from spec.errors import ActionError, MemhpError


class InternalError(MemhpError):
    """The Z3 encoding and the spec disagree on a decoded trace (a defect of memhp-check)."""


@dataclass
class Outcome:
    verdict: str  # proved / violated / cti / unknown / passed (BMC found nothing to the bound)
    bound: int
    trace: Trace | None = None
    message: str = ""
    cti: dict[str, int | bool] | None = None
    strengthened_by: list[str] = field(default_factory=list)


class Checker:
    def __init__(self, system: System, deadline: float) -> None:
        self.sy = system
        self.props = Props(system.L)
        self.deadline = deadline

    def bad_at(self, name: str, k: int) -> z3.BoolRef:
        """``name`` fails at depth k: in frame k (a state invariant) or in the step into frame k
        (a history invariant, on a GhostSystem; none at depth 0)."""
        if name in GHOST_INVARIANTS:
            return self.sy.ghost_bad_at(name, k - 1) if k > 0 else z3.BoolVal(False)  # type: ignore[attr-defined]
        return z3.Not(self.props.holds(name, self.sy.frame(k)))

    def _sat(self, *fs: z3.BoolRef) -> z3.ModelRef | None:
        """A model of the conjunction, None if unsatisfiable; Timeout past the deadline. The
        queries are solved afresh by bit-blasting (z3's incremental core is far slower here)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout
        tactic = z3.Then("simplify", "propagate-values", "solve-eqs", "bit-blast", "sat")
        s = z3.TryFor(tactic, max(1, int(left * 1000))).solver()
        s.add(*fs)
        try:
            r = s.check()
        except z3.Z3Exception:
            raise Timeout from None
        if r == z3.unknown:
            raise Timeout
        return s.model() if r == z3.sat else None

    def unroll(self, k: int) -> list[z3.BoolRef]:
        """The initial state and k transitions."""
        return [self.sy.init(0)] + [self.sy.trans(i) for i in range(k)]

    # --- BMC ------------------------------------------------------------------------------------
    def bmc(self, names: list[str], depth: int,
            phase: Callable[[str], None] | None = None) -> dict[str, Outcome]:
        """Shortest violation of each invariant up to ``depth`` transitions; the others 'passed'
        to that depth (or 'unknown' at the depth where the deadline struck). ``phase`` is told
        each depth as it starts (the progress line of ``memhp prove``)."""
        out: dict[str, Outcome] = {}
        for k in range(depth + 1):
            if phase is not None:
                phase(f"BMC depth {k} of {depth}, {len(names) - len(out)} invariants open")
            path = self.unroll(k)
            while True:
                left = [n for n in names if n not in out]
                if not left:
                    return out
                bad = {n: self.bad_at(n, k) for n in left}
                try:
                    m = self._sat(*path, z3.Or(list(bad.values())))
                except Timeout:
                    for n in left:
                        out[n] = Outcome("unknown", k, message=f"no violation up to {k - 1} steps; "
                                         f"the solver ran out of time at depth {k}")
                    return out
                if m is None:
                    break
                for n in left:
                    if z3.is_true(m.eval(bad[n], model_completion=True)):
                        out[n] = Outcome("violated", k, self.decode(m, k, n))
        for name in names:
            out.setdefault(name, Outcome("passed", depth))
        return out

    def decode(self, model: z3.ModelRef, k: int, name: str) -> Trace:
        """The trace of frames 0..k: replayed through the spec, frame by frame."""
        sy = self.sy
        sm = sy.model()
        state = sm.initial()[0]
        steps: list[TraceStep] = []
        for i in range(k):
            a = sy.action(model, i)
            try:
                state, obs = sm.step(state, a)
            except ActionError as e:
                raise InternalError(f"decoded step {i + 1} ({a.label()}) is not enabled in the spec: {e}") from None
            want = sy.L.read_model(model, sy.frame(i + 1))
            got = sy.L.encode(state)  # the spec's fields (a GhostSystem's ghosts are the Monitor's)
            diff = sorted(f for f in got if want[f] != got[f])
            if diff:
                raise InternalError(f"decoded step {i + 1} ({a.label()}): the spec's state differs "
                                    f"from the solver's in {', '.join(diff)}")
            steps.append(TraceStep(a, obs))
        cause, message = self._judge(steps, name)
        tr = annotate(Trace(sy.profile.name, sy.world, steps, name, cause, message), sm)
        res = replay(tr, sm)
        if not res.ok:
            raise InternalError(f"the decoded trace does not replay: {res.divergence}")
        return tr

    def _judge(self, steps: list[TraceStep], name: str) -> tuple[str, str]:
        """The spec's Monitor on the decoded trace: its violation of ``name`` at the last step."""
        from spec.invariants import Monitor

        sm = self.sy.model()
        mon = Monitor(sm.world, sm.profile, sm.threads, True)
        state = sm.initial()[0]
        ms, vs, _ = mon.initial(sm.machine(state), sm.view(state))
        for st in steps:
            pre = sm.machine(state)
            state, _obs = sm.step(state, st.action)
            ms, vs, _ = mon.step(ms, pre, st.action, st.obs, sm.machine(state),
                                 sm.quiescent(state), lambda s=state: sm.view(s))
        hits = [v for v in vs if v.invariant == name]
        if not hits:
            raise InternalError(f"the solver's counterexample to {name} ({len(steps)} steps) is "
                                f"no violation for the spec's Monitor")
        return hits[0].cause, hits[0].message

    # --- k-induction ----------------------------------------------------------------------------
    def kind(self, name: str, kmax: int, lemmas: tuple[str, ...] = ()) -> Outcome:
        """Smallest k <= kmax for which the state invariant ``name`` (with ``lemmas``, proved
        separately) is k-inductive; a failing base case is a violation, a failing step case at
        kmax a cti."""
        sy, P = self.sy, self.props
        inv = (name,) + tuple(lemmas)
        cti: dict[str, int | bool] | None = None
        for k in range(1, kmax + 1):
            # base: no violation in frame k - 1 (frames before it were checked for smaller k)
            m = self._sat(*self.unroll(k - 1), z3.Not(P.holds(name, sy.frame(k - 1))))
            if m is not None:
                return Outcome("violated", k - 1, self.decode(m, k - 1, name))
            # step: inv in frames 0..k-1, k transitions, pairwise distinct frames, not inv at k
            fs: list[z3.BoolRef] = []
            for i in range(k + 1):
                fs.append(sy.L.domain(sy.frame(i)))
            for i in range(k):
                fs.append(sy.trans(i))
                fs += [P.holds(n, sy.frame(i)) for n in inv]
            fs += [P.holds(n, sy.frame(k)) for n in lemmas]
            fs += sy.distinct(0, k)
            m = self._sat(*fs, z3.Not(P.holds(name, sy.frame(k))))
            if m is None:
                return Outcome("proved", k, strengthened_by=list(lemmas))
            cti = sy.L.read_model(m, sy.frame(0))
        return Outcome("cti", kmax, cti=cti, message=sy.L.describe(cti) if cti else "",
                       strengthened_by=list(lemmas))
