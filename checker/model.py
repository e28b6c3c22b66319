"""The Model interface every engine sees (design.md section 0), and its kinds.

A Model is initial states, successors (action, next state, observation), a replaying ``step``,
and read-outs for the invariants: the abstract :class:`spec.state.Machine`, the sysfs view, and
whether the state is quiescent. ``key`` is what the explorer deduplicates on.
``start_actions`` and ``thread_steps`` split the successors by kind (the operations that can
start; one thread's next step, once per choice it offers): what running one operation to its end
(checker.review.runs, memhp diff and review) needs, with the choices as data.
"""

from __future__ import annotations

from typing import Any, Hashable, Iterable, Protocol

from spec.actions import Action, Observation
from spec.config import World
from spec.errors import ActionError, KernelBug
from spec.profiles import Profile
from spec.state import Machine, Op
from spec.sysfs import View


class Model(Protocol):
    world: World
    profile: Profile
    name: str
    threads: tuple[str, ...]
    #: False: states are objects the explorer stores itself (checker.engines.explore.PackedModel is
    #: the other kind: integer-coded states with a symmetry reduction)
    packed: bool
    #: the sysfs view is a function of the Machine (the Monitor then checks it once per machine)
    view_from_machine: bool

    def initial(self) -> list[Any]: ...

    def successors(self, state: Any) -> Iterable[tuple[Action, Any, Observation]]: ...

    def step(self, state: Any, action: Action) -> tuple[Any, Observation]: ...

    def machine(self, state: Any) -> Machine: ...

    def view(self, state: Any) -> View: ...

    def quiescent(self, state: Any) -> bool: ...

    def key(self, state: Any) -> Hashable: ...

    def start_actions(self, state: Any) -> list[Action]: ...

    def thread_steps(self, state: Any, thread: str) -> list[tuple[Action, Any, Observation]]: ...


_COUNT = Op._fields.index("count")


class SpecModel:
    """The spec of ``profile`` (default: the world's) on ``world``: states are spec States."""

    packed = False

    def __init__(self, world: World, profile: Profile | None = None, steps: Any = None,
                 reduce: bool = True) -> None:
        """``steps``: the definition of the steps (default spec.steps.Steps; a spec mutant is
        a subclass of it). ``reduce``: merge states that differ only in the byte counts of
        writes in flight (:meth:`key`); False keys every state by all of it (``--no-reduce``,
        the model SPIN stores)."""
        from spec.model import Spec
        from spec.profiles import get_profile
        from spec.steps import Steps

        self.world = world
        self.profile = profile or get_profile(world.profile)
        #: the definition of the steps (spec.steps.Steps or a spec mutant)
        self.steps_class: type[Steps] = steps or Steps
        self.spec = Spec(world, self.profile, self.steps_class)
        self.threads = self.spec.threads
        self.name = f"spec:{self.profile.name}"
        self.view_from_machine = True
        self.reduce = reduce

    def initial(self) -> list[Any]:
        return [self.spec.initial()]

    def successors(self, state: Any) -> Iterable[tuple[Action, Any, Observation]]:
        return self.spec.successors(state)

    def step(self, state: Any, action: Action) -> tuple[Any, Observation]:
        return self.spec.step(state, action)

    def start_actions(self, state: Any) -> list[Action]:
        return self.spec.start_actions(state)

    def thread_steps(self, state: Any, thread: str) -> list[tuple[Action, Any, Observation]]:
        """``thread``'s next step, once per choice it takes (spec.model.Spec.choices)."""
        opts = self.spec.choices(state, thread)
        acts = [Action("step", thread=thread)] if opts is None else \
            [Action("step", thread=thread, choice=c) for c in opts]
        return [(a, *self.spec.step(state, a)) for a in acts]

    def machine(self, state: Any) -> Machine:
        return state.machine  # type: ignore[no-any-return]

    def view(self, state: Any) -> View:
        from spec.sysfs import render

        return render(self.world, self.profile, state.machine)

    def quiescent(self, state: Any) -> bool:
        return state.quiescent  # type: ignore[no-any-return]

    def key(self, state: Any) -> Hashable:
        """States that differ only in the byte counts that writes in flight will return are
        explored once: the count shows only in the final ``ret``, and no invariant reads it.
        Which count the merged state keeps is the first one the search reaches, so the number
        of states depends on the search order (breadth first here, depth first in SPIN)."""
        if not self.reduce:
            return state  # type: ignore[no-any-return]
        threads = state.threads
        for op in threads:
            if op is not None and op.count:
                return (state.machine, tuple(o if o is None or not o.count else
                                             o[:_COUNT] + (0,) + o[_COUNT + 1:] for o in threads))
        return state  # type: ignore[no-any-return]


