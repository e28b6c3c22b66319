"""What each engine runs on, declared once: the CLI asks before it runs one.

An engine either runs on a (world, profile) pair or refuses it with one line that names what it
lacks. ``explore`` and ``smt`` (BMC, k-induction, the AIGER export) run the spec, which renders
every profile; ``hypothesis`` and ``mirror`` compare the spec with the kernel mirror, so they need a mirror
of the profile (spec/kernel/ mirrors v3.4 and v6.1); ``parametric`` renders the profiles whose
flags checker.engines.smt.parametric.flags supports. (``export promela`` is no engine here: it takes
spec worlds and spin-bench worlds, which have no kernel profile, and checks what it is given
itself.) Refusals are exit 2 where the user named the engine, a note where it came by default
(docs/engines.md; exit codes: docs/design.md section 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from spec.config import World
from spec.profiles import Profile

__all__ = ["ENGINES", "Engine", "refusal"]


def _any(world: World, profile: Profile) -> str | None:
    return None


def _mirror(world: World, profile: Profile) -> str | None:
    from spec.kernel import has_mirror

    if has_mirror(profile.name):
        return None
    return (f"no kernel mirror of {profile.name} (spec/kernel/ mirrors v3.4 and v6.1): the engine "
            "compares the spec with a mirror")


def _parametric(world: World, profile: Profile) -> str | None:
    from checker.engines.smt.parametric.flags import supports

    return supports(profile)


@dataclass(frozen=True)
class Engine:
    """One engine and its declaration of what it runs on."""

    name: str
    what: str
    check: Callable[[World, Profile], str | None]


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("explore", "explicit-state search of the spec", _any),
    Engine("hypothesis", "Hypothesis lockstep of the kernel mirror against the spec", _mirror),
    Engine("mirror", "the kernel mirror explored against the spec, one operation at a time",
           _mirror),
    Engine("smt", "Z3 BMC and k-induction of the spec (and the AIGER export)", _any),
    Engine("parametric", "Z3 proofs for any number of blocks, nodes, callbacks, writers", _parametric),
)}


def refusal(engine: str, world: World, profile: Profile) -> str | None:
    """None if ``engine`` runs on ``world`` under ``profile``, else the one-line reason."""
    return ENGINES[engine].check(world, profile)
