"""The catalogue of facts.md section 7 as patched mirrors: each gets its pinned review result.

For every entry of manifest.toml: ``review`` gives the pinned verdict, exactly the pinned broken
promises (with the length of the shortest trace and how it was found), exactly the pinned
behaviour differences, and names the pinned documented change; every broken promise's trace
replays through the patched mirror; every difference's trace parts the base and the patched
mirror at the operation it names; the modules sit in the directory their kind says.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from checker.review.diff import iter_aspects, replay_ops
from checker.model import MirrorModel
from checker.review.engine import load_patch, review
from checker.formats.traces import replay
from spec.config import load_world
from spec.profiles import get_profile

HERE = Path(__file__).resolve().parent
MANIFEST = tomllib.loads((HERE / "manifest.toml").read_text())["entries"]


def _module(name: str) -> Path:
    return HERE / MANIFEST[name]["kind"] / f"{name}.py"


@lru_cache(maxsize=None)
def _review(name: str) -> Any:
    e = MANIFEST[name]
    w = load_world(HERE / "worlds" / f"{e['world']}.toml")
    path = str(_module(name))
    return review(path, load_patch(path), get_profile(e["against"]), w, e["depth"], e["ops"])


def test_every_module_is_in_the_manifest() -> None:
    files = {p.stem for kind in ("bugs_detected", "behaviour_changed")
             for p in (HERE / kind).glob("*.py") if p.stem != "__init__"}
    assert files == set(MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_pinned_result(name: str) -> None:
    e, r = MANIFEST[name], _review(name)
    assert _module(name).is_file()
    assert r.verdict == e["verdict"]
    got = sorted({"key": f"{b.invariant}/{b.cause}", "steps": len(b.trace) if b.trace else None,
                  "bound": b.bound} for b in r.broken) if r.broken else []
    assert sorted(got, key=str) == sorted(e["broken"], key=str)
    assert (e["kind"] == "bugs_detected") == bool(r.broken)
    assert sorted(f"{d.aspect}: {d.summary}" for d in r.diff.differences) == sorted(e["differences"])
    assert set(e["tags"]) <= set(r.diff.tags())


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_traces_replay(name: str) -> None:
    e, r = MANIFEST[name], _review(name)
    w = load_world(HERE / "worlds" / f"{e['world']}.toml").with_profile(e["against"])
    impl = load_patch(str(_module(name)))
    for b in r.broken:
        if b.trace is not None:
            assert replay(b.trace, MirrorModel(w, impl)).ok
    for d in r.diff.differences:
        if d.step == 0 or d.aspect in ("alphabet", "outcome"):
            continue
        ra = replay_ops(MirrorModel(w, None), [(a, ca) for a, ca, _ in d.ops])
        rb = replay_ops(MirrorModel(w, impl), [(a, cb) for a, _, cb in d.ops])
        shown = list(iter_aspects(ra, rb))
        assert d.key in shown[d.step - 1]
        assert all(d.key not in s for s in shown[:d.step - 1])
