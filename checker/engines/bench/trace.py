"""A counterexample of the benchmark world: the transitions from the initial state, each with the
state it leads to (in the variables of docs/spin-model.md), ending with the violating transition.

It renders as text, one line per transition, and as JSON (``memhp-bench-trace/1``); it replays
through :class:`checker.engines.bench.model.BenchModel` by its labels (:func:`replay_labels`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checker.engines.bench.model import BenchModel

SCHEMA = "memhp-bench-trace/1"


@dataclass
class BenchTrace:
    world: str
    steps: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)  # label, state, text
    invariant: str | None = None
    cause: str | None = None
    message: str = ""

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def labels(self) -> list[str]:
        return [s[0] for s in self.steps]

    def text(self) -> str:
        lines = [f"world {self.world}, {len(self.steps)} steps"]
        if self.invariant:
            lines.append(f"violates {self.invariant} [{self.cause}]: {self.message}")
        for i, (label, _, text) in enumerate(self.steps, 1):
            lines.append(f"{i:3}. {label:40} -> {text}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "world": self.world,
                "steps": [{"transition": label, "state": state} for label, state, _ in self.steps],
                "violation": {"invariant": self.invariant, "cause": self.cause,
                              "message": self.message}}


def replay_labels(model: BenchModel, labels: list[str]) -> list[int]:
    """The states reached by taking the transitions named ``labels`` from the initial state;
    ValueError if one is not enabled."""
    s = model.initial_keys()[0]
    out = []
    for i, label in enumerate(labels, 1):
        succ = dict((lab, t) for lab, t in model.labelled(s))
        if label not in succ:
            raise ValueError(f"step {i} ({label}) is not enabled in {model.describe(s)}")
        s = succ[label]
        out.append(s)
    return out
