"""Fixtures for the kernel mirror tests: the built-in worlds and a small driver helper."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from spec.actions import Action, Observation, step  # noqa: E402
from spec.config import World, load_world  # noqa: E402
from spec.errors import ActionError  # noqa: E402
from spec.kernel import Kernel  # noqa: E402

WORLDS = ROOT / "spec" / "worlds"


def world(name: str = "default", profile: str | None = None) -> World:
    w = load_world(WORLDS / f"{name}.toml")
    return w.with_profile(profile) if profile else w


def run_op(k: Kernel, start: Action, choices: list[str] | tuple[str, ...] = ()) -> list[Observation]:
    """Start an operation and step it to ``ret``; steps that ask for a choice take the next
    one of ``choices`` (a step that asks none gets none)."""
    queue = list(choices)
    obs = [k.apply(start)]
    thread = obs[0].thread
    while obs[-1].point != "ret":
        assert thread is not None
        try:
            obs.append(k.apply(step(thread)))
        except ActionError as e:
            if "needs a choice" not in str(e) or not queue:
                raise
            obs.append(k.apply(step(thread, queue.pop(0))))
    assert not queue, f"choices left over: {queue}"
    return obs


def calls(obs: list[Observation]) -> list[tuple[str, str]]:
    return [(c.event, c.callback) for o in obs for c in o.calls]


@pytest.fixture
def k34() -> Kernel:
    return Kernel(world())


@pytest.fixture
def k61() -> Kernel:
    return Kernel(world(profile="v6.1"))
