"""Hostile baselines (``load_baseline`` and what verify does with it next, and now and then
``memhp verify --baseline F``) and ``--expect`` files of ``python -m checker.engines.stateful``
(its reader): a result or a MemhpError of one line naming the file, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given

import checker.engines.stateful  # noqa: F401 - imported here, not inside a Hypothesis run (it sets a profile)
from tests.fuzzing import baseline_case, expect_case, fuzz_settings, run_case, vocab_for

pytestmark = pytest.mark.engine

EXAMPLES = 500


@fuzz_settings(EXAMPLES)
@given(case=baseline_case(vocab_for("baseline")))
def test_hostile_baseline(tmp_path_factory, case) -> None:
    o = run_case(case, tmp_path_factory.getbasetemp())
    assert not o.problems, o.report()


@fuzz_settings(EXAMPLES)
@given(case=expect_case(vocab_for("expect")))
def test_hostile_expect_file(tmp_path_factory, case) -> None:
    o = run_case(case, tmp_path_factory.getbasetemp())
    assert not o.problems, o.report()
