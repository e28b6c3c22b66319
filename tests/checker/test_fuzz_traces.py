"""Hostile traces (memhp-trace/1 JSON, ITF, Markdown and shell files memhp wrote) through
``memhp trace F [--format each] [-o FILE]``, ``memhp replay F`` and ``memhp audit --trace F``:
exit 2 with one line naming the file, or a result; never a traceback, a hang, a write outside
the output folder; a rendering reads back as the same trace, and a shell reproducer, run against
a fake sysfs tree, runs no command the trace smuggled in."""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.fuzzing import fuzz_settings, run_case, trace_case, vocab_for

pytestmark = pytest.mark.engine

EXAMPLES = 1000


@fuzz_settings(EXAMPLES)
@given(case=trace_case(vocab_for("trace")))
def test_hostile_trace(tmp_path_factory, case) -> None:
    o = run_case(case, tmp_path_factory.getbasetemp())
    assert not o.problems, o.report()
