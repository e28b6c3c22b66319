"""The spec's reachable states of a System's world and profile (a test helper)."""

from __future__ import annotations

from typing import Any

from checker.engines.smt.system import System
from tests.checker.engines.smt.agree import bfs


def spec_states(sy: System, limit: int | None = None) -> list[Any]:
    """The spec's reachable states in breadth-first order (the first ``limit`` of them)."""
    return bfs(sy.model(), limit)
