"""`memhp verify` on the default world: the full exploration, pinned.

This is the project's main job. It checks that the exploration is complete, that every twin is
reached, that the findings equal the packaged baseline (both ways), and that each finding's
shortest trace equals its golden file (``--regen-golden`` rewrites them) and replays through the
kernel mirror as well as the spec.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.review.baseline import compare, load_baseline
from checker.commands.verify import run_verify
from checker.model import MirrorModel, SpecModel
from checker.formats.traces import Trace, replay
from spec.worlds import builtin_world

GOLDEN = Path(__file__).parent / "golden" / "default-v3.4"


@pytest.fixture(scope="module")
def verified():
    w = builtin_world("default")
    return w, run_verify(w, ["explore"], 0, "ci", load_baseline(None), None)


def test_complete_and_equal_to_baseline(verified) -> None:
    w, r = verified
    assert r.exit == 0, (r.baseline, r.notes)
    assert r.baseline["ok"] and not r.baseline["new"] and not r.baseline["missing"]
    assert all(inv.bound == "complete" for inv in r.invariants)
    assert all(inv.twin_reached for inv in r.invariants), [i.name for i in r.invariants if not i.twin_reached]


def test_expected_findings_of_v34(verified) -> None:
    """facts.md implies these on the default world under v3.4 (the foundation issue)."""
    _, r = verified
    keys = {(f.invariant, f.cause) for f in r.findings}
    assert ("alloc_cancel_offline", "offline:MEM_CANCEL_OFFLINE") in keys
    assert ("notifier_protocol", "online:MEM_ONLINE") in keys
    assert ("sysfs_names", "names") in keys
    assert ("sysfs_end_phys_index", "end_phys_index") in keys


def test_golden_traces(verified, regen_golden: bool) -> None:
    w, r = verified
    GOLDEN.mkdir(parents=True, exist_ok=True)
    names = set()
    for f in r.findings:
        name = f"{f.invariant}--{f.cause.replace(':', '_')}.json"
        names.add(name)
        path = GOLDEN / name
        got = f.trace.to_json()
        if regen_golden:
            path.write_text(json.dumps(got, indent=1) + "\n")
            continue
        assert path.exists(), f"no golden trace {name} for a finding (run with --regen-golden)"
        assert json.loads(path.read_text()) == got, f"{name} changed (run with --regen-golden)"
        assert replay(Trace.load(path), SpecModel(w)).ok
        assert replay(Trace.load(path), MirrorModel(w)).ok, f"the kernel mirror does not show {name}"
    stale = {p.name for p in GOLDEN.glob("*.json")} - names
    if regen_golden:
        for n in stale:
            (GOLDEN / n).unlink()
    else:
        assert not stale, f"golden traces of findings that disappeared: {stale}"


def test_baseline_catches_both_ways(verified) -> None:
    w, r = verified
    base = load_baseline(None)
    dropped = dict(base, findings=base["findings"][1:])
    assert compare(r.findings, dropped, w.profile, w.name, True, r.counts["depth"])["new"]
    extra = dict(base, findings=base["findings"] + [dict(base["findings"][0], cause="made:up")])
    assert compare(r.findings, extra, w.profile, w.name, True, r.counts["depth"])["missing"]
