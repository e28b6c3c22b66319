"""Hypothesis lockstep of the kernel mirror against the spec (design.md sections 0 and 4).

A :class:`hypothesis.stateful.RuleBasedStateMachine` drives the pure spec (``spec.model.Spec``)
and the kernel mirror (``spec.kernel.Kernel``, or a patched copy through ``impl``) with the same
actions: each step picks one of the spec's enabled actions (writes of the world's texts, hot-add
and eject, a thread's next step with each of its choices, and reads of ``state`` even where the
world does not enumerate reads), applies it to both, and then

1. judges the **mirror** with the invariant :class:`spec.invariants.Monitor` (its machine before
   and after, its observation, its own sysfs view): a violation whose ``(invariant, cause)`` is
   not in ``expected`` (the known findings of an unmodified profile) fails the run as that
   invariant (:class:`InvariantFailure`);
2. compares the two renderings: the observation's core (point, notifier calls with their
   ``memory_notify`` arguments, callee order, ret, read), the abstract Machine, quiescence, the
   start actions and runnable threads, and in quiescent states the sysfs view; a difference is
   a :class:`LockstepDivergence`.

Invariants are judged before the comparison and win over it. :func:`run_stateful` runs the
machine with divergences *recorded, not fatal*: after the first one an example goes on with the
mirror alone (its own enabled actions), so a mirror that breaks an invariant is reported as that
invariant even when it left the spec's path earlier; only a budget in which no invariant broke
reports the first divergence seen (``failure == "lockstep"``). Either failure is then minimised
(:func:`minimize`: greedy removal of chunks of actions, replayed on fresh renderings), which is
far cheaper here than Hypothesis' shrinker on 50-step programs, and returned as a replayable
action list (``Action.to_json``; the invariant failures replay on the mirror alone, e.g.
``checker.formats.traces.replay`` through ``MirrorModel(world, impl)``).

Budgets (Hypothesis settings profiles, registered as ``memhp-dev``, ``memhp-ci`` and
``memhp-thorough`` so that Hypothesis' own ``ci`` profile is left alone): ``dev`` 20 x 20,
``ci`` 200 x 50, ``thorough`` 5000 x 100; all with ``deadline=None`` and no example database;
``dev`` and ``ci`` are derandomized unless a seed is given.

>>> from spec.worlds import builtin_world
>>> r = run_stateful(builtin_world("default"), budget="dev", expected=KNOWN)  # doctest: +SKIP
>>> r.verdict, r.bound                                                        # doctest: +SKIP
('sampled', '20x20')

The machine class also runs as a plain Hypothesis test (with Hypothesis' own shrinking)::

    TestLockstep = lockstep_machine(builtin_world("default"), expected=KNOWN).TestCase
"""

from __future__ import annotations

import json
import sys
import time
import types
from dataclasses import dataclass, field
from typing import Any, Iterable

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, rule

from spec.actions import Action, Observation
from spec.config import World
from spec.errors import ActionError, MemhpError
from spec.invariants import Monitor, Violation
from spec.profiles import get_profile
from spec.state import Machine, State
from spec.sysfs import View, render

__all__ = [
    "BUDGETS", "InvariantFailure", "Lockstep", "LockstepDivergence", "StatefulFailure",
    "StatefulResult", "lockstep_machine", "minimize", "replay_mirror", "run_stateful",
    "trace_json",
]

# --- settings profiles ---------------------------------------------------------------------

