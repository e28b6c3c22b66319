"""memhp review compares a patch with its base under the same bound: no false alarms.

A lockstep example that reaches one of the base's own findings (the ``ci`` budget reaches the
10-step notifier_protocol finding of v3.4 while the base is explored to ``--depth`` 8) is judged
against the base explored to that example's length, so equivalent rewrites of the mirror
(tests/mutants/correct_code) give "no observable change" at every budget. ``thorough`` (5,000
examples of 100 steps, minutes a run) is left to ``memhp review --budget thorough`` by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from checker.engines.explore import explore
from checker.model import SpecModel
from checker.review.engine import BaseFindings
from spec.worlds import builtin_world

CORRECT = Path(__file__).resolve().parents[2] / "mutants" / "correct_code"
#: each rewrite and the profiles whose mirror signature it is written for
REWRITES = [("chain_register_by_scan", "v3.4"), ("chain_register_by_scan", "v6.1"),
            ("online_pages_goto_failed", "v3.4")]


def test_every_rewrite_is_listed() -> None:
    assert {n for n, _ in REWRITES} == {p.stem for p in CORRECT.glob("*.py")}


@pytest.mark.parametrize("budget", ["dev", "ci"])
@pytest.mark.parametrize("name,profile", REWRITES)
def test_equivalent_rewrites_change_nothing(name: str, profile: str, budget: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["review", "--impl", str(CORRECT / f"{name}.py"), "--against", profile,
                 "--budget", budget, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert (code, data["verdict"], data["broken"], data["sooner"]) == \
        (0, "no observable change", [], []), data["lockstep"]
    assert data["lockstep"].startswith(f"agrees with the {profile} spec")


def test_the_base_is_judged_at_the_patchs_bound() -> None:
    """The base's finding beyond --depth is found at the example's length, and one the base
    shows only deeper than the example is reported with the base's own length."""
    w = builtin_world("default")
    key = ("notifier_protocol", "online:MEM_ONLINE")
    at8 = explore(SpecModel(w), max_depth=8, engine="auto")
    assert key not in at8.hits
    base = BaseFindings(w, 8, at8)
    assert base.shortest(key, 10) == 10
    assert base.shortest(key, 6) == 10  # deeper than the example: found without a depth bound
    assert base.shortest(("notifier_protocol", "online:MEM_NO_SUCH"), 10) is None
    assert key in base.keys()
