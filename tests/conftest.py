"""Shared pytest switches: ``--regen-golden`` rewrites golden files from the current code."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite golden files (traces) from what the code produces now")


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


#: test modules that run an engine (a search, a solver, a lockstep run, SPIN, ABC, QEMU) on a
#: small world: the ``engine`` tier. Tests marked ``slow`` are their own tier. Every other
#: test is the fast unit tier (docs/testing.md: ``pytest -m "not engine and not slow"``).
ENGINE_MODULES = (
    "tests/catalogue/", "tests/mutants/", "tests/scenarios/", "tests/kernel/",
    "tests/checker/engines/smt/", "tests/checker/engines/smt_parametric/", "tests/checker/conform/test_conform_qemu.py",
    "tests/checker/test_verify_default.py", "tests/checker/engines/test_stateful.py",
    "tests/checker/review/test_diff.py", "tests/checker/review/test_review.py", "tests/checker/engines/test_symmetry.py",
    "tests/checker/review/test_v61_findings.py", "tests/checker/engines/test_every_profile.py",
    "tests/checker/engines/bench/", "tests/checker/audit/test_explore_audit.py",
    "tests/checker/engines/compiled/",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        rel = item.path.relative_to(root).as_posix()
        if rel.startswith(ENGINE_MODULES) and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.engine)
