"""What the compiled-explorer tests share: run the compiled (through ``engine="auto"``) and the
interpreted explorer on one model and summarise both."""

from __future__ import annotations

from typing import Any

from checker.engines.explore import ExploreResult, explore
from checker.model import SpecModel
from spec.config import World
from spec.profiles import get_profile


def summary(r: ExploreResult) -> dict[str, Any]:
    return {"states": r.states, "transitions": r.transitions, "depth": r.depth,
            "complete": r.complete, "checked": r.checked,
            "findings": sorted((k, len(t)) for k, t in r.traces.items()),
            # the same search order: the very same shortest traces, not only their lengths
            "traces": {k: t.to_json() for k, t in r.traces.items()},
            "twins": sorted(r.twins.items())}


def both(world: World, profile: str, depth: int | None, steps: Any = None) -> tuple[dict, dict, Any]:
    """(compiled, interpreted, why the compiled search fell back) of one world and profile."""
    m = SpecModel(world, get_profile(profile), steps)
    auto = explore(m, max_depth=depth, engine="auto")
    return summary(auto), summary(explore(m, max_depth=depth, engine="interpreted")), auto.fallback
