"""One parametric proof run per profile, shared by the tests of this folder (each takes a
while: a few hundred Z3 queries)."""

from __future__ import annotations

import pytest

from checker.smt.parametric import prove

TIMEOUT = 300.0


@pytest.fixture(scope="session")
def v61():
    return prove("v6.1", TIMEOUT)


@pytest.fixture(scope="session")
def v34():
    return prove("v3.4", TIMEOUT)


@pytest.fixture(scope="session")
def runs(v61, v34):
    return {"v6.1": v61, "v3.4": v34}
