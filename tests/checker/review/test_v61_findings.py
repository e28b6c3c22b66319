"""Findings the v6.1 profile shows on the QEMU world (bounded: the full space is 1.1 M states)."""

from __future__ import annotations

import pytest

from checker.review.explanations import explain
from checker.engines.explore import explore
from checker.model import MirrorModel, SpecModel
from checker.formats.traces import replay
from spec.worlds import builtin_world


@pytest.fixture(scope="module")
def res():
    model = SpecModel(builtin_world("qemu-2node"))
    return model, explore(model, max_depth=13)


def test_removable_always_one(res) -> None:
    """53cdc1cb29e8 (v5.7): removable reads 1 for memory0, which holds unmovable pages."""
    model, r = res
    trace = r.traces[("sysfs_removable", "removable")]
    assert len(trace) == 0
    assert explain("v6.1", "sysfs_removable", "removable")[1]


def test_failed_online_write_changes_online_type(res) -> None:
    """qemu.md: a failed `state <- online_movable` on an online block leaves online_type set."""
    model, r = res
    trace = r.traces[("rejected_write", "write:ret")]
    assert trace.steps[0].action.text in (b"online", b"online_kernel", b"online_movable")
    assert trace.steps[-1].obs.ret == -22
    assert replay(trace, MirrorModel(model.world)).ok
    assert explain("v6.1", "rejected_write", "write:ret")[1]


def test_eject_offlines_then_removes(res) -> None:
    """6.1 offlines a Movable block during the eject and removes it: no broken promise."""
    _, r = res
    assert "remove_only_offline" not in r.violated()
    assert "remove_only_offline" in r.twins


def test_every_pinned_finding_has_its_c_path() -> None:
    """Each finding of the packaged baseline is explained along a C path, its profile's own or
    borrowed (said so) from the profile whose code it runs; an unpinned one is flagged."""
    from checker.review.baseline import load_baseline
    from checker.review.explanations import SAME_PATH_AS, explain

    for f in load_baseline(None)["findings"]:
        text, known = explain(f["profile"], f["invariant"], f["cause"])
        assert known, f"{f['key']}: no C path recorded"
        if text.startswith("As in "):
            assert text.startswith(f"As in {SAME_PATH_AS[f['profile'], f['invariant']]}, ")
    assert explain("v4.15", "alloc_cancel_offline", "offline:MEM_CANCEL_OFFLINE")[0].startswith("As in v3.4")
    assert explain("v4.15", "rejected_write", "write:ret")[0].startswith("As in v6.1")
    text, known = explain("v4.15", "sysfs_removable", "removable")
    assert not known and "No C code path is recorded" in text
