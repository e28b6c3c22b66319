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
