"""The Model interface every engine sees (design.md section 0), and its kinds.

A Model is initial states, successors (action, next state, observation), a replaying ``step``,
and read-outs for the invariants: the abstract :class:`spec.state.Machine`, the sysfs view, and
whether the state is quiescent. ``key`` is what the explorer deduplicates on.
"""

from __future__ import annotations

from typing import Any, Hashable, Iterable, Protocol

from spec.actions import Action, Observation
from spec.config import World
from spec.profiles import Profile
from spec.state import Machine
from spec.sysfs import View


class Model(Protocol):
    world: World
    profile: Profile
    name: str

    def initial(self) -> list[Any]: ...

    def successors(self, state: Any) -> Iterable[tuple[Action, Any, Observation]]: ...

    def step(self, state: Any, action: Action) -> tuple[Any, Observation]: ...

    def machine(self, state: Any) -> Machine: ...

    def view(self, state: Any) -> View: ...

    def quiescent(self, state: Any) -> bool: ...

    def key(self, state: Any) -> Hashable: ...
