"""ITF JSON: the file loads with the itf-py parser (the Apalache/Quint format), its states hold
the machine the spec passes through and the action taken, and memhp reads it back into a Trace
that replays."""

from __future__ import annotations

import json

import itf_py
import pytest

from checker.formats import itf, parse
from checker.formats.states import spec_states
from checker.model import SpecModel
from checker.formats.traces import replay
from spec.actions import STATE_TEXT
from spec.errors import TraceError


def test_every_trace_loads_with_itf_py_and_matches_the_spec(all_traces) -> None:
    for name, trace in all_traces.items():
        raw = json.loads(itf.render(trace))
        t = itf_py.trace_from_json(raw)
        assert t.vars == itf.VARS, name
        assert len(t.states) == len(trace) + 1, name
        assert t.meta["memhp"]["profile"] == trace.profile
        states = spec_states(trace)
        for i, (st, spec_state) in enumerate(zip(t.states, states)):
            v = st.values
            assert st.meta["index"] == i
            if i == 0:
                assert v["action"].kind == "init"
            else:
                a = trace.steps[i - 1].action
                assert v["action"].kind == a.kind, (name, i)
                assert list(v["action"].thread) == ([a.thread] if a.thread else []), (name, i)
                o = trace.steps[i - 1].obs
                assert v["obs"].point == o.point
                assert list(v["obs"].ret) == ([o.ret] if o.ret is not None else [])
                assert [(c.event, c.callback, c.ret) for c in v["obs"].calls] == \
                    [(c.event, c.callback, c.ret) for c in o.calls], (name, i)
            m = spec_state.machine
            for spec, b in zip(trace.world.blocks, m.blocks):
                rec = v["blocks"][f"memory{spec.id}"]
                assert rec.state == STATE_TEXT[b.state] and rec.present == b.present
                assert rec.links == frozenset(b.links)
            for n, node in enumerate(m.nodes):
                assert v["nodes"][n].flags == frozenset(node.flags), (name, i, n)
                assert v["nodes"][n].present_pages == node.present_pages
            assert v["locks"] == dict(m.locks)


def test_integers_are_bigints_and_collections_tagged(golden_traces) -> None:
    raw = json.loads(itf.render(golden_traces["status_change_nid--offline_MEM_GOING_OFFLINE"]))
    last = raw["states"][-1]
    assert last["nodes"]["#map"][1][0] == {"#bigint": "1"}
    node1 = last["nodes"]["#map"][1][1]
    assert node1["present_pages"] == {"#bigint": "0"}
    assert node1["flags"] == {"#set": []}
    call = last["obs"]["calls"][0]
    assert call["status_change_nid"] == {"#bigint": "1"} and call["ret"] == {"#bigint": "1"}
    assert last["blocks"]["#map"][2][1]["links"] == {"#set": [{"#bigint": "1"}]}
    assert raw["states"][1]["action"]["block"] == ["memory16"]
    # no plain JSON number in any state variable: every integer is tagged (#meta is free-form)
    def walk(x):
        if isinstance(x, bool) or isinstance(x, str):
            return
        assert not isinstance(x, (int, float)), x
        for y in (x.values() if isinstance(x, dict) else x if isinstance(x, list) else []):
            walk(y)
    for st in raw["states"]:
        walk({k: v for k, v in st.items() if k != "#meta"})


def test_round_trip_replays(all_traces) -> None:
    for name, trace in all_traces.items():
        back = parse(itf.render(trace), name)
        assert back.to_json() == trace.to_json(), name
        rr = replay(back, SpecModel(back.world.with_profile(back.profile)))
        assert rr.ok and rr.steps == len(trace), (name, rr.divergence)


def test_bytes_that_are_not_utf8_survive() -> None:
    from spec.actions import write
    from tests.checker.formats.conftest import build

    trace = build("default", [(write("w0", 1, b"\xffoff"), {})])
    assert trace.steps[-1].obs.ret == -22
    raw = json.loads(itf.render(trace))
    assert raw["states"][1]["action"]["text_b64"] == ["/29mZg=="]
    assert parse(json.dumps(raw)).steps[0].action.text == b"\xffoff"


def test_foreign_itf_is_refused_with_one_line() -> None:
    foreign = {"#meta": {"format": "ITF"}, "vars": ["x"], "states": [{"x": {"#bigint": "1"}}]}
    with pytest.raises(TraceError, match="only ITF files written by memhp"):
        parse(json.dumps(foreign), "foreign.itf.json")


def test_damaged_state_is_named(golden_traces) -> None:
    raw = json.loads(itf.render(golden_traces["status_change_nid--offline_MEM_GOING_OFFLINE"]))
    raw["states"][2]["obs"]["ret"] = ["zero"]
    with pytest.raises(TraceError, match=r"states\[2\]"):
        parse(json.dumps(raw), "x.itf.json")


def test_informational_fields_survive(golden_traces) -> None:
    from checker.formats.traces import Trace

    data = golden_traces["status_change_nid--offline_MEM_GOING_OFFLINE"].to_json()
    data["steps"][0]["obs"]["lock_hold_ns"] = 1.5
    data["steps"][0]["obs"]["why"] = None
    data["steps"][1]["obs"]["sysfs_changes"] = {"memory16/state": "offline"}
    trace = Trace.from_json(data)
    assert parse(itf.render(trace)).to_json() == trace.to_json()
