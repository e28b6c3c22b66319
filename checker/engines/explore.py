"""Explicit-state breadth-first exploration with shortest counterexamples.

The explorer runs any Model (the spec, the kernel mirror, a patched mirror) together with the
invariant :class:`spec.invariants.Monitor`; a state of the search is the pair (model key,
monitor state). Breadth-first order makes the first trace found for each (invariant, cause) a
shortest one. The search is exhaustive (``bound: "complete"``) unless ``max_depth`` cuts it.

Models with a compact state (the ``PackedModel`` protocol below: every state one int, the
invariants checked on each transition by the model) go through :func:`explore_packed`, the same
breadth-first search over a set of ints, optionally under symmetry reduction; the SPIN benchmark
world (checker.engines.bench) is such a model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol

from checker.engines.reach import Monitored, Reached, reach
from checker.model import Model
from checker.formats.results import InvariantResult
from checker.formats.traces import Trace, TraceStep, annotate
from spec.actions import Action, Observation
from spec.invariants import INVARIANTS, Violation


@dataclass
class Hit:
    violation: Violation
    key: Hashable | None  # the search state before the violating transition (None: initial)
    action: Action | None
    obs: Observation | None
    depth: int


@dataclass
class ExploreResult:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    complete: bool = True
    seconds: float = 0.0
    checked: int | None = None  # not complete: every path of this many steps was examined
    cut: str | None = None      # not complete: what stopped it (see checker.engines.reach.Reached)
    hits: dict[tuple[str, str], Hit] = field(default_factory=dict)
    twins: dict[str, int] = field(default_factory=dict)  # twin -> depth first reached
    traces: dict[tuple[str, str], Any] = field(default_factory=dict)
    # under symmetry reduction (packed models): states and transitions above are the full
    # counts (sums over orbits); these are what the search stored and expanded
    symmetry: bool = False
    orbits: int = 0
    orbit_transitions: int = 0
    group_order: int = 1
    #: the spec compiled for the world (checker.engines.compiled): seconds spent generating
    #: the code, None where the search ran interpreted
    compile_seconds: float | None = None
    #: engine "auto" on the spec ran interpreted after all: why the compiled search could not
    fallback: str | None = None

    def violated(self) -> set[str]:
        return {inv for inv, _ in self.hits} | {inv for inv, _ in self.traces}


def applicable(model: Model) -> list[str]:
    names = [inv.name for inv in INVARIANTS]
    if not model.profile.end_phys_index:
        names.remove("sysfs_end_phys_index")
    if not any(c.kind == "slub" for c in model.world.callbacks):
        names.remove("slub_structures")
    return names


#: how the explorer runs a model (explore's ``engine``)
ENGINES = ("auto", "compiled", "interpreted")


#: ``auto`` interprets searches bounded to this depth or less: they reach a few thousand states,
#: less time than generating the code takes (seconds, more on big worlds)
AUTO_SHALLOW = 10


def explore(model: Model | PackedModel, max_depth: int | None = None, stop_on: set[str] | None = None,
            progress: Callable[[int, int, int, float], None] | None = None,
            max_states: int | None = None, symmetry: bool = True,
            max_rss: int | None = None, engine: str = "interpreted") -> ExploreResult:
    """Breadth-first search of ``model``. ``engine``: ``interpreted`` runs the model's own
    successors; ``compiled`` runs the spec compiled for the world (checker.engines.compiled:
    the same states, transitions, findings and twins, many times faster; the spec only);
    ``auto`` compiles the spec (interprets it for searches bounded to
    :data:`AUTO_SHALLOW` steps or less) and interprets every other model. ``stop_on``: stop once one of these invariants is
    violated (the result is then not complete). ``max_states`` and ``max_rss`` (bytes of
    resident memory) are the budgets: the search stops when one is spent and says how far it
    got. ``symmetry`` applies to models that offer a symmetry reduction (packed models); the
    others are explored in full."""
    if model.packed:
        return explore_packed(model, max_depth, stop_on, progress, max_states, symmetry)  # type: ignore[arg-type]
    if engine not in ENGINES:
        raise ValueError(f"unknown explore engine {engine!r}")
    fallback: str | None = None  # why "auto" ran the spec interpreted after all
    if engine == "auto" and max_depth is not None and max_depth <= AUTO_SHALLOW:
        engine = "interpreted"  # a shallow search is over before the code would be generated
    if engine != "interpreted":
        from checker.engines.compiled.codegen import CompileError
        from checker.engines.compiled.engine import DomainEscape, compilable, explore_compiled

        why = compilable(model)
        if why is None:
            try:
                return explore_compiled(model, max_depth, stop_on, progress,  # type: ignore[arg-type]
                                        max_states, max_rss)
            except (CompileError, DomainEscape) as e:
                if engine == "compiled":
                    raise
                fallback = str(e)
        elif engine == "compiled":
            from spec.errors import MemhpError

            raise MemhpError(f"the compiled explorer does not run {model.name}: {why}")
    search = _Explore(model, stop_on)
    r = reach(search, max_depth=max_depth, max_states=max_states, progress=progress, max_rss=max_rss)
    res = search.res
    res.fallback = fallback
    res.states, res.transitions, res.depth = r.states, r.transitions, r.depth
    res.complete, res.seconds, res.checked, res.cut = r.complete, r.seconds, r.checked, r.cut
    for k, hit in res.hits.items():
        res.traces[k] = _trace(model, r, hit)
    return res


class _Explore(Monitored):
    """The explorer's search: keeps the first hit of each (invariant, cause), breadth first, so
    its trace is a shortest one, and the depth at which each twin was first reached."""

    def __init__(self, model: Model, stop_on: set[str] | None) -> None:
        super().__init__(model)
        self.res = ExploreResult()
        self.stop_on = stop_on or set()

    def found(self, vs: list[Violation], twins: Iterable[str], key: Hashable | None,
              a: Action | None, obs: Observation | None, depth: int) -> None:
        for tw in twins:
            self.res.twins.setdefault(tw, depth)
        for v in vs:
            k = (v.invariant, v.cause)
            if k not in self.res.hits:
                self.res.hits[k] = Hit(v, key, a, obs, depth)
            if v.invariant in self.stop_on:
                self.stop = True


def _trace(model: Model, r: Reached, hit: Hit) -> Trace:
    """The path from the initial state to ``hit.key``, then the violating transition."""
    steps: list[TraceStep] = []
    if hit.key is not None:
        labels = r.path(hit.key)
        steps.extend(TraceStep(a, obs) for a, obs, _ in labels[1:])
    if hit.action is not None and hit.obs is not None:
        steps.append(TraceStep(hit.action, hit.obs))
    v = hit.violation
    return annotate(Trace(model.profile.name, model.world, steps, v.invariant, v.cause, v.message), model)


def verdicts(model: Model | PackedModel, res: ExploreResult, max_depth: int | None) -> list[InvariantResult]:
    """One InvariantResult per applicable invariant, with its shortest trace if violated."""
    out = []
    bound: str | int = ("complete" if res.complete else res.checked if res.checked is not None
                        else max_depth if max_depth is not None else res.depth)
    if model.packed:
        return _packed_verdicts(model, res, bound)
    for name in applicable(model):
        inv = next(i for i in INVARIANTS if i.name == name)
        hits = sorted((k for k in res.hits if k[0] == name), key=lambda k: len(res.traces[k]))
        if hits:
            k = hits[0]
            # a violation is a state where the premise holds: the invariant was exercised
            out.append(InvariantResult(name, inv.seed_section, "explore", "violated", bound,
                                       res.traces[k], res.hits[k].violation.message, k[1],
                                       True))
        else:
            out.append(InvariantResult(name, inv.seed_section, "explore", "passed", bound,
                                       None, "", "", name in res.twins))
    return out


class PackedModel(Protocol):
    """A model whose states are ints. ``expand(s, labels)`` returns the successors of ``s`` in a
    fixed order and the violations of its transitions as (index into the successors, invariant,
    cause); with ``labels`` it appends one label per successor. ``symmetry()`` returns None or
    an object with ``canonical(s)``, ``orbit_size(c)`` and ``order`` (see checker.engines.bench.symmetry).

    A violating transition is counted, and its target is not explored further: a failed check
    ends the path, as a failed ``assert`` does in SPIN (so a seeded bug cannot lead the search
    into states that only exist past the broken check)."""

    invariants: tuple[tuple[str, str], ...]
    packed: bool  # True

    def initial_keys(self) -> list[int]: ...

    def expand(self, s: int, labels: list[str] | None = None
               ) -> tuple[list[int], list[tuple[int, str, str]] | None]: ...

    def symmetry(self) -> Any: ...

    def make_trace(self, steps: list[tuple[str, int]], invariant: str, cause: str) -> Any: ...


def explore_packed(model: PackedModel, max_depth: int | None = None, stop_on: set[str] | None = None,
                   progress: Callable[[int, int, int, float], None] | None = None,
                   max_states: int | None = None, symmetry: bool = True) -> ExploreResult:
    """Level-by-level BFS over int states; the visited set maps each state to its BFS parent.

    Under symmetry every successor is replaced by its orbit's canonical state, so the search
    stores one state per orbit; ``states``/``transitions`` are then the full counts, the sums of
    orbit sizes (and orbit size x out-degree), and ``orbits``/``orbit_transitions`` what was
    stored and expanded. Traces are rebuilt on concrete states, so they replay as written."""
    t0 = time.monotonic()
    res = ExploreResult()
    sym = model.symmetry() if symmetry else None
    canon = sym.canonical if sym is not None else None
    osize = sym.orbit_size if sym is not None else None
    res.symmetry = sym is not None
    res.group_order = sym.order if sym is not None else 1
    expand = model.expand
    parent: dict[int, int] = {}
    frontier: list[int] = []
    weights: list[int] = []
    hits: dict[tuple[str, str], tuple[int, int]] = {}
    full_states = full_trans = trans = 0
    for s0 in model.initial_keys():
        c = canon(s0) if canon else s0
        if c not in parent:
            parent[c] = -1
            frontier.append(c)
            weights.append(osize(c) if osize else 1)
    full_states = sum(weights)
    depth = 0
    stop = False
    done = 0
    while frontier and not stop:
        if max_depth is not None and depth >= max_depth:
            res.complete = False
            break
        nxt: list[int] = []
        nw: list[int] = []
        for key, wt in zip(frontier, weights):
            succ, viol = expand(key)
            n = len(succ)
            trans += n
            full_trans += wt * n
            if viol:
                for _, inv, cause in viol:
                    if (inv, cause) not in hits:
                        hits[(inv, cause)] = (key, depth + 1)
                    if stop_on and inv in stop_on:
                        stop = True
                bad = {i for i, _, _ in viol}
                succ = [s2 for i, s2 in enumerate(succ) if i not in bad]
            if canon is not None:
                for s2 in succ:
                    c = canon(s2)
                    if c not in parent:
                        parent[c] = key
                        nxt.append(c)
                        w = osize(c)  # type: ignore[misc]
                        nw.append(w)
                        full_states += w
            else:
                for s2 in succ:
                    if s2 not in parent:
                        parent[s2] = key
                        nxt.append(s2)
                full_states += len(nxt) - len(nw)
                nw.extend([1] * (len(nxt) - len(nw)))
            done += 1
            if stop or (max_states is not None and len(parent) >= max_states):
                stop = True
                break
            if progress is not None and not done & 0xFFF:
                progress(len(parent), trans, depth, time.monotonic() - t0)
        if stop:
            res.complete = False
        if nxt:
            depth += 1
        frontier, weights = nxt, nw
    res.depth = depth
    res.orbits, res.orbit_transitions = len(parent), trans
    res.states, res.transitions = full_states, full_trans
    res.seconds = time.monotonic() - t0
    for (inv, cause), (key, _) in hits.items():
        res.traces[(inv, cause)] = _packed_trace(model, parent, canon, key, inv, cause)
    return res


def key_chain(parent: dict[int, int], key: int) -> list[int]:
    """The keys of a breadth-first parent map (-1 above the start) from the start to ``key``."""
    out = []
    while key != -1:
        out.append(key)
        key = parent[key]
    out.reverse()
    return out


def _packed_trace(model: PackedModel, parent: dict[int, int], canon: Callable[[int], int] | None,
                  key: int, inv: str, cause: str) -> Any:
    """The BFS path of representatives to ``key``, followed on concrete states (each step takes
    the first transition whose target has the next representative as canonical form), then the
    first transition that violates ``inv`` with ``cause``."""
    reps = key_chain(parent, key)
    x = next(s for s in model.initial_keys() if (canon(s) if canon else s) == reps[0])
    steps: list[tuple[str, int]] = []
    for c in reps[1:]:
        labels: list[str] = []
        succ, _ = model.expand(x, labels)
        i = next(i for i, y in enumerate(succ) if (canon(y) if canon else y) == c)
        steps.append((labels[i], succ[i]))
        x = succ[i]
    labels = []
    succ, viol = model.expand(x, labels)
    i = next(i for i, v, c2 in viol or () if (v, c2) == (inv, cause))
    steps.append((labels[i], succ[i]))
    return model.make_trace(steps, inv, cause)


def _packed_verdicts(model: PackedModel, res: ExploreResult, bound: str | int) -> list[InvariantResult]:
    out = []
    for name, text in model.invariants:
        hits = sorted((k for k in res.traces if k[0] == name), key=lambda k: len(res.traces[k]))
        if hits:
            t = res.traces[hits[0]]
            out.append(InvariantResult(name, text, "explore", "violated", bound, t, t.message,
                                       hits[0][1]))
        else:
            out.append(InvariantResult(name, text, "explore", "passed", bound))
    return out
