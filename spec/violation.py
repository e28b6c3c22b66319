"""A broken promise: the invariant, a short cause that keys findings, and a message a reviewer
reads (spec.invariants judges them; spec.invariants_sysfs judges the sysfs ones)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Violation"]


@dataclass(frozen=True)
class Violation:
    invariant: str
    cause: str
    message: str
