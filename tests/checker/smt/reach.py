"""The spec's reachable states of a System's world and profile (a test helper)."""

from __future__ import annotations

from collections import deque
from typing import Any

from checker.smt.system import System


def spec_states(sy: System, limit: int | None = None) -> list[Any]:
    """The spec's reachable states in breadth-first order (the first ``limit`` of them)."""
    sm = sy.model()
    s0 = sm.initial()[0]
    seen, queue = {s0: None}, deque([s0])
    while queue and (limit is None or len(seen) < limit):
        for _a, s2, _o in sm.successors(queue.popleft()):
            if s2 not in seen:
                seen[s2] = None
                queue.append(s2)
    return list(seen)[:limit]
