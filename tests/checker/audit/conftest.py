"""Shared fixtures: the real snapshots (snapshots/, see its README), loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.audit.source import read_archive

DATA = Path(__file__).resolve().parent / "snapshots"
SNAPSHOTS = sorted(p.name for p in DATA.glob("*.tar.gz"))


def snapshot_path(name: str) -> Path:
    p = DATA / name
    if not p.exists():
        pytest.skip(f"{p}: real snapshots not available")
    return p


@pytest.fixture(scope="session")
def real_views() -> dict[str, dict]:
    return {name: read_archive(DATA / name) for name in SNAPSHOTS}
