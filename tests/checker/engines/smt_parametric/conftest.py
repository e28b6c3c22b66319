"""One parametric proof run per profile, shared by the tests of this folder (each takes a
while: several hundred Z3 queries, about ten seconds), made the first time a test asks."""

from __future__ import annotations

import pytest

from checker.engines.smt.parametric import ProofRun, prove

TIMEOUT = 300.0


class Runs:
    """The proof run of each profile name, proved once per session on first use."""

    def __init__(self) -> None:
        self._runs: dict[str, ProofRun] = {}

    def __getitem__(self, profile: str) -> ProofRun:
        if profile not in self._runs:
            self._runs[profile] = prove(profile, TIMEOUT)
        return self._runs[profile]


@pytest.fixture(scope="session")
def runs() -> Runs:
    return Runs()


@pytest.fixture(scope="session")
def v61(runs: Runs) -> ProofRun:
    return runs["v6.1"]


@pytest.fixture(scope="session")
def v34(runs: Runs) -> ProofRun:
    return runs["v3.4"]
