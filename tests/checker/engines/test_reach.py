"""The one breadth-first reach (checker.engines.reach): shortest parents, budgets, stop, and
the Model searches every engine builds on."""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterator
from typing import Any

from checker.engines.explore import explore
from checker.engines.reach import Monitored, Plain, Search, reach
from checker.model import SpecModel
from spec.worlds import builtin_world

# 0 -> 1 -> 2 -> 3 and a shortcut 0 -> 3; 3 -> 0 closes a cycle
EDGES = {0: [1, 3], 1: [2], 2: [3], 3: [0]}


class Graph(Search):
    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.visited: list[int] = []

    def starts(self) -> Iterator[tuple[Hashable, Any, Any]]:
        yield 0, 0, "start"

    def visit(self, key: Hashable, node: Any, depth: int) -> None:
        self.visited.append(node)

    def successors(self, key: Hashable, node: Any, depth: int) -> Iterator[tuple[Any, Hashable, Any]]:
        for n in EDGES[node]:
            if n == self.stop_at:
                self.stop = True
            yield f"{node}->{n}", n, n


def test_parents_are_shortest_and_counts_exact() -> None:
    g = Graph()
    r = reach(g)
    assert r.complete and r.states == 4 and r.transitions == 5 and r.depth == 2
    assert r.path(3) == ["start", "0->3"]
    assert r.path(2) == ["start", "0->1", "1->2"]
    assert g.visited == [0, 1, 3, 2]


def test_budgets_cut_the_search_and_say_so() -> None:
    r = reach(Graph(), max_depth=1)
    assert not r.complete and r.states == 3 and r.transitions == 2  # 1 and 3 stored, not expanded
    r = reach(Graph(), max_states=2)
    assert not r.complete and r.states == 3  # the first expansion stores two successors
    g = Graph()
    r = reach(g, deadline=time.monotonic() - 1)
    assert not r.complete and g.visited == []


def test_stop_ends_after_the_transition() -> None:
    g = Graph(stop_at=3)
    r = reach(g)
    assert not r.complete and g.visited == [0] and r.states == 3 and r.transitions == 2


def test_monitored_is_the_explorers_search() -> None:
    """The explorer is a Monitored search: the same pairs and transitions, and a Plain search of
    the same world reaches no more model states than there are pairs."""
    m = SpecModel(builtin_world("default"))
    r = reach(Monitored(m), max_depth=8)
    res = explore(m, max_depth=8)
    assert (r.states, r.transitions, r.depth) == (res.states, res.transitions, res.depth)
    plain = reach(Plain(m), max_depth=8)
    assert 0 < plain.states <= r.states
    assert len({k[0] for k in r.parent}) == plain.states


def test_exact_tells_apart_what_the_key_merges() -> None:
    """``exact`` keeps states that differ only in a write's byte count apart (lemma mining must
    see them); merged by ``model.key`` they are the same states."""
    m = SpecModel(builtin_world("default"))
    keyed, exact = reach(Plain(m), max_depth=12), reach(Plain(m, exact=True), max_depth=12)
    assert exact.states > keyed.states
    assert {m.key(s) for s in exact.parent} == set(keyed.parent)


class Chain(Search):
    """0 -> 1 -> 2 -> ... -> n-1, each node also reaching a leaf: a long, thin space."""

    def __init__(self, n: int) -> None:
        self.n = n

    def starts(self) -> Iterator[tuple[Hashable, Any, Any]]:
        yield 0, 0, None

    def successors(self, key: Hashable, node: Any, depth: int) -> Iterator[tuple[Any, Hashable, Any]]:
        if isinstance(node, int) and node + 1 < self.n:
            yield "next", node + 1, node + 1
        if isinstance(node, int):
            yield "leaf", ("leaf", node), ("leaf", node)


def test_a_complete_reach_states_no_bound() -> None:
    r = reach(Chain(5))
    assert r.complete and r.checked is None and r.cut is None


def test_the_state_budget_says_how_far_every_path_was_checked() -> None:
    r = reach(Chain(100), max_states=10)
    assert not r.complete and r.cut == "states"
    # states at depth < checked were all expanded: every path of `checked` steps was taken
    assert r.checked is not None and 1 <= r.checked < r.depth + 1
    assert all(d <= r.checked for d in range(r.checked + 1))
    assert r.states < 14


def test_the_memory_budget_stops_the_search() -> None:
    looks: list[int] = []

    def rss() -> int:
        looks.append(1)
        return 10 << 20 if len(looks) < 3 else 900 << 20  # grows past the budget

    from checker.engines import reach as reach_mod

    r = reach(Chain(20_000), max_rss=500 << 20, rss=rss)
    assert not r.complete and r.cut == "memory"
    assert len(looks) == 3 and r.states <= 3 * reach_mod.RSS_EVERY * 2 + 2
    assert r.checked is not None and r.checked > 0


def test_a_memory_budget_the_process_stays_under_changes_nothing() -> None:
    full = reach(Chain(50))
    r = reach(Chain(50), max_rss=1 << 60)
    assert r.complete and (r.states, r.transitions) == (full.states, full.transitions)


def test_the_depth_bound_is_the_checked_bound() -> None:
    r = reach(Chain(50), max_depth=7)
    assert not r.complete and r.cut == "depth" and r.checked == 7
