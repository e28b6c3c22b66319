"""The shipped ghost certificate is current: a fresh mining of the default world's (state,
Monitor state) pairs gives the shipped file byte for byte (slow tier; several minutes, so it has
a module of its own and CI runs it beside the rest). ``--regen-golden`` writes it again."""

from __future__ import annotations

import pytest

from checker.engines.smt import certificate, ghost_proof
from checker.engines.smt.ghosts import GhostSystem
from spec.profiles import get_profile
from spec.worlds import builtin_world


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["v3.4"])
def test_shipped_ghost_certificate_matches_the_default_world(profile: str, regen_golden: bool) -> None:
    w = builtin_world("default").with_profile(profile)
    sy = GhostSystem(w, get_profile(profile))
    path = certificate.shipped(sy.L, "ghosts")
    cands, n, complete = ghost_proof.mine(sy, 10**9, float("inf"))
    assert complete
    text = certificate.dump(sy.L, cands, n)
    if regen_golden:
        path.write_text(text)
    assert path.read_text() == text, f"{path.name} is stale: run pytest --regen-golden"
