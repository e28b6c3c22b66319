"""Parametric proofs: the core invariants for any number of blocks, nodes, callbacks and writers.

Models: an Ivy/mypyvy-style abstraction of each profile's spec (``vocab``: uninterpreted sorts
and the state; ``transitions``: the steps of spec/model.py at the protocol level;
``invariants``: the invariants and candidate lemmas; ``engine``: Houdini with Z3 and the
verdicts; ``instance``: the same model on one finite World). ``prove_all`` is what
``memhp prove --parametric`` reports; ``python -m checker.smt.parametric`` prints a table.

Leaves out: world-level encodings, bounded model checking of worlds and k-induction (other
modules of checker.smt); traces (a parametric verdict names transitions, not a world's actions).
"""

from __future__ import annotations

from checker.results import InvariantResult
from checker.smt.parametric.engine import ProofRun, prove
from checker.smt.parametric.invariants import properties
from spec.profiles import get_profile

__all__ = ["ProofRun", "prove", "prove_all"]

PROFILES = ("v3.4", "v6.1")


def prove_all(profile: str, timeout: float, bmc_depth: int = 0) -> list[InvariantResult]:
    """One result per parametric invariant (engine ``smt``, bound ``parametric``).

    ``timeout`` (seconds) bounds every solver query; a query that times out makes the
    invariants not yet settled ``unknown``. ``bmc_depth`` > 0 also searches a finite
    instance (two of each sort) for a path to a violation of each invariant that is not proved
    (``violated`` if found, else ``cti``)."""
    get_profile(profile)  # unknown names: WorldError, one line, exit 2
    run = prove(profile, timeout, bmc_depth=bmc_depth)
    out = []
    for p in properties(profile):
        o = run.outcomes[p.name]
        out.append(InvariantResult(p.name, p.seed_section, "smt", o.verdict, "parametric",
                                   None, o.message, "", None))
    return out
