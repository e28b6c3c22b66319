"""Hostile snapshot archives (and the same members laid out as a sysfs tree) through
``memhp audit``, ``memhp explore --from-snapshot`` and ``memhp snapshot``: exit 2 with one line
naming the file, or a result; never a traceback, a hang, or a write outside the output folder
(an absolute or ``..`` member, a link out of the tree)."""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.fuzzing import archive_case, fuzz_settings, run_case

pytestmark = pytest.mark.engine

EXAMPLES = 600


@fuzz_settings(EXAMPLES)
@given(case=archive_case())
def test_hostile_archive(tmp_path_factory, case) -> None:
    o = run_case(case, tmp_path_factory.getbasetemp())
    assert not o.problems, o.report()
