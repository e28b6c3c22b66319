"""Explicit-state breadth-first exploration with shortest counterexamples.

The explorer runs any Model (the spec, the kernel mirror, a patched mirror) together with the
invariant :class:`spec.invariants.Monitor`; a state of the search is the pair (model key,
monitor state). Breadth-first order makes the first trace found for each (invariant, cause) a
shortest one. The search is exhaustive (``bound: "complete"``) unless ``max_depth`` cuts it.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

from checker.results import InvariantResult
from checker.traces import Trace, TraceStep, node_changes
from spec.actions import Action, Observation
from spec.invariants import INVARIANTS, Monitor, Violation


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
    hits: dict[tuple[str, str], Hit] = field(default_factory=dict)
    twins: dict[str, int] = field(default_factory=dict)  # twin -> depth first reached
    traces: dict[tuple[str, str], Trace] = field(default_factory=dict)

    def violated(self) -> set[str]:
        return {inv for inv, _ in self.hits}


def applicable(model: Any) -> list[str]:
    names = [inv.name for inv in INVARIANTS]
    if not model.profile.end_phys_index:
        names.remove("sysfs_end_phys_index")
    if not any(c.kind == "slub" for c in model.world.callbacks):
        names.remove("slub_structures")
    return names


def explore(model: Any, max_depth: int | None = None, stop_on: set[str] | None = None,
            progress: Callable[[int, int, int, float], None] | None = None,
            max_states: int | None = None) -> ExploreResult:
    """Breadth-first search of ``model``. ``stop_on``: stop once one of these invariants is
    violated (the result is then not complete)."""
    t0 = time.monotonic()
    res = ExploreResult()
    monitor = Monitor(model.world, model.profile, model.threads,
                      getattr(model, "view_from_machine", False))
    parent: dict[Hashable, tuple[Hashable | None, Action | None, Observation | None, Any]] = {}
    queue: deque[tuple[Hashable, Any, Any, int]] = deque()

    def record(vs: list[Violation], key: Hashable | None, a: Action | None,
               obs: Observation | None, depth: int) -> bool:
        stop = False
        for v in vs:
            k = (v.invariant, v.cause)
            if k not in res.hits:
                res.hits[k] = Hit(v, key, a, obs, depth)
            if stop_on and v.invariant in stop_on:
                stop = True
        return stop

    for s0 in model.initial():
        ms0, vs, twins = monitor.initial(model.machine(s0), model.view(s0))
        key0 = (model.key(s0), ms0)
        if key0 in parent:
            continue
        parent[key0] = (None, None, None, model.machine(s0))
        queue.append((key0, s0, ms0, 0))
        for tw in twins:
            res.twins.setdefault(tw, 0)
        if record(vs, None, None, None, 0):
            res.complete = False
            queue.clear()
    last = t0
    while queue:
        key, s, ms, depth = queue.popleft()
        if max_depth is not None and depth >= max_depth:
            res.complete = False
            continue
        pre = model.machine(s)
        stop = False
        for a, s2, obs in model.successors(s):
            res.transitions += 1
            post = model.machine(s2)
            quiet = model.quiescent(s2)
            ms2, vs, twins = monitor.step(ms, pre, a, obs, post, quiet,
                                          lambda s2=s2: model.view(s2))
            for tw in twins:
                res.twins.setdefault(tw, depth + 1)
            if vs and record(vs, key, a, obs, depth + 1):
                stop = True
            key2 = (model.key(s2), ms2)
            if key2 not in parent:
                parent[key2] = (key, a, obs, post)
                queue.append((key2, s2, ms2, depth + 1))
                res.depth = max(res.depth, depth + 1)
            if stop:
                break
        if stop:
            res.complete = False
            break
        if max_states is not None and len(parent) >= max_states:
            res.complete = False
            break
        if progress is not None:
            now = time.monotonic()
            if now - last > 1.0:
                progress(len(parent), res.transitions, depth, now - t0)
                last = now
    res.states = len(parent)
    res.seconds = time.monotonic() - t0
    for k, hit in res.hits.items():
        res.traces[k] = _trace(model, parent, hit)
    return res


def _trace(model: Any, parent: dict[Hashable, Any], hit: Hit) -> Trace:
    """The path from the initial state to ``hit.key``, then the violating transition."""
    steps: list[TraceStep] = []
    key = hit.key
    while key is not None:
        pkey, a, obs, post = parent[key]
        if a is not None and obs is not None:
            steps.append(TraceStep(a, obs, _notes(parent[pkey][3], post)))
        key = pkey
    steps.reverse()
    if hit.action is not None and hit.obs is not None:
        steps.append(TraceStep(hit.action, hit.obs))
    v = hit.violation
    return Trace(model.profile.name, model.world, steps, v.invariant, v.cause, v.message)


def _notes(pre: Any, post: Any) -> dict[str, Any]:
    changes = node_changes(pre, post)
    return {"node_changes": changes} if changes else {}


def verdicts(model: Any, res: ExploreResult, max_depth: int | None) -> list[InvariantResult]:
    """One InvariantResult per applicable invariant, with its shortest trace if violated."""
    out = []
    bound: str | int = "complete" if res.complete else (max_depth if max_depth is not None else res.depth)
    for name in applicable(model):
        inv = next(i for i in INVARIANTS if i.name == name)
        hits = sorted((k for k in res.hits if k[0] == name), key=lambda k: len(res.traces[k]))
        if hits:
            k = hits[0]
            out.append(InvariantResult(name, inv.seed_section, "explore", "violated", bound,
                                       res.traces[k], res.hits[k].violation.message, k[1],
                                       name in res.twins))
        else:
            out.append(InvariantResult(name, inv.seed_section, "explore", "passed", bound,
                                       None, "", "", name in res.twins))
    return out
