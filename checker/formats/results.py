"""Result records shared by every engine, the reports and the CLI (schema ``memhp-result/1``).

Verdicts (design.md section 4): ``proved``, ``passed`` (bound ``"complete"`` or a depth),
``sampled`` (Hypothesis, bound ``"<examples>x<steps>"``), ``violated`` (with a trace), ``cti``
and ``unknown``. Only ``proved``, ``passed`` and ``sampled`` count as holding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.formats.traces import Trace

VERDICTS = ("proved", "passed", "sampled", "violated", "cti", "unknown")
ENGINES = ("explore", "hypothesis", "smt")
HOLDING = ("proved", "passed", "sampled")

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


def combine_exit(codes: list[int]) -> int:
    """The order of design.md section 4: 2 > 3 > 1 > 0."""
    for code in (EXIT_USAGE, EXIT_INCONCLUSIVE, EXIT_VIOLATION):
        if code in codes:
            return code
    return EXIT_OK


@dataclass
class InvariantResult:
    name: str
    seed_section: str
    engine: str
    verdict: str
    bound: str | int
    trace: Trace | None = None
    message: str = ""
    cause: str = ""
    twin_reached: bool | None = None
    #: the world's reason why the twin cannot be reached (its ``[vacuous]`` table), if declared
    vacuous: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "seed_section": self.seed_section, "engine": self.engine,
            "verdict": self.verdict, "bound": self.bound,
            "trace": self.trace.to_json() if self.trace else None,
            "message": self.message, "cause": self.cause, "twin_reached": self.twin_reached,
            **({"vacuous": self.vacuous} if self.vacuous else {}),
        }


@dataclass
class Finding:
    """A violation on an unmodified profile: a finding about that kernel (or its documentation)."""

    profile: str
    world: str
    invariant: str
    cause: str
    trace: Trace
    explanation: str
    engine: str = "explore"
    status: str = "new"  # new | known (in the baseline)

    @property
    def key(self) -> str:
        return f"{self.profile}/{self.world}/{self.invariant}/{self.cause}"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "profile": self.profile, "world": self.world,
            "invariant": self.invariant, "cause": self.cause, "engine": self.engine,
            "status": self.status, "trace": self.trace.to_json(),
            "explanation": self.explanation,
        }


@dataclass
class RunResult:
    command: str
    profile: str
    world: str
    exit: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"states": 0, "transitions": 0, "depth": 0})
    invariants: list[InvariantResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: verify's mirror engine: checker.engines.mirror.MirrorCheck.to_json(), when it ran
    mirror: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "memhp-result/1", "command": self.command, "profile": self.profile,
            "world": self.world, "exit": self.exit, "counts": dict(self.counts),
            "invariants": [r.to_json() for r in self.invariants],
            "findings": [f.to_json() for f in self.findings],
            "baseline": self.baseline, "timings": self.timings, "notes": self.notes,
            **({"mirror": self.mirror} if self.mirror is not None else {}),
        }
