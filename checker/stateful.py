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

Invariants are judged before the comparison and win over it: once the two renderings diverge,
the run goes on with the mirror alone (its own enabled actions) and still fails as an invariant
if the mirror breaks one later; only a run that breaks no invariant reports the divergence.
:func:`run_stateful` runs this twice when needed: first with divergences recorded but not fatal
(so every example can reach an invariant), then, only if a divergence was seen, with divergences
fatal, so that Hypothesis shrinks the divergence itself.

Every failure carries the replayable action list (``Action.to_json``) that led to it.

Budgets (Hypothesis settings profiles, registered as ``memhp-dev``, ``memhp-ci`` and
``memhp-thorough`` so that Hypothesis' own ``ci`` profile is left alone): ``dev`` 20 x 20,
``ci`` 200 x 50, ``thorough`` 5000 x 100; all with ``deadline=None`` and no example database;
``dev`` and ``ci`` are derandomized unless a seed is given.

>>> from spec.worlds import builtin_world
>>> r = run_stateful(builtin_world("default"), profile="dev", expected=KNOWN_ALL)  # doctest: +SKIP
>>> r.passed, r.bound                                                             # doctest: +SKIP
(True, '20x20')
"""

from __future__ import annotations

import json
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from hypothesis import HealthCheck, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, rule

from spec.actions import Action, Observation
from spec.config import World
from spec.errors import ActionError
from spec.invariants import Monitor, Violation
from spec.profiles import get_profile
from spec.state import Machine, State
from spec.sysfs import View, render

__all__ = [
    "PROFILES", "InvariantFailure", "LockstepDivergence", "StatefulFailure", "StatefulResult",
    "lockstep_machine", "run_stateful", "trace_json",
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

#: the budgets by their short name (``run_stateful(profile=...)``, ``memhp verify``).
PROFILES: dict[str, settings] = {
    name: settings.get_profile(f"memhp-{name}") for name in ("dev", "ci", "thorough")
}


# --- failures ------------------------------------------------------------------------------

def trace_json(trace: Iterable[Action]) -> str:
    """The actions as a JSON list, one action a line (``Action.from_json`` reads them back)."""
    return "[\n" + ",\n".join("  " + json.dumps(a.to_json()) for a in trace) + "\n]"


class StatefulFailure(AssertionError):
    """A failed lockstep run; ``trace`` is the action list from boot to the failing step."""

    kind = "failure"

    def __init__(self, what: str, trace: list[Action]) -> None:
        self.what = what
        self.trace = list(trace)
        super().__init__(f"{what}\nactions ({len(self.trace)}, replay with Action.from_json):\n"
                         f"{trace_json(self.trace)}")


class InvariantFailure(StatefulFailure):
    """The mirror broke an invariant with a (invariant, cause) that is not expected."""

    def __init__(self, violation: Violation, trace: list[Action]) -> None:
        self.violation = violation
        super().__init__(f"invariant {violation.invariant} violated [{violation.cause}]: "
                         f"{violation.message}", trace)


class LockstepDivergence(StatefulFailure):
    """The mirror and the spec disagree (observation, machine, sysfs, enabled actions), or one
    of them raised where the other did not."""


# --- the state machine -----------------------------------------------------------------------

_PICK_MAX = 720720  # divisible by 1..16, so small action counts are drawn evenly

class _Lockstep(RuleBasedStateMachine):
    """Base class; :func:`lockstep_machine` binds the world, the impl and the options."""

    world: World
    impl: types.ModuleType | None = None
    expected: frozenset[tuple[str, str]] = frozenset()
    lockstep_fatal: bool = True
    stats: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        from spec.kernel import Kernel
        from spec.model import Spec

        w = self.world
        self.profile = get_profile(w.profile)
        self.spec = Spec(w, self.profile)
        self.threads = self.spec.threads
        self.s: State = self.spec.initial()
        self.k = Kernel(w, self.impl)
        self.trace: list[Action] = []
        self.busy: set[str] = set()  # mirror threads with an operation in flight
        self.diverged: str | None = None
        self.has_injector = any(c.kind == "injector" for c in w.callbacks)
        self.stats["examples"] = self.stats.get("examples", 0) + 1
        self.m: Machine = self.k.machine()
        self.monitor = Monitor(w, self.profile, self.threads)
        view = self.k.sysfs()
        self.ms, vs, _ = self.monitor.initial(self.m, view)
        self._judge(vs)
        self._compare_state(self.s, self.m, True, view, "boot")

    # --- choosing an action ---------------------------------------------------------------
    def _extra_actions(self, m: Machine, reads_listed: bool) -> list[Action]:
        """Reads of ``state`` (when the world does not list them) and injector settings."""
        out: list[Action] = []
        if not reads_listed:
            out.extend(Action("read", block=spec.id, file="state")
                       for spec, b in zip(self.world.blocks, m.blocks) if b.registered)
        if self.has_injector:
            for ev in ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE"):
                for err in ("0", "-ENOMEM", "-EBUSY"):
                    out.append(Action("inject", choice=ev, text=err.encode()))
        return out

    def _spec_enabled(self) -> list[tuple[Action, Any]]:
        out: list[tuple[Action, Any]] = [(a, (s2, obs)) for a, s2, obs in self.spec.successors(self.s)]
        out.extend((a, None) for a in self._extra_actions(self.s.machine, self.world.reads))
        return out

    def _mirror_enabled(self) -> list[tuple[Action, Any]]:
        k = self.k
        out: list[tuple[Action, Any]] = [(a, None) for a in k.start_actions()]
        for t in k.runnable():
            probe = k.clone()
            probe.apply(Action("step", thread=t), first_choice=True)
            options = probe.last_options
            if options:
                out.extend((Action("step", thread=t, choice=c), None) for c in options)
            else:
                out.append((Action("step", thread=t), None))
        out.extend((a, None) for a in self._extra_actions(self.m, self.world.reads))
        return out

    @rule(pick=st.integers(min_value=0, max_value=_PICK_MAX))
    def act(self, pick: int) -> None:
        """Run one enabled action: the ``pick``-th, modulo how many there are (one draw per
        step is much cheaper than ``st.data()``; it shrinks towards the first action)."""
        enabled = self._mirror_enabled() if self.diverged else self._spec_enabled()
        if not enabled:
            return
        a, spec_next = enabled[pick % len(enabled)]
        self.trace.append(a)
        self.stats["steps"] = self.stats.get("steps", 0) + 1
        # 1. the mirror, judged on its own
        pre = self.m
        try:
            obs = self.k.apply(a)
        except ActionError as e:
            if self.diverged:
                raise  # an action the mirror itself offered: a bug of this harness
            self._diverge(f"the mirror refuses {a.label()}: {e}")
            self.trace.pop()
            return
        except Exception as e:  # the mirror (or a patched one) crashed
            raise LockstepDivergence(f"the mirror raised on {a.label()}: {e!r}", self.trace) from e
        if obs.thread is not None:
            if obs.ret is not None:
                self.busy.discard(obs.thread)
            elif a.kind in ("write", "hotadd", "hotremove"):
                self.busy.add(obs.thread)
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
        # 2. the spec, and the comparison
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

    # --- judging ---------------------------------------------------------------------------
    def _judge(self, vs: list[Violation]) -> None:
        for v in vs:
            if (v.invariant, v.cause) not in self.expected:
                raise InvariantFailure(v, self.trace)

    def _diverge(self, what: str) -> None:
        if self.lockstep_fatal:
            raise LockstepDivergence(what, self.trace)
        if self.diverged is None:
            self.diverged = what
            self.stats["diverged"] = self.stats.get("diverged", 0) + 1
            self.stats.setdefault("first_divergence", (what, list(self.trace)))

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

    def teardown(self) -> None:
        if self.diverged and self.lockstep_fatal:  # pragma: no cover - raised at the step
            raise LockstepDivergence(self.diverged, self.trace)


def _obs(o: Observation) -> str:
    from checker.traces import describe

    return f"[{o.thread}] {describe(o)}"


def _machine_diff(a: Machine, b: Machine) -> str:
    lines = []
    for i, (x, y) in enumerate(zip(a.blocks, b.blocks)):
        if x != y:
            lines.append(f"  block[{i}]: spec {x}\n            mirror {y}")
    for i, (x, y) in enumerate(zip(a.nodes, b.nodes)):
        if x != y:
            lines.append(f"  node{i}: spec {x}\n         mirror {y}")
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


def lockstep_machine(world: World, impl: types.ModuleType | None = None,
                     expected: Iterable[tuple[str, str]] = frozenset(),
                     lockstep_fatal: bool = True,
                     stats: dict[str, Any] | None = None) -> type[RuleBasedStateMachine]:
    """A RuleBasedStateMachine class running ``world``'s spec and mirror (patched by ``impl``)
    in lockstep. ``expected``: (invariant, cause) pairs that do not fail the run.
    ``lockstep_fatal=False``: a divergence is recorded in ``stats`` and the run goes on with the
    mirror alone. Run it with ``run_state_machine_as_test`` or through its ``TestCase``."""
    name = "Lockstep_" + world.name.replace("-", "_") + "_" + world.profile.replace(".", "_")
    if impl is not None:
        name += "_" + getattr(impl, "__name__", "impl").rsplit(".", 1)[-1]
    cls = type(name, (_Lockstep,), {
        "world": world, "impl": impl, "expected": frozenset(expected),
        "lockstep_fatal": lockstep_fatal, "stats": stats if stats is not None else {},
    })
    cls.TestCase.settings = PROFILES["ci"]
    return cls


# --- running it programmatically ----------------------------------------------------------------

@dataclass
class StatefulResult:
    """The outcome of :func:`run_stateful`. ``failure``: the invariant broken, ``"lockstep"``
    for a divergence (or a crash of either rendering), None when the run passed."""

    examples: int
    steps: int
    passed: bool
    failure: str | None = None
    trace: list[Action] = field(default_factory=list)
    message: str = ""
    cause: str | None = None
    profile: str = "ci"
    seconds: float = 0.0
    total_steps: int = 0

    @property
    def bound(self) -> str:
        """The ``bound`` of a ``sampled`` verdict: examples x steps."""
        return f"{self.examples}x{self.steps}"

    @property
    def verdict(self) -> str:
        return "sampled" if self.passed else "violated"


def _settings_for(profile: str | settings, seed: int | None) -> settings:
    base = PROFILES[profile] if isinstance(profile, str) else profile
    kw: dict[str, Any] = {"verbosity": Verbosity.quiet}
    if seed is not None:
        kw["derandomize"] = False
    return settings(base, **kw)


def _run(cls: type[RuleBasedStateMachine], sets: settings, seed: int | None) -> BaseException | None:
    test = get_state_machine_test(cls, settings=sets)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    try:
        test()
    except BaseException as e:  # noqa: BLE001 - classified by the caller
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return e
    return None


def _pick(e: BaseException) -> BaseException:
    """From Hypothesis' report of several bugs, the one to report: an invariant first."""
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


def run_stateful(world: World, impl: types.ModuleType | None = None, profile: str = "ci",
                 expected: Iterable[tuple[str, str]] = frozenset(),
                 seed: int | None = None) -> StatefulResult:
    """Run the lockstep machine under a budget (``dev``, ``ci``, ``thorough``) and classify the
    outcome. The mirror's invariants are judged first (with divergences not fatal); only if no
    invariant broke and a divergence was seen is the run repeated with divergences fatal."""
    t0 = time.monotonic()
    sets = _settings_for(profile, seed)
    expected = frozenset(expected)
    stats: dict[str, Any] = {}
    cls = lockstep_machine(world, impl, expected, lockstep_fatal=False, stats=stats)
    err = _run(cls, sets, seed)
    examples, total = stats.get("examples", 0), stats.get("steps", 0)
    if err is None and stats.get("diverged"):
        stats2: dict[str, Any] = {}
        cls2 = lockstep_machine(world, impl, expected, lockstep_fatal=True, stats=stats2)
        err = _run(cls2, sets, seed)
        if err is None:  # not reproduced (should not happen): report the divergence seen
            what, trace = stats["first_divergence"]
            err = LockstepDivergence(what, trace)
    res = StatefulResult(examples=examples, steps=sets.stateful_step_count, passed=err is None,
                         profile=profile if isinstance(profile, str) else "custom",
                         total_steps=total)
    if err is not None:
        e = _pick(err)
        if isinstance(e, InvariantFailure):
            res.failure, res.cause = e.violation.invariant, e.violation.cause
        else:
            res.failure = "lockstep"
        res.trace = list(getattr(e, "trace", []))
        res.message = str(e) if isinstance(e, StatefulFailure) else f"{type(e).__name__}: {e}"
    res.seconds = time.monotonic() - t0
    return res


def _main(argv: list[str] | None = None) -> int:  # pragma: no cover - a developer's entry point
    """``python -m checker.stateful [WORLD] [PROFILE] [--impl FILE] [--seed N]``."""
    import argparse

    from checker.model import load_impl
    from spec.worlds import resolve_world

    ap = argparse.ArgumentParser(prog="python -m checker.stateful")
    ap.add_argument("world", nargs="?", default="default")
    ap.add_argument("--budget", default="dev", choices=sorted(PROFILES))
    ap.add_argument("--profile", default=None)
    ap.add_argument("--impl", default=None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--expect", default=None, help="a JSON list of [invariant, cause] pairs")
    ns = ap.parse_args(argv)
    w = resolve_world(ns.world)
    if ns.profile:
        w = w.with_profile(ns.profile)
    impl = load_impl(ns.impl) if ns.impl else None
    expected = frozenset(tuple(x) for x in json.loads(open(ns.expect).read())) if ns.expect else frozenset()
    r = run_stateful(w, impl, ns.budget, expected, ns.seed)
    print(f"{'sampled' if r.passed else 'violated'} {r.bound} in {r.seconds:.1f}s"
          + (f": {r.failure} [{r.cause}]" if r.failure else ""))
    if r.message:
        print(r.message)
    return 0 if r.passed else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())


_: Callable[..., Any] = _main
