"""Parametric proofs: the core invariants for any number of blocks, nodes, callbacks and writers.

Models: an Ivy/mypyvy-style abstraction of the spec of every kernel profile whose behaviours it
has (``flags``: which ``spec.profiles.Profile`` flag combinations those are, :func:`supports`;
``vocab``: uninterpreted sorts and the state; ``transitions`` and ``profile_rules``: the steps
of spec/model.py at the protocol level, chosen by the profile's flags; ``invariants``: the
invariants and candidate lemmas; ``engine``: Houdini with Z3 and the verdicts; ``instance``: the
same model on one finite World). Of the built-in profiles it renders v3.4, v3.8, v4.15, v5.6 and
v6.1, and refuses v6.17 (the NUMA node notifier). ``prove_all`` is what
``memhp prove --parametric`` reports; ``python -m checker.engines.smt.parametric`` prints a table.

Leaves out: world-level encodings, bounded model checking of worlds and k-induction (other
modules of checker.engines.smt); traces (a parametric verdict names transitions, not a world's actions).
"""

from __future__ import annotations

from checker.formats.results import InvariantResult
from checker.engines.smt.parametric.engine import ProofRun, prove
from checker.engines.smt.parametric.flags import UnsupportedProfile, require, supports
from checker.engines.smt.parametric.invariants import properties
from spec.profiles import PROFILES as ALL_PROFILES
from spec.profiles import Profile

__all__ = ["PROFILES", "ProofRun", "UnsupportedProfile", "prove", "prove_all", "supports"]

#: the built-in profiles the parametric model renders (the others: see ``supports``)
PROFILES = tuple(name for name in ALL_PROFILES if supports(name) is None)


def prove_all(profile: str | Profile, timeout: float, bmc_depth: int = 0) -> list[InvariantResult]:
    """One result per parametric invariant (engine ``smt``, bound ``parametric``).

    ``profile`` is a Profile or a built-in profile's name (unknown: WorldError); one whose
    behaviours the model lacks raises UnsupportedProfile (both are MemhpErrors: one line, exit
    2). ``timeout`` (seconds) bounds every solver query; a query that times out makes the
    invariants not yet settled ``unknown``. ``bmc_depth`` > 0 also searches a finite instance
    (two of each sort) for a path to a violation of each invariant that is not proved
    (``violated`` if found, else ``cti``)."""
    prof = require(profile)
    run = prove(prof, timeout, bmc_depth=bmc_depth)
    out = []
    for p in properties(prof):
        o = run.outcomes[p.name]
        out.append(InvariantResult(p.name, p.seed_section, "smt", o.verdict, "parametric",
                                   None, o.message, "", None))
    return out
