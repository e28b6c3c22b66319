"""The compiled explorer against the interpreted one on every spec mutant (tests/mutants/spec):
the same states, transitions, findings, shortest traces and twins, and each mutant's finding at
its known length.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.engines.compiled.engine import DomainEscape, explore_compiled
from checker.model import SpecModel
from spec.config import load_world
from spec.profiles import get_profile
from tests.checker.engines.compiled.agree import both
from tests.mutants.spec.mutants import MANIFEST
from tests.mutants.spec.step_mutants import STEP_MANIFEST

SMT_WORLDS = Path(__file__).parents[1] / "smt" / "worlds"


#: mutants whose counts leave every finite domain (onlining adds no pages, offlining takes them
#: away again and again): the compiled search stops with DomainEscape and "auto" runs the
#: interpreted search (which does not end on them either: these tests bound both by depth)
ESCAPES = {"online_no_present_pages", "online_no_present_pages_bare"}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_spec_mutants(name: str) -> None:
    steps, world, profile, inv, length = MANIFEST[name]
    w = load_world(SMT_WORLDS / f"{world}.toml")
    got, want, fallback = both(w, profile, length + 2, steps)
    assert fallback is None and got == want
    assert min(n for (i, _), n in got["findings"] if i == inv) == length
    if name in ESCAPES:  # to the end, the count leaves its bits: the search stops, says so
        with pytest.raises(DomainEscape, match=r"n\d\.present"):
            explore_compiled(SpecModel(w, get_profile(profile), steps))


@pytest.mark.parametrize("name", sorted(STEP_MANIFEST))
def test_history_mutants(name: str) -> None:
    steps, world, profile, inv = STEP_MANIFEST[name]
    got, want, fallback = both(load_world(SMT_WORLDS / f"{world}.toml"), profile, None, steps)
    assert fallback is None and got == want
    assert any(i == inv for (i, _), _n in got["findings"])
