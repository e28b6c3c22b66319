"""memhp mutate's runner: a mutant is reviewed as a patch in a child with limits, and classified.

Small bounds keep each review to a second or two: the cases are chosen so that the bound does not
decide them (a sysfs file that disappears shows at boot; a store nothing reads never shows).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.review.mutate.generate import Mutant, mutants
from checker.review.mutate.report import MutationRun, markdown, mutation_json, summary
from checker.review.mutate.run import Budget, run_mutants
from checker.formats.schemas import validate

pytestmark = pytest.mark.engine

SMALL = Budget(bounds=((2, 1),), hypothesis=None, timeout=120)


def _one(function: str, operator: str, text: str = "") -> Mutant:
    for m in mutants("v6.1", ["memory"], [function]):
        if m.operator == operator and text in m.description:
            return m
    raise AssertionError(f"no {operator} mutant of {function} ({text})")


def test_a_behaviour_changing_mutant_is_killed_and_an_unread_store_survives(tmp_path: Path) -> None:
    killed = _one("block_size_bytes_show", "delete")  # the file's text becomes None
    unread = _one("memory_dev_init", "const", "1 -> 0")  # section_count += 0: nothing reads it
    got = run_mutants([killed, unread], "v6.1", SMALL, tmp_path)
    assert [o.status for o in got] == ["killed", "survived"], [o.how for o in got]
    assert got[0].bound == (2, 1)
    assert got[0].broken and got[0].how.startswith("breaks ")
    assert not list(tmp_path.iterdir())  # the patch modules are removed after the run

    run = MutationRun("v6.1", ["memory"], None, SMALL, got, 2, 1.0, "cpu")
    doc = mutation_json(run)
    validate(doc, "memhp-mutation/1")
    assert (doc["counts"]["killed"], doc["score"]) == (1, 0.5)
    assert unread.id in summary(run) and unread.id in markdown(run)


def test_a_mutant_that_raises_is_crashed_not_killed(tmp_path: Path) -> None:
    """A mirror that raises is an error of review (exit 2), listed as crashed with the message."""
    m = _one("early_node_zone_for_memory_block", "delete", "matching")  # UnboundLocalError at boot
    (o,) = run_mutants([m], "v6.1", SMALL, tmp_path)
    assert o.status == "crashed", o.how
    assert "UnboundLocalError" in o.how


def test_a_mutant_past_its_time_is_timed_out(tmp_path: Path) -> None:
    m = _one("state_store", "const")
    slow = Budget(bounds=((8, 3),), hypothesis=None, timeout=0.5)
    (o,) = run_mutants([m], "v6.1", slow, tmp_path)
    assert (o.status, o.how) == ("timeout", "no verdict in 0.5 s")
    assert o.seconds < 10


def test_jobs_keep_the_order_of_the_mutants(tmp_path: Path) -> None:
    ms = [_one("block_size_bytes_show", "delete"), _one("phys_index_show", "arith"),
          _one("removable_show", "const")]
    got = run_mutants(ms, "v6.1", SMALL, tmp_path, jobs=2)
    assert [o.mutant.id for o in got] == [m.id for m in ms]
    assert all(o.status == "killed" for o in got), [o.how for o in got]
