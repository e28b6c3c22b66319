"""The ``mirror`` engine of ``memhp verify``: the kernel mirror explored against the spec.

From the pair of booted machines, breadth first over pairs of idle states (spec, mirror), every
operation that can start (a write of each world text to ``state`` or ``online`` of each block, a
firmware hot-add or eject, a read) runs to its end on both, under every sequence of choices
(callback answers, migration outcomes), and everything a user or a notifier callback could see
is compared (checker.review.diff: return values, events and their order and arguments, node
states, sysfs). The search is complete when no new pair of idle states appears: then every
operation from every idle state the two reach agrees, not a sample of them as in the Hypothesis
lockstep. A difference is a divergence of the mirror from the spec, reported with the
operations that show it.

Leaves out: interleavings of concurrent operations (one operation runs at a time here; the
Hypothesis lockstep samples interleavings, and the explorer covers them on the spec), error
injection through debugfs, and points inside a step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from spec.config import World

__all__ = ["MirrorCheck", "check_mirror"]

#: pairs of idle states stored before the search stops (the default world under v6.1 has
#: about 3,000; each pair keeps every operation's runs on both sides)
DEFAULT_MAX_PAIRS = 50_000


@dataclass
class MirrorCheck:
    """What the mirror engine covered and what differed."""

    profile: str
    complete: bool
    #: operations from boot: every pair that close to boot was expanded
    operations: int
    pairs: int
    runs: int
    seconds: float
    cut: str | None = None
    differences: list[Any] = field(default_factory=list)  # checker.review.compare.Difference

    @property
    def agrees(self) -> bool:
        return not self.differences

    def bound(self) -> str:
        return "complete" if self.complete else f"{self.operations} operations ({self.cut})"

    def note(self) -> str:
        cover = (f"every operation from each of {self.pairs:,} pairs of idle states" if self.complete
                 else f"every operation to {self.operations} operations from boot ({self.pairs:,} "
                      f"pairs of idle states; stopped by the {self.cut} budget)")
        if self.agrees:
            return (f"mirror: the kernel mirror of {self.profile} agrees with the spec on {cover}, "
                    f"{self.runs:,} runs in {self.seconds:.1f} s (one operation at a time; the "
                    f"Hypothesis lockstep samples interleavings)")
        return (f"mirror: the kernel mirror of {self.profile} and the spec differ in "
                f"{len(self.differences)} ways, checked on {cover}")

    def to_json(self) -> dict[str, Any]:
        return {"complete": self.complete, "operations": self.operations, "pairs": self.pairs,
                "runs": self.runs, "seconds": round(self.seconds, 3), "cut": self.cut,
                "differences": [d.to_json() for d in self.differences]}


def check_mirror(w: World, max_pairs: int | None = DEFAULT_MAX_PAIRS,
                 max_rss: int | None = None, deadline: float = float("inf"),
                 max_operations: int | None = None, progress: Any = None,
                 impl: Any = None) -> MirrorCheck:
    """The kernel mirror of ``w.profile`` (patched by the module ``impl``, if given) against its
    spec on ``w``, breadth first to the end or to the first budget: ``max_pairs``, ``max_rss``
    bytes, the ``deadline`` (``time.monotonic()``), ``max_operations`` from boot."""
    from checker.model import MirrorModel, SpecModel
    from checker.review.diff import diff_models

    t0 = time.monotonic()
    r = diff_models(SpecModel(w), MirrorModel(w, impl), depth=max_operations, max_pairs=max_pairs,
                    max_rss=max_rss, deadline=deadline, progress=progress)
    operations = r.reached if r.complete or r.checked is None else r.checked
    return MirrorCheck(w.profile, r.complete, operations, r.pairs, r.runs,
                       time.monotonic() - t0, r.cut, r.differences)
