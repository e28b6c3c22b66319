"""Shared by the mutant suite and its pin tool: the manifest, the worlds, loading a mutant."""

from __future__ import annotations

import tomllib
import types
from functools import lru_cache
from pathlib import Path
from typing import Any

from spec.config import World, load_world

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.toml"
BUGS = HERE / "bugs_detected"
CORRECT = HERE / "correct_code"
WORLDS = HERE / "worlds"
#: the seed of every lockstep run of this suite (reproducible failures and timings).
SEED = 20240229


def load_manifest() -> dict[str, Any]:
    return tomllib.loads(MANIFEST.read_text())


def baseline_key(profile: str, world: str) -> str:
    return f"{profile}/{world}"


def resolve_world(name: str) -> World:
    """A built-in world, or one of this suite's worlds (tests/mutants/worlds/<name>.toml)."""
    from spec.worlds import BUILTIN, builtin_world

    if name in BUILTIN:
        return builtin_world(name)
    return load_world(WORLDS / f"{name}.toml")


def mutant_world(entry: dict[str, Any]) -> World:
    return resolve_world(entry.get("world", "default")).with_profile(entry["profile"])


@lru_cache(maxsize=None)
def mutant_impl(name: str, where: str = "bugs_detected") -> types.ModuleType:
    """The mutant's module, loaded as ``memhp check --impl`` loads one (a path)."""
    from checker.model import load_impl

    return load_impl(str(HERE / where / f"{name}.py"))


def known_findings(data: dict[str, Any], profile: str, world: str) -> frozenset[tuple[str, str]]:
    entry = data["baselines"][baseline_key(profile, world)]
    return frozenset((inv, cause) for inv, cause in entry["findings"])