_COMMON: dict[str, Any] = dict(
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
settings.register_profile("memhp-dev", max_examples=20, stateful_step_count=20,
                          derandomize=True, **_COMMON)
settings.register_profile("memhp-ci", max_examples=200, stateful_step_count=50,
                          derandomize=True, **_COMMON)
settings.register_profile("memhp-thorough", max_examples=5000, stateful_step_count=100,
                          derandomize=False, **_COMMON)

#: the budgets by their short name (``run_stateful(budget=...)``, ``memhp verify``).
BUDGETS: dict[str, settings] = {
    name: settings.get_profile(f"memhp-{name}") for name in ("dev", "ci", "thorough")
}


# --- failures ------------------------------------------------------------------------------

def trace_json(trace: Iterable[Action]) -> str:
    """The actions as a JSON list, one action a line (``Action.from_json`` reads them back)."""
    return "[\n" + ",\n".join("  " + json.dumps(a.to_json()) for a in trace) + "\n]"


class StatefulError(MemhpError):
    """A bad argument of the developer entry point (``python -m checker.engines.stateful``)."""


class StatefulFailure(AssertionError):
    """A failed lockstep run; ``trace`` is the action list from boot to the failing step."""

    def __init__(self, what: str, trace: list[Action]) -> None:
        self.what = what
        self.trace = list(trace)
        super().__init__(f"{what}\nactions ({len(self.trace)}, replay with Action.from_json):\n"
                         f"{trace_json(self.trace)}")

    def __reduce__(self) -> Any:  # picklable (memhp verify runs this in another process)
        return (type(self), (self.what, self.trace))


class InvariantFailure(StatefulFailure):
    """The mirror broke an invariant with an (invariant, cause) that is not expected."""

    def __init__(self, violation: Violation, trace: list[Action]) -> None:
        self.violation = violation
        super().__init__(f"invariant {violation.invariant} violated [{violation.cause}]: "
                         f"{violation.message}", trace)

    def __reduce__(self) -> Any:
        return (type(self), (self.violation, self.trace))


class LockstepDivergence(StatefulFailure):
    """The mirror and the spec disagree (observation, machine, sysfs, enabled actions), or one
    of them raised where the other did not."""


class _Invalid(Exception):
    """A replayed action is not enabled (a candidate of the minimiser that does not run)."""


# --- the harness -----------------------------------------------------------------------------

class Lockstep:
    """The spec and the mirror of ``world`` (patched by ``impl``), driven by the same actions,
    the mirror judged by the Monitor. ``lockstep_fatal=False``: the first divergence is kept in
    ``diverged`` and the run goes on with the mirror alone."""

    def __init__(self, world: World, impl: types.ModuleType | None = None,
                 expected: frozenset[tuple[str, str]] = frozenset(),
                 lockstep_fatal: bool = True) -> None:
        from spec.kernel import Kernel
        from spec.model import Spec

        self.world, self.impl, self.expected = world, impl, expected
        self.lockstep_fatal = lockstep_fatal
        self.profile = get_profile(world.profile)
        self.spec = Spec(world, self.profile)
        self.threads = self.spec.threads
        self.s: State = self.spec.initial()
        self.trace: list[Action] = []
        try:
            self.k = Kernel(world, impl)
        except Exception as e:  # a patched mirror that does not even boot
            raise LockstepDivergence(f"the mirror raised at boot: {e!r}", []) from e
        self.busy: set[str] = set()  # mirror threads with an operation in flight
        self.op_block: dict[str, int] = {}  # the block of each thread's operation in flight
        self.diverged: tuple[str, list[Action]] | None = None
        self.has_injector = any(c.kind == "injector" for c in world.callbacks)
        self.m: Machine = self.k.machine()
        self.monitor = Monitor(world, self.profile, self.threads)
        view = self.k.sysfs()
        self.ms, vs, _ = self.monitor.initial(self.m, view)
        self._judge(vs)
        self._compare_state(self.s, self.m, True, view, "boot")

    # --- the enabled actions ------------------------------------------------------------------
    def _extra_actions(self, m: Machine) -> list[Action]:
        """Reads of ``state`` where the world does not list them (of the blocks an operation is
        under way on: a read of an idle block shows what the sysfs view, compared in every
        quiescent state, already shows) and injector settings."""
        out: list[Action] = []
        if not self.world.reads:
            busy = set(self.op_block.values())
            out.extend(Action("read", block=spec.id, file="state")
                       for spec, b in zip(self.world.blocks, m.blocks)
                       if b.registered and spec.id in busy)
        if self.has_injector:
            for ev in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
                for err in ("0", "-ENOMEM", "-EBUSY"):
                    out.append(Action("inject", choice=ev, text=err.encode()))
        return out

    def enabled(self) -> list[tuple[Action, Any]]:
        """(action, the spec's successor or None): the spec's choices while in lockstep, the
        mirror's own once it diverged."""
        if self.diverged:
            return self._mirror_enabled()
        out: list[tuple[Action, Any]] = [(a, (s2, obs)) for a, s2, obs in self.spec.successors(self.s)]
        out.extend((a, None) for a in self._extra_actions(self.s.machine))
        return out

    def _mirror_enabled(self) -> list[tuple[Action, Any]]:
        k = self.k
        out: list[tuple[Action, Any]] = [(a, None) for a in k.start_actions()]
        for t in k.runnable():
            probe = k.clone()
            try:
                probe.apply(Action("step", thread=t), first_choice=True)
            except Exception as e:  # the mirror crashes on its own next step
                raise LockstepDivergence(f"the mirror raised on {t}: step: {e!r}",
                                         self.trace + [Action("step", thread=t)]) from e
            options = probe.last_options
            if options:
                out.extend((Action("step", thread=t, choice=c), None) for c in options)
            else:
                out.append((Action("step", thread=t), None))
        out.extend((a, None) for a in self._extra_actions(self.m))
        return out

    # --- one action -----------------------------------------------------------------------------
    def do(self, a: Action, spec_next: Any = None, replay: bool = False) -> None:
        """Apply ``a`` to the mirror (judged) and, while in lockstep, to the spec (compared).
        ``replay``: ``a`` comes from a list, not from :meth:`enabled`: an action that the
        driving rendering does not accept raises _Invalid."""
        if replay and not self.diverged:
            try:
                spec_next = self.spec.step(self.s, a)
            except ActionError as e:
                raise _Invalid(str(e)) from None
        self.trace.append(a)
        pre = self.m
        try:
            obs = self.k.apply(a)
        except ActionError as e:
            if self.diverged:
                if replay:
                    raise _Invalid(str(e)) from None
                raise  # an action the mirror itself offered: a bug of this harness
            self._diverge(f"the mirror refuses {a.label()}: {e}")
            self.trace.pop()  # the mirror did not run it: the mirror-only trace goes on without
            return
        except Exception as e:  # the mirror (or a patched one) crashed
            raise LockstepDivergence(f"the mirror raised on {a.label()}: {e!r}", self.trace) from e
        if obs.thread is not None:
            if obs.ret is not None:
                self.busy.discard(obs.thread)
                self.op_block.pop(obs.thread, None)
            elif a.kind in ("write", "hotadd", "hotremove"):
                self.busy.add(obs.thread)
                self.op_block[obs.thread] = a.block  # type: ignore[assignment]
        post = self.k.machine()
        quiet = not self.busy
        view_cache: list[View] = []

        def view() -> View:
            if not view_cache:
                view_cache.append(self.k.sysfs())
            return view_cache[0]

        self.ms, vs, _ = self.monitor.step(self.ms, pre, a, obs, post, quiet, view)
        self.m = post
        self._judge(vs)
        if self.diverged:
            return
        try:
            if spec_next is not None:
                s2, sobs = spec_next
            else:
                s2, sobs = self.spec.step(self.s, a)
        except Exception as e:
            self._diverge(f"the spec raised on {a.label()}: {e!r}")
            return
        if sobs.core() != obs.core():
            self._diverge(f"observations differ on {a.label()}:\n  spec:   {_obs(sobs)}\n"
                          f"  mirror: {_obs(obs)}")
            return
        self.s = s2
        self._compare_state(s2, post, quiet, view() if quiet else None, a.label())

    # --- judging ---------------------------------------------------------------------------------
    def _judge(self, vs: list[Violation]) -> None:
        for v in vs:
            if (v.invariant, v.cause) not in self.expected:
                raise InvariantFailure(v, self.trace)

    def _diverge(self, what: str) -> None:
        if self.lockstep_fatal:
            raise LockstepDivergence(what, self.trace)
        if self.diverged is None:
            self.diverged = (what, list(self.trace))

    def _compare_state(self, s: State, m: Machine, quiet: bool, view: View | None, where: str) -> None:
        if s.machine != m:
            self._diverge(f"machines differ after {where}:\n{_machine_diff(s.machine, m)}")
            return
        if s.quiescent != quiet:
            self._diverge(f"after {where}: the spec is {'' if s.quiescent else 'not '}quiescent, "
                          f"the mirror is {'' if quiet else 'not '}")
            return
        if quiet and view is not None:
            want = render(self.world, self.profile, s.machine)
            if want != view:
                self._diverge(f"sysfs views differ after {where}:\n{_view_diff(want, view)}")
                return
        spec_starts = set(self.spec.start_actions(s))
        k_starts = set(self.k.start_actions())
        if spec_starts != k_starts:
            only_s = sorted(a.label() for a in spec_starts - k_starts)
            only_k = sorted(a.label() for a in k_starts - spec_starts)
            self._diverge(f"start actions differ after {where}: only the spec: {only_s}; "
                          f"only the mirror: {only_k}")
            return
        spec_run = [t for t, op in zip(self.threads, s.threads) if op is not None
                    and (op.pc != "wait" or s.machine.holder(op.lock) is None)]
        if spec_run != self.k.runnable():
            self._diverge(f"runnable threads differ after {where}: spec {spec_run}, "
                          f"mirror {self.k.runnable()}")


def _obs(o: Observation) -> str:
    from checker.formats.traces import describe

    return f"[{o.thread}] {describe(o)}"


def _machine_diff(a: Machine, b: Machine) -> str:
    lines = []
    for i, (x, y) in enumerate(zip(a.blocks, b.blocks)):
        if x != y:
            lines.append(f"  block[{i}]: spec   {x}\n            mirror {y}")
    for i, (x, y) in enumerate(zip(a.nodes, b.nodes)):
        if x != y:
            lines.append(f"  node{i}: spec   {x}\n         mirror {y}")
    for name in ("slub_nodes", "inject", "locks"):
        if getattr(a, name) != getattr(b, name):
            lines.append(f"  {name}: spec {getattr(a, name)}, mirror {getattr(b, name)}")
    return "\n".join(lines) or "  (the machines differ in shape)"


def _view_diff(want: View, got: View) -> str:
    lines = []
    for path in sorted(set(want) | set(got)):
        if want.get(path) != got.get(path):
            lines.append(f"  {path}: spec {want.get(path)!r}, mirror {got.get(path)!r}")
    return "\n".join(lines[:20])


# --- the Hypothesis state machine ---------------------------------------------------------------

_PICK_MAX = 720720  # divisible by 1..16, so small action counts are drawn evenly


class _LockstepMachine(RuleBasedStateMachine):
    """Base class; :func:`lockstep_machine` binds the world, the impl and the options."""

    world: World
    impl: types.ModuleType | None = None
    expected: frozenset[tuple[str, str]] = frozenset()
    lockstep_fatal: bool = True
    stats: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        self.stats["examples"] = self.stats.get("examples", 0) + 1
        self.h = Lockstep(self.world, self.impl, self.expected, self.lockstep_fatal)

    @rule(pick=st.integers(min_value=0, max_value=_PICK_MAX))
    def act(self, pick: int) -> None:
        """Run one enabled action: the ``pick``-th, modulo how many there are (one draw per
        step is much cheaper than ``st.data()``; it shrinks towards the first action)."""
        enabled = self.h.enabled()
        if not enabled:
            return
        a, spec_next = enabled[pick % len(enabled)]
        self.stats["steps"] = self.stats.get("steps", 0) + 1
        self.h.do(a, spec_next)

    def teardown(self) -> None:
        if self.h.diverged and "first_divergence" not in self.stats:
            self.stats["first_divergence"] = self.h.diverged


def lockstep_machine(world: World, impl: types.ModuleType | None = None,
                     expected: Iterable[tuple[str, str]] = frozenset(),
                     lockstep_fatal: bool = True,
                     stats: dict[str, Any] | None = None) -> type[RuleBasedStateMachine]:
    """A RuleBasedStateMachine class running ``world``'s spec and mirror (patched by ``impl``)
    in lockstep. ``expected``: (invariant, cause) pairs that do not fail the run.
    ``lockstep_fatal=False``: a divergence is recorded in ``stats['first_divergence']`` and the
    example goes on with the mirror alone. Its ``TestCase`` uses the ``ci`` budget."""
    name = "Lockstep_" + world.name.replace("-", "_") + "_" + world.profile.replace(".", "_")
    if impl is not None:
        name += "_" + getattr(impl, "__name__", "impl").rsplit(".", 1)[-1]
    cls = type(name, (_LockstepMachine,), {
        "world": world, "impl": impl, "expected": frozenset(expected),
        "lockstep_fatal": lockstep_fatal, "stats": stats if stats is not None else {},
    })
    cls.TestCase.settings = BUDGETS["ci"]
    return cls


# --- replay and minimisation -----------------------------------------------------------------------

def replay_mirror(world: World, impl: types.ModuleType | None, actions: Iterable[Action],
                  expected: frozenset[tuple[str, str]] = frozenset(),
                  where: list[int] | None = None) -> Violation | None:
    """Run ``actions`` on a fresh mirror judged by the Monitor (no spec): the first unexpected
    violation, or None (``where`` receives how many actions ran up to it). An action the mirror
    refuses raises ``spec.errors.ActionError``."""
    from spec.kernel import Kernel

    profile = get_profile(world.profile)
    k = Kernel(world, impl)
    threads = world.writer_threads() + ("fw",)
    monitor = Monitor(world, profile, threads)
    m = k.machine()
    ms, vs, _ = monitor.initial(m, k.sysfs())
    busy: set[str] = set()
    for v in vs:
        if (v.invariant, v.cause) not in expected:
            if where is not None:
                where.append(0)
            return v
    for n, a in enumerate(actions, 1):
        obs = k.apply(a)
        if obs.thread is not None:
            if obs.ret is not None:
                busy.discard(obs.thread)
            elif a.kind in ("write", "hotadd", "hotremove"):
                busy.add(obs.thread)
        post = k.machine()
        ms, vs, _ = monitor.step(ms, m, a, obs, post, not busy, k.sysfs)
        m = post
        for v in vs:
            if (v.invariant, v.cause) not in expected:
                if where is not None:
                    where.append(n)
                return v
    return None


def _fails_as_invariant(world: World, impl: Any, expected: frozenset[tuple[str, str]],
                        invariant: str | None = None) -> Any:
    """The minimiser's test: the actions run on the mirror and break an unexpected invariant
    (``invariant``, or any); returns the prefix up to the first violation."""
    def test(actions: list[Action]) -> list[Action] | None:
        found: list[int] = []
        try:
            v = replay_mirror(world, impl, actions, expected, found)
        except Exception:  # noqa: BLE001 - not enabled (ActionError) or a crash: not this failure
            return None
        if v is not None and (invariant is None or v.invariant == invariant):
            return actions[:found[0]] if found else actions
        return None
    return test


def _invariant_within(world: World, impl: Any, expected: frozenset[tuple[str, str]],
                      actions: list[Action], budget_s: float) -> tuple[list[Action], Violation] | None:
    """A shortest-found part of ``actions``, with the operations still in flight at their end
    run to completion on the mirror (:func:`_completed`), that breaks an unexpected invariant
    on the mirror alone (whole operations and chunks dropped, as :func:`minimize` does), with
    the violation; None when no part the minimiser tries does."""
    fails = _fails_as_invariant(world, impl, expected)
    trace = minimize(_completed(world, impl, actions), fails, budget_s)
    try:
        v = replay_mirror(world, impl, trace, expected)
    except Exception:  # noqa: BLE001 - the candidate crashes the mirror: no invariant finding
        return None
    return (trace, v) if v is not None else None


def _completed(world: World, impl: Any, actions: list[Action], limit: int = 500) -> list[Action]:
    """``actions`` followed by the steps that finish the operations in flight on the mirror
    (the first runnable thread, the first answer of each choice), so that a state invariant,
    judged when no operation runs, gets judged; ``actions`` alone if the mirror refuses them,
    raises, or does not finish within ``limit`` steps."""
    from spec.kernel import Kernel

    try:
        k = Kernel(world, impl)
        for a in actions:
            k.apply(a)
        out = list(actions)
        while (ready := k.runnable()) and len(out) < len(actions) + limit:
            t = ready[0]
            k.apply(Action("step", thread=t), first_choice=True)
            out.append(Action("step", thread=t, choice=k.last_choice))
        return out if not k.runnable() else list(actions)
    except Exception:  # noqa: BLE001 - a refused action or a crashing mirror: nothing to add
        return list(actions)


def _fails_as_lockstep(world: World, impl: Any, expected: frozenset[tuple[str, str]]) -> Any:
    def test(actions: list[Action]) -> list[Action] | None:
        try:
            h = Lockstep(world, impl, expected, lockstep_fatal=True)
            for a in actions:
                h.do(a, replay=True)
        except LockstepDivergence as e:
            return e.trace
        except (_Invalid, InvariantFailure, ActionError):
            return None
        return None
    return test


def _operations(actions: list[Action]) -> list[list[int]]:
    """The indexes of each operation: a start action (write, hotadd, hotremove) and the steps
    of its thread up to that thread's next start."""
    ops: list[list[int]] = []
    current: dict[str | None, list[int]] = {}
    for i, a in enumerate(actions):
        if a.kind in ("write", "hotadd", "hotremove"):
            current[a.thread] = [i]
            ops.append(current[a.thread])
        elif a.kind == "step" and a.thread in current:
            current[a.thread].append(i)
    return ops


def minimize(actions: list[Action], fails: Any, budget_s: float = 20.0) -> list[Action]:
    """Greedy delta debugging: drop whole operations (a start and its thread's steps), then
    chunks of actions (halves, quarters, ... single ones), as long as ``fails(candidate)``
    still returns a failing trace (which may end earlier than the candidate); until nothing
    more goes or ``budget_s`` seconds passed."""
    t0 = time.monotonic()
    best = fails(list(actions)) or list(actions)

    def left() -> bool:
        return time.monotonic() - t0 < budget_s

    improved = True
    while improved and left():
        improved = False
        for op in reversed(_operations(best)):  # later operations first: they rarely matter
            if not left():
                break
            drop = set(op)
            cand = [a for i, a in enumerate(best) if i not in drop]
            got = fails(cand) if cand else None
            if got is not None and len(got) < len(best):
                best, improved = got, True
                break
        if improved:
            continue
        chunk = max(1, len(best) // 2)
        while chunk >= 1 and left():
            i, changed = 0, False
            while i < len(best) and left():
                cand = best[:i] + best[i + chunk:]
                got = fails(cand) if cand else None
                if got is not None and len(got) < len(best):
                    best, changed, improved = got, True, True
                else:
                    i += chunk
            if not changed:
                chunk //= 2
    return best


# --- running it programmatically ----------------------------------------------------------------

@dataclass
class StatefulResult:
    """The outcome of :func:`run_stateful`. ``failure``: the invariant broken, ``"lockstep"``
    for a divergence (or a crash of either rendering), None when the run passed. ``trace``:
    the minimised action list of the failure."""

    examples: int
    steps: int
    passed: bool
    failure: str | None = None
    trace: list[Action] = field(default_factory=list)
    message: str = ""
    cause: str | None = None
    budget: str = "ci"
    seconds: float = 0.0
    total_steps: int = 0
    original_length: int = 0

    @property
    def bound(self) -> str:
        """The ``bound`` of a ``sampled`` verdict: examples x steps."""
        return f"{self.examples}x{self.steps}"

    @property
    def verdict(self) -> str:
        return "sampled" if self.passed else "violated"


def _settings_for(budget: str | settings, seed: int | None) -> settings:
    base = BUDGETS[budget] if isinstance(budget, str) else budget
    kw: dict[str, Any] = {
        "verbosity": Verbosity.quiet,
        # Hypothesis' shrinker is replaced by `minimize` (much cheaper on these programs)
        "phases": (Phase.explicit, Phase.reuse, Phase.generate),
        "report_multiple_bugs": False,
    }
    if seed is not None:
        kw["derandomize"] = False
    return settings(base, **kw)


def _run(cls: type[RuleBasedStateMachine], sets: settings, seed: int | None) -> BaseException | None:
    test = get_state_machine_test(cls, settings=sets)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    try:
        test()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - classified by the caller
        return _pick(e)
    return None


def _pick(e: BaseException) -> BaseException:
    """From a group of failures, the one to report: an invariant first."""
    if isinstance(e, BaseExceptionGroup):
        flat = list(_flatten(e))
        for kind in (InvariantFailure, LockstepDivergence, StatefulFailure):
            for x in flat:
                if isinstance(x, kind):
                    return x
        return flat[0] if flat else e
    return e


def _flatten(e: BaseException) -> Iterable[BaseException]:
    if isinstance(e, BaseExceptionGroup):
        for x in e.exceptions:
            yield from _flatten(x)
    else:
        yield e


def run_stateful(world: World, impl: types.ModuleType | None = None, budget: str | settings = "ci",
                 expected: Iterable[tuple[str, str]] = frozenset(),
                 seed: int | None = None, minimize_s: float = 20.0) -> StatefulResult:
    """Run the lockstep machine under a budget (``dev``, ``ci``, ``thorough``, or a
    ``hypothesis.settings``) and classify the outcome; ``expected``: the (invariant, cause)
    pairs that do not fail it (an unmodified profile's known findings); ``seed``: a fixed
    Hypothesis seed (default: derandomized for dev and ci). The failing trace is minimised for
    at most ``minimize_s`` seconds."""
    t0 = time.monotonic()
    sets = _settings_for(budget, seed)
    expected = frozenset(expected)
    stats: dict[str, Any] = {}
    cls = lockstep_machine(world, impl, expected, lockstep_fatal=False, stats=stats)
    err = _run(cls, sets, seed)
    # examples run (an example Hypothesis discards as too large is counted by the machine but
    # not by Hypothesis' budget)
    examples = min(stats.get("examples", 0), sets.max_examples)
    res = StatefulResult(examples=examples, steps=sets.stateful_step_count,
                         passed=True, budget=budget if isinstance(budget, str) else "custom",
                         total_steps=stats.get("steps", 0))
    if err is None and "first_divergence" in stats:
        what, trace = stats["first_divergence"]
        err = LockstepDivergence(what, trace)
    if err is not None:
        res.passed = False
        if isinstance(err, InvariantFailure):
            v = err.violation
            res.failure, res.cause = v.invariant, v.cause
            res.original_length = len(err.trace)
            # minimised towards the shortest failure of any unexpected invariant: a mutant that
            # breaks several is reported by the one it breaks first on the shortest path found
            trace = minimize(err.trace, _fails_as_invariant(world, impl, expected), minimize_s)
            got = replay_mirror(world, impl, trace, expected)
            if got is not None:
                v = got
                res.failure, res.cause = v.invariant, v.cause
            res.trace = trace
            res.message = str(InvariantFailure(v, trace))
        elif isinstance(err, LockstepDivergence) and (
                sub := _invariant_within(world, impl, expected, err.trace, minimize_s)) is not None:
            # the mirror left the spec's path (or crashed on a state only it reaches), and some
            # of the same actions, replayed on the mirror alone, break an invariant: that is
            # the finding to report; the divergence is named in the message
            trace, v = sub
            res.failure, res.cause = v.invariant, v.cause
            res.original_length = len(err.trace)
            res.trace = trace
            res.message = (f"{InvariantFailure(v, trace)}\n(found within a run that left the "
                           f"spec's path: {err.what.splitlines()[0]})")
        elif isinstance(err, LockstepDivergence):
            res.failure = "lockstep"
            res.original_length = len(err.trace)
            trace = minimize(err.trace, _fails_as_lockstep(world, impl, expected), minimize_s)
            what = err.what
            try:
                h = Lockstep(world, impl, expected, lockstep_fatal=True)
                for a in trace:
                    h.do(a, replay=True)
            except LockstepDivergence as e2:
                what = e2.what
            except Exception:  # noqa: BLE001 - keep the unminimised description
                trace = err.trace
            res.trace = trace
            res.message = str(LockstepDivergence(what, trace))
        else:  # Hypothesis itself (flaky, unsatisfiable, ...) or a crash outside the harness
            res.failure = "lockstep"
            res.message = f"{type(err).__name__}: {err}"
    res.seconds = time.monotonic() - t0
    return res


def _expect(path: str) -> frozenset[tuple[str, str]]:
    """The known findings of ``--expect FILE``: a JSON list of [invariant, cause] pairs."""
    from spec.files import read_text_input

    text = read_text_input(path, "list of expected findings", StatefulError)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:  # bad JSON, a huge integer, deep nesting
        raise StatefulError(f"{path}: not valid JSON ({e})") from None
    if not (isinstance(data, list) and all(isinstance(x, list) and len(x) == 2
                                           and all(isinstance(y, str) for y in x) for x in data)):
        raise StatefulError(f"{path}: expected a JSON list of [invariant, cause] pairs")
    return frozenset((x[0], x[1]) for x in data)


def _main(argv: list[str] | None = None) -> int:  # pragma: no cover - a developer's entry point
    """``python -m checker.engines.stateful [WORLD] [--budget B] [--profile P] [--impl FILE] [--seed N]
    [--expect FILE]``."""
    import argparse

    from checker.model import load_impl
    from spec.worlds import resolve_world

    ap = argparse.ArgumentParser(prog="python -m checker.engines.stateful")
    ap.add_argument("world", nargs="?", default="default")
    ap.add_argument("--budget", default="dev", choices=sorted(BUDGETS))
    ap.add_argument("--profile", default=None)
    ap.add_argument("--impl", default=None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--expect", default=None, help="a JSON list of [invariant, cause] pairs")
    ns = ap.parse_args(argv)
    try:
        w = resolve_world(ns.world)
        if ns.profile:
            w = w.with_profile(ns.profile)
        impl = load_impl(ns.impl) if ns.impl else None
        expected = _expect(ns.expect) if ns.expect else frozenset()
        r = run_stateful(w, impl, ns.budget, expected, ns.seed)
    except MemhpError as e:
        print(f"{ap.prog}: error: {e}", file=sys.stderr)
        return 2
    print(f"{r.verdict} {r.bound} in {r.seconds:.1f}s"
          + (f": {r.failure} [{r.cause}]" if r.failure else ""))
    if r.message:
        print(r.message)
    return 0 if r.passed else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
