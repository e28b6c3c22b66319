"""One breadth-first reach: the search loop every explicit engine runs.

:func:`reach` owns the queue, the visited map with each state's breadth-first parent, the
depth and the budgets (``max_depth``, ``max_states``, ``max_rss``, a deadline); what a search does at a
state or a transition is its :class:`Search`'s. The explorer (checker.engines.explore), the
state graph (stategraph), lemma mining and so the lemma certificates (smt.lemmas), ghost mining
(smt.ghost_proof), the pairwise diff (review.diff) and the agreement tests' state lists are
searches of this one loop.

Two searches over a Model are given here: :class:`Plain` walks the model's states, and
:class:`Monitored` walks pairs (model state, invariant Monitor state), reporting each
transition's violations and sometimes-twins to its ``found`` hook.

Leaves out: the packed-int search (explore.explore_packed), which visits one level at a time
over bare ints under symmetry reduction and has no per-state payload to carry.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from checker.model import Model
from spec.actions import Action, Observation
from spec.invariants import Monitor, Violation

__all__ = ["Monitored", "Plain", "Reached", "Search", "reach"]

#: key -> (its breadth-first parent's key or None for a start, the label of the edge to it)
Parents = dict[Hashable, tuple[Hashable | None, Any]]


@dataclass
class Reached:
    """What a reach covered. ``complete``: every reachable state was expanded (False when the
    depth bound, a budget, the deadline or the search's ``stop`` cut it). Then ``checked`` is the
    length up to which every path was examined (every transition out of a state at a smaller
    depth was taken) and ``cut`` says what stopped the search: ``depth``, ``states``,
    ``memory``, ``deadline`` or ``stop``."""

    parent: Parents = field(default_factory=dict)
    transitions: int = 0
    depth: int = 0
    complete: bool = True
    seconds: float = 0.0
    checked: int | None = None
    cut: str | None = None

    def _cut(self, why: str, depth: int) -> None:
        """Something stopped the search at a state of ``depth``: the shallowest cut counts."""
        self.complete = False
        if self.checked is None or depth < self.checked:
            self.checked, self.cut = depth, why

    @property
    def states(self) -> int:
        return len(self.parent)

    def path(self, key: Hashable) -> list[Any]:
        """The labels of the edges from a start to ``key`` (the start's own label first)."""
        out = []
        k: Hashable | None = key
        while k is not None:
            k, label = self.parent[k]
            out.append(label)
        out.reverse()
        return out


class Search:
    """A search's own part: its starting nodes and the successors of a node. Set ``stop`` to end
    the search after the current transition. ``reached`` is the reach in progress (so a search
    can rebuild a path while it runs)."""

    stop: bool = False
    reached: Reached

    def starts(self) -> Iterable[tuple[Hashable, Any, Any]]:
        """(key, node, label) of each start; a key seen before is skipped."""
        raise NotImplementedError

    def visit(self, key: Hashable, node: Any, depth: int) -> None:
        """Called once per state as it is expanded, before its successors."""

    def successors(self, key: Hashable, node: Any, depth: int) -> Iterable[tuple[Any, Hashable, Any]]:
        """(label, key, node) of each transition out of ``node`` (at ``depth``)."""
        raise NotImplementedError


#: how many states are expanded between two looks at the resident set (a /proc read)
RSS_EVERY = 2048


def reach(search: Search, max_depth: int | None = None, max_states: int | None = None,
          deadline: float = float("inf"),
          progress: Callable[[int, int, int, float], None] | None = None,
          max_rss: int | None = None, rss: Callable[[], int | None] | None = None,
          rss_every: int = RSS_EVERY) -> Reached:
    """Breadth first from ``search.starts()``. A state at ``max_depth`` is stored, not expanded;
    the search stops once ``max_states`` states are stored, once the process's resident set
    (``rss()``, looked at every ``rss_every`` states) exceeds ``max_rss`` bytes, or at
    ``deadline`` (``time.monotonic()``); ``progress(states, transitions, depth, seconds)`` about
    once a second."""
    t0 = time.monotonic()
    r = search.reached = Reached()
    parent = r.parent
    queue: deque[tuple[Hashable, Any, int]] = deque()
    for key, node, label in search.starts():
        if key not in parent:
            parent[key] = (None, label)
            queue.append((key, node, 0))
        if search.stop:
            r._cut("stop", 0)
            queue.clear()
            break
    visit = search.visit if type(search).visit is not Search.visit else None
    successors = search.successors
    timed = deadline != float("inf")
    if max_rss is not None and rss is None:
        rss = rss_bytes
    last = t0
    expanded = 0
    while queue:
        depth = queue[0][2]
        if max_states is not None and len(parent) >= max_states:
            r._cut("states", depth)
            break
        if timed and time.monotonic() >= deadline:
            r._cut("deadline", depth)
            break
        if max_rss is not None and rss is not None and expanded % rss_every == 0:
            used = rss()
            if used is not None and used > max_rss:
                r._cut("memory", depth)
                break
        key, node, depth = queue.popleft()
        if max_depth is not None and depth >= max_depth:
            r._cut("depth", depth)
            continue
        expanded += 1
        if visit is not None:
            visit(key, node, depth)
        d2 = depth + 1
        for label, key2, node2 in successors(key, node, depth):
            r.transitions += 1
            if key2 not in parent:
                parent[key2] = (key, label)
                queue.append((key2, node2, d2))
                if d2 > r.depth:
                    r.depth = d2
            if search.stop:
                break
        if search.stop:
            r._cut("stop", depth)
            break
        if progress is not None:
            now = time.monotonic()
            if now - last > 1.0:
                progress(len(parent), r.transitions, depth, now - t0)
                last = now
    r.seconds = time.monotonic() - t0
    return r


def rss_bytes() -> int | None:
    """The resident set of this process in bytes (``/proc/self/statm``; where that is missing,
    the peak from ``getrusage``; None if the system does not say)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError):
        return None


def _itself(s: Any) -> Hashable:
    return s  # type: ignore[no-any-return]


class Plain(Search):
    """The states of a Model; the label of an edge is its action. States are told apart by
    ``model.key`` (which merges states that differ only in what no invariant reads, as the
    explorer does), or with ``exact`` by the whole state (lemma mining, which must see every
    value a state can hold)."""

    def __init__(self, model: Model, exact: bool = False) -> None:
        self.model = model
        self.mkey = _itself if exact else model.key

    def starts(self) -> Iterator[tuple[Hashable, Any, Any]]:
        for s0 in self.model.initial():
            yield self.mkey(s0), s0, None

    def successors(self, key: Hashable, node: Any, depth: int) -> Iterator[tuple[Any, Hashable, Any]]:
        mkey = self.mkey
        for a, s2, _obs in self.model.successors(node):
            yield a, mkey(s2), s2


class Monitored(Search):
    """Pairs (model state, Monitor state) of a Model: the search state of every engine that judges
    the invariants. A node is the pair, its key ``(model.key(s), ms)``; the label of an edge is
    ``(action, observation, machine after)`` (a start's: ``(None, None, machine)``). Each
    transition's violations and newly reached twins go to :meth:`found`. ``exact``: tell model
    states apart as they are, not by ``model.key`` (see :class:`Plain`)."""

    def __init__(self, model: Model, monitor: Monitor | None = None, exact: bool = False) -> None:
        self.model = model
        self.mkey = _itself if exact else model.key
        self.monitor = monitor or Monitor(model.world, model.profile, model.threads,
                                          model.view_from_machine)

    def found(self, vs: list[Violation], twins: Iterable[str], key: Hashable | None,
              a: Action | None, obs: Observation | None, depth: int) -> None:
        """Violations ``vs`` and twins reached by the transition ``a`` out of ``key`` (None:
        at a start), arriving at ``depth``."""

    def starts(self) -> Iterator[tuple[Hashable, Any, Any]]:
        m = self.model
        for s0 in m.initial():
            ms0, vs, twins = self.monitor.initial(m.machine(s0), m.view(s0))
            if vs or twins:
                self.found(vs, twins, None, None, None, 0)
            yield (self.mkey(s0), ms0), (s0, ms0), (None, None, m.machine(s0))

    def successors(self, key: Hashable, node: Any, depth: int) -> Iterator[tuple[Any, Hashable, Any]]:
        m = self.model
        machine, mkey, quiescent, view = m.machine, self.mkey, m.quiescent, m.view
        step = self.monitor.step
        s, ms = node
        pre = machine(s)
        for a, s2, obs in m.successors(s):
            post = machine(s2)
            ms2, vs, twins = step(ms, pre, a, obs, post, quiescent(s2), lambda s2=s2: view(s2))
            if vs or twins:
                self.found(vs, twins, key, a, obs, depth + 1)
            yield (a, obs, post), (mkey(s2), ms2), (s2, ms2)