class MirrorState:
    """A state of the kernel mirror: the actions from boot (to rebuild it: generators cannot be
    copied), its abstraction, and each thread's observations since its operation began."""

    __slots__ = ("path", "machine", "history", "_key", "view", "anchor", "base", "live", "bug")

    def __init__(self, path: tuple[Action, ...], machine: Machine,
                 history: tuple[tuple[Any, ...] | None, ...], view: View | None,
                 anchor: int = 0, base: bytes | None = None) -> None:
        self.path, self.machine, self.history, self.view = path, machine, history, view
        self._key = (machine, history)
        #: the kernel after ``path[:anchor]``, the path's last point with every thread idle
        #: (Kernel.snapshot; None: rebuild from boot), from which the state is rebuilt
        self.anchor, self.base = anchor, base
        #: the kernel this state was made on, still in it, for the one next step taken from it
        #: (:meth:`MirrorModel.thread_steps` runs an operation without replaying it step by step)
        self.live: Any = None
        #: the BUG the step into this state hit (spec.errors.KernelBug): the kernel would have
        #: oopsed, so the state is terminal; everything else is the state before that step
        self.bug: Any = None

    @property
    def quiescent(self) -> bool:
        return all(h is None for h in self.history)


class MirrorModel:
    """The kernel mirror of ``world.profile`` (or a patched copy, ``impl``) as a Model.

    Each state is rebuilt from a snapshot of the kernel at its path's last idle point (every
    thread idle: Kernel.snapshot) by replaying only the steps since; two states are the same
    when their abstraction and every thread's in-flight history agree.

    A step that reaches a modelled BUG() (spec.errors.KernelBug) leads to a terminal *crashed*
    state (:meth:`crashed`): its observation's point is ``BUG:<function>`` (what the BUG guards
    in ``extra["bug"]``), which the invariant Monitor reports as a ``kernel_bug`` finding; no
    step leaves it.
    """

    packed = False
    view_from_machine = False

    def __init__(self, world: World, impl: Any = None, profile: Profile | None = None) -> None:
        from spec.profiles import get_profile

        if profile is not None:
            world = world.with_profile(profile.name)
        self.world = world
        self.profile = get_profile(world.profile)
        self.impl = impl
        self.threads = world.writer_threads() + ("fw",)
        self.name = f"mirror:{self.profile.name}" + (f"+{getattr(impl, '__name__', 'impl')}" if impl else "")
        self._template: Any = None

    def _boot(self) -> Any:
        from spec.kernel import Kernel

        return Kernel(self.world, self.impl)

    def _replay(self, path: tuple[Action, ...], anchor: int = 0, base: bytes | None = None) -> Any:
        """A kernel in the state ``path`` leads to, from ``base``, the snapshot of the kernel
        after ``path[:anchor]`` (None: from boot)."""
        if base is None:
            k, anchor = self._boot(), 0
        else:
            if self._template is None:
                self._template = self._boot()
            k = self._template.restore(base)
        for a in path[anchor:]:
            k.apply(a)
        return k

    def _take(self, state: MirrorState) -> Any:
        """A kernel in ``state`` that the caller may apply steps to."""
        k, state.live = state.live, None
        return k if k is not None else self._replay(state.path, state.anchor, state.base)

    def _state(self, k: Any, prev: MirrorState | None, a: Action | None, obs: Observation | None,
               live: bool = False) -> MirrorState:
        """``k`` is owned by the new state from here on (with ``live``, left in it for its next
        step)."""
        history = list(prev.history) if prev else [None] * len(self.threads)
        path = prev.path if prev else ()
        anchor, base = (prev.anchor, prev.base) if prev else (0, None)
        if a is not None and obs is not None:
            path = path + (a,)
            if obs.thread in self.threads:
                t = self.threads.index(obs.thread)
                entry = (a, obs.core())
                history[t] = None if obs.ret is not None else (history[t] or ()) + (entry,)
        quiet = all(h is None for h in history)
        snap = k.snapshot() if quiet else None
        if snap is not None:
            anchor, base = len(path), snap
        st = MirrorState(path, k.machine(), tuple(history), k.sysfs() if quiet else None, anchor,
                         base)
        if live and snap is None:  # an idle state is rebuilt from its snapshot
            st.live = k
        return st

    def initial(self) -> list[Any]:
        return [self._state(self._boot(), None, None, None)]

    @staticmethod
    def crashed(state: Any) -> bool:
        """Whether ``state`` is past a modelled BUG() (terminal)."""
        return getattr(state, "bug", None) is not None

    def _crash(self, prev: MirrorState, a: Action, e: KernelBug) -> tuple[MirrorState, Observation]:
        """The terminal state after ``a`` hit the BUG ``e``, and the step's observation. It keeps
        ``prev``'s kernel (the driver undid the step), so nothing is replayed past the BUG."""
        obs = Observation(a.thread, f"BUG:{e.function}", extra=(("bug", e.what),))
        st = MirrorState(prev.path, prev.machine, prev.history, prev.view, prev.anchor, prev.base)
        st.bug = e
        st._key = (prev._key, obs.core())
        return st, obs

    def _apply(self, k: Any, state: MirrorState, a: Action, first_choice: bool = False,
               live: bool = False) -> tuple[Action, MirrorState, Observation]:
        """``a`` applied to ``k`` (in ``state``): the action as taken (with the choice a
        ``first_choice`` step took), the next state and the observation."""
        if self.crashed(state):
            raise ActionError(f"{a.label()}: the kernel hit BUG() in {state.bug.function}")
        try:
            obs = k.apply(a, first_choice=first_choice)
        except KernelBug as e:
            if first_choice:
                a = Action("step", thread=a.thread, choice=k.last_choice)
            return (a, *self._crash(state, a, e))
        if first_choice:
            a = Action("step", thread=a.thread, choice=k.last_choice)
        return a, self._state(k, state, a, obs, live=live), obs

    def successors(self, state: Any) -> Iterable[tuple[Action, Any, Observation]]:
        if self.crashed(state):
            return
        k = self._replay(state.path, state.anchor, state.base)
        starts = k.start_actions()
        runnable = k.runnable()
        for a in starts:
            k2 = self._replay(state.path, state.anchor, state.base)
            yield self._apply(k2, state, a)
        for t in runnable:
            k2 = self._replay(state.path, state.anchor, state.base)
            yield self._apply(k2, state, Action("step", thread=t), first_choice=True)
            options = k2.last_options
            for c in (options or ())[1:]:
                k3 = self._replay(state.path, state.anchor, state.base)
                yield self._apply(k3, state, Action("step", thread=t, choice=c))

    def step(self, state: Any, action: Action) -> tuple[Any, Observation]:
        if self.crashed(state):
            self._apply(None, state, action)  # raises: no step leaves a crashed state
        _, s2, obs = self._apply(self._take(state), state, action, live=True)
        return s2, obs

    def start_actions(self, state: Any) -> list[Action]:
        if self.crashed(state):
            return []
        return self._replay(state.path, state.anchor, state.base).start_actions()  # type: ignore[no-any-return]

    def thread_steps(self, state: Any, thread: str) -> list[tuple[Action, Any, Observation]]:
        """``thread``'s next step, once per choice the mirror offered at it (none from a
        crashed state)."""
        if self.crashed(state):
            return []
        k = self._take(state)
        out = [self._apply(k, state, Action("step", thread=thread), first_choice=True, live=True)]
        for c in (k.last_options or ())[1:]:
            a2 = Action("step", thread=thread, choice=c)
            out.append((a2, *self.step(state, a2)))
        return out

    def machine(self, state: Any) -> Machine:
        return state.machine  # type: ignore[no-any-return]

    def view(self, state: Any) -> View:
        if state.view is None:
            return self._replay(state.path, state.anchor, state.base).sysfs()  # type: ignore[no-any-return]
        return state.view  # type: ignore[no-any-return]

    def quiescent(self, state: Any) -> bool:
        return state.quiescent  # type: ignore[no-any-return]

    def key(self, state: Any) -> Hashable:
        return state._key  # type: ignore[no-any-return]


def load_impl(spec: str) -> Any:
    """``--impl MODULE``: a path to a .py file or a dotted module name; errors are ImplError."""
    import importlib
    import importlib.util
    from pathlib import Path

    from spec.errors import ImplError

    try:
        if spec.endswith(".py") or "/" in spec:
            path = Path(spec)
            if not path.is_file():
                raise ImplError(f"{spec}: no such file (expected a .py file or a dotted module)")
            mod_spec = importlib.util.spec_from_file_location(f"memhp_impl_{path.stem}", path)
            if mod_spec is None or mod_spec.loader is None:
                raise ImplError(f"{spec}: cannot be loaded as a Python module")
            module = importlib.util.module_from_spec(mod_spec)
            mod_spec.loader.exec_module(module)
            return module
        return importlib.import_module(spec)
    except ImplError:
        raise
    except Exception as e:  # the user's module failed to import
        raise ImplError(f"{spec}: the module raised while importing: {type(e).__name__}: {e}") from None
