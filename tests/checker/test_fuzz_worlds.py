"""Hostile world files (TOML) through ``memhp explore/audit/verify --world F``: exit 2 with one
line naming the file, or a result; never a traceback, a hang, or a write outside --out.

Inputs: the built-in worlds, a world that sets every key and a one-block world, mutated
structurally and as bytes (tests/fuzzing.py). The budget fits CI; tests/benchmarks/bench_fuzz.py
runs the same property longer."""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.fuzzing import fuzz_settings, run_case, vocab_for, world_case

pytestmark = pytest.mark.engine

EXAMPLES = 800


@fuzz_settings(EXAMPLES)
@given(case=world_case(vocab_for("world")))
def test_hostile_world(tmp_path_factory, case) -> None:
    o = run_case(case, tmp_path_factory.getbasetemp())
    assert not o.problems, o.report()
