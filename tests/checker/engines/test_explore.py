"""The explorer: shortest traces, bounds, and that its traces replay through spec and mirror."""

from __future__ import annotations

from dataclasses import replace

import pytest

from checker.engines.explore import explore, verdicts
from checker.model import MirrorModel, SpecModel
from checker.formats.traces import Trace, replay
from spec.worlds import builtin_world


@pytest.fixture(scope="module")
def bounded():
    model = SpecModel(builtin_world("default"))
    return model, explore(model, max_depth=14)


def test_bounded_run_is_not_complete(bounded) -> None:
    model, res = bounded
    assert not res.complete and res.depth == 14
    assert all(v.bound == 14 for v in verdicts(model, res, 14))


def test_findings_at_boot(bounded) -> None:
    _, res = bounded
    assert len(res.traces[("sysfs_names", "names")]) == 0  # the booted machine already shows it
    assert len(res.traces[("sysfs_end_phys_index", "end_phys_index")]) == 0


def test_notify_stop_finding_is_shortest(bounded) -> None:
    """hot-add memory16 (fw: start, take the lock and add), then online it with tier answering
    NOTIFY_STOP: write, take locks and call slub, tier (STOP), commit, MEM_ONLINE to inject."""
    _, res = bounded
    trace = res.traces[("notifier_protocol", "online:MEM_ONLINE")]
    kinds = [s.action.kind for s in trace.steps]
    assert kinds[0] == "hotadd" and "write" in kinds
    assert trace.steps[-1].obs.calls[-1].callback == "inject"
    assert any(s.action.choice == "NOTIFY_STOP" for s in trace.steps)
    # breadth-first: nothing shorter violates it
    shorter = explore(SpecModel(builtin_world("default")), max_depth=len(trace) - 1,
                      stop_on={"notifier_protocol"})
    assert ("notifier_protocol", "online:MEM_ONLINE") not in shorter.hits


def test_traces_replay_through_spec_and_mirror(bounded) -> None:
    model, res = bounded
    assert res.traces
    for key, trace in res.traces.items():
        again = Trace.from_json(trace.to_json())
        assert replay(again, model).ok, key
        assert replay(again, MirrorModel(model.world)).ok, key  # the kernel mirror shows it too


def test_mirror_model_explores_like_the_spec() -> None:
    w = replace(builtin_world("default"), texts=(b"online", b"offline"), writers=1)
    spec = explore(SpecModel(w), max_depth=9)
    mirror = explore(MirrorModel(w), max_depth=9)
    assert set(spec.hits) == set(mirror.hits)
    assert {k: len(t) for k, t in spec.traces.items()} == {k: len(t) for k, t in mirror.traces.items()}


def test_stop_on_stops_early() -> None:
    res = explore(SpecModel(builtin_world("default")), stop_on={"sysfs_names"})
    assert not res.complete and res.states == 1
