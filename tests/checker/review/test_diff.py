"""memhp diff: the documented differences of v3.4 and v6.1 on the default world, within 60 s;
every reported trace replayed on both profiles parts them at the operation it names; the other
profile pairs show the change of facts.md section 7 their profiles were made for."""

from __future__ import annotations

import json
import time
from functools import lru_cache

import pytest

from checker.cli import main
from checker.review.diff import DEFAULT_DEPTH, DiffResult, diff_models, iter_aspects, replay_ops, run_ops
from checker.model import SpecModel
from checker.formats.schemas import validate
from checker.formats.traces import replay
from spec.errors import ActionError
from spec.profiles import get_profile
from spec.worlds import builtin_world

REQUIRED = {  # the behaviour changes of docs/facts.md section 7, as the diff names them
    "node-state flags (B1)", "status_change_nid_normal (B1)", "online_kernel / online_movable (B1)",
    "offline timeout (B5)", "order of MEM_CANCEL_OFFLINE and undo_isolate_page_range (B16)",
    "blocks with holes (B9)",
}


@lru_cache(maxsize=None)
def _diff(a: str, b: str, depth: int = DEFAULT_DEPTH) -> tuple[DiffResult, float]:
    w = builtin_world("default")
    t0 = time.monotonic()
    r = diff_models(SpecModel(w, get_profile(a)), SpecModel(w, get_profile(b)), depth)
    return r, time.monotonic() - t0


def test_v34_v61_names_the_documented_differences_within_60_s() -> None:
    r, seconds = _diff("v3.4", "v6.1")
    assert seconds < 60
    assert REQUIRED <= set(r.tags())


def _replay_both(r: DiffResult, a: str, b: str, world: str | None = "default", w=None) -> None:  # type: ignore[no-untyped-def]
    w = w if w is not None else builtin_world(world)
    ma, mb = SpecModel(w, get_profile(a)), SpecModel(w, get_profile(b))
    for d in r.differences:
        if d.step == 0:
            continue
        ops_a = [(x, ca) for x, ca, _ in d.ops]
        ops_b = [(x, cb) for x, _, cb in d.ops]
        if d.aspect == "alphabet":  # the last operation starts on one side only
            *pre, (last, _) = ops_a
            runs = [replay_ops(m, pre) for m in (ma, mb)]
            enabled = []
            for m, rs in zip((ma, mb), runs):
                s = rs[-1].post if rs else m.initial()[0]
                try:
                    run_ops(m, s, last, m.view(s))
                    enabled.append(True)
                except ActionError:  # the operation cannot start on this side
                    enabled.append(False)
            assert enabled[0] != enabled[1], d.summary
            continue
        if d.aspect == "outcome":  # the choice is possible on one side only
            side = d.key[-1]
            ok, other = (ma, mb) if side == "A" else (mb, ma)
            replay_ops(ok, ops_a if side == "A" else ops_b)
            with pytest.raises(Exception):
                replay_ops(other, ops_a if side == "A" else ops_b)
            continue
        ra, rb = replay_ops(ma, ops_a), replay_ops(mb, ops_b)
        shown = list(iter_aspects(ra, rb))
        assert d.key in shown[d.step - 1], d.summary
        assert all(d.key not in s for s in shown[:d.step - 1]), d.summary
        # and the per-side traces are real traces of each profile
        assert replay(d.trace_a, ma).ok and replay(d.trace_b, mb).ok


def test_every_v34_v61_trace_parts_the_profiles_where_it_says() -> None:
    r, _ = _diff("v3.4", "v6.1")
    _replay_both(r, "v3.4", "v6.1")


@pytest.mark.parametrize("a,b,tags", [
    ("v3.4", "v3.8", {"node-state flags (B1)", "status_change_nid_normal (B1)",
                      "online_kernel / online_movable (B1)"}),
    ("v3.8", "v4.15", {"offline timeout (B5)"}),
    ("v4.15", "v5.6", {"blocks with holes (B9)",
                       "order of MEM_CANCEL_OFFLINE and undo_isolate_page_range (B16)"}),
    ("v5.6", "v6.1", {"removable (B10)"}),
    ("v6.1", "v6.17", {"NUMA node notifier (B15)"}),
])
def test_each_profile_shows_its_change(a: str, b: str, tags: set[str]) -> None:
    r, _ = _diff(a, b, 3)  # three operations reach every change listed (hot-add, online, offline)
    assert tags <= set(r.tags())
    _replay_both(r, a, b)


def test_v5_6_and_v6_1_differ_only_in_removable() -> None:
    r, _ = _diff("v5.6", "v6.1", 3)
    assert [d.summary for d in r.differences] == ["memory/memory*/removable reads differently at boot"]


def test_v6_17_node_events_and_their_order() -> None:
    r, _ = _diff("v6.1", "v6.17", 3)
    ev = {(d.a, d.b) for d in r.differences if d.aspect == "events"}
    assert ("MEM_GOING_ONLINE MEM_ONLINE",
            "NODE_ADDING_FIRST_MEMORY MEM_GOING_ONLINE NODE_ADDED_FIRST_MEMORY MEM_ONLINE") in ev or any(
        ("MEM_GOING_ONLINE MEM_ONLINE", "NODE_ADDING_FIRST_MEMORY MEM_GOING_ONLINE NODE_ADDED_FIRST_MEMORY MEM_ONLINE")
        in [(d.a, d.b)] + d.variants for d in r.differences)
    off = [d for d in r.differences if d.aspect == "events" and "MEM_CANCEL_OFFLINE" in d.b]
    assert off and off[0].b == ("NODE_REMOVING_LAST_MEMORY MEM_GOING_OFFLINE MEM_CANCEL_OFFLINE "
                                "NODE_CANCEL_REMOVING_LAST_MEMORY")
    args = [d for d in r.differences if d.aspect == "args"]
    assert {d.key[1] for d in args} == {"status_change_nid", "status_change_nid_normal"}


def test_a_profile_against_itself_has_no_difference(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["diff", "v6.1", "v6.1", "--world", "qemu-2node", "--depth", "2"]) == 0
    out = capsys.readouterr().out
    assert "v6.1 vs v6.1 on world qemu-2node: 0 differences" in out
    assert len(out.splitlines()) == 2  # the summary, and how to get the full report
    assert main(["diff", "v6.1", "v6.1", "--world", "qemu-2node", "--depth", "2", "--markdown", "-"]) == 0
    assert "0 observable differences" in capsys.readouterr().out


def test_cli_json_and_markdown(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    md = tmp_path / "d.md"
    assert main(["diff", "v4.15", "v5.6", "--depth", "3", "--json", "--markdown", str(md)]) == 1
    data = json.loads(capsys.readouterr().out)
    validate(data, "memhp-diff/1")
    assert "blocks with holes (B9)" in data["documented"]
    text = md.read_text()
    assert text.startswith("## memhp diff v4.15 v5.6") and "| what | A | B | op | trace | change |" in text
    assert "```mermaid\nsequenceDiagram" in text  # each documented change drawn, both sides


@pytest.mark.parametrize("argv,msg", [
    (["diff", "v3.4", "v9"], "unknown profile 'v9'"),
    (["diff", "v3.4", "v6.1", "--world", "/nonexistent.toml"], "nonexistent"),
    (["diff", "v3.4", "v6.1", "--depth", "0"], "--depth 0"),
])
def test_cli_errors(argv, msg, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1


def test_v6_17_cancel_online_without_going_online() -> None:
    """B15: with a node-notifier callback that refuses a node's first memory, 6.17 sends
    MEM_CANCEL_ONLINE although MEM_GOING_ONLINE was never sent; 6.1 sends both."""
    from pathlib import Path

    from spec.config import load_world

    w = load_world(Path(__file__).resolve().parents[2] / "catalogue" / "worlds" / "node-notifier.toml")
    ma, mb = SpecModel(w, get_profile("v6.1")), SpecModel(w, get_profile("v6.17"))
    r = diff_models(ma, mb, 3)
    ev = [d for d in r.differences if d.aspect == "events" and d.summary.startswith("echo 'online'")]
    assert ev and ev[0].step == 2
    assert (ev[0].a, ev[0].b) == ("MEM_GOING_ONLINE MEM_CANCEL_ONLINE",
                                  "NODE_ADDING_FIRST_MEMORY MEM_CANCEL_ONLINE NODE_CANCEL_ADDING_FIRST_MEMORY")
    assert "NUMA node notifier (B15)" in ev[0].tags
    _replay_both(r, "v6.1", "v6.17", world=None, w=w)


def test_world_chain_key_is_checked() -> None:
    from spec.config import world_from_dict
    from spec.errors import WorldError

    data = builtin_world("default").to_json()
    data["callbacks"][0]["chain"] = "nodes"
    with pytest.raises(WorldError, match=r"callbacks\[0\]\.chain"):
        world_from_dict(data, "w.toml")


def _visible(steps, first: int, upto: int) -> list:  # type: ignore[no-untyped-def]
    """What userspace and the callbacks saw in steps[first:upto] (calls and return values)."""
    out: list = []
    for st in steps[first:upto]:
        out += list(st.obs.calls)
        if st.obs.ret is not None:
            out.append(("ret", st.obs.ret))
    return out


def test_traces_part_at_the_named_step() -> None:
    """In the last operation of each trace, the two sides show the same calls and return values
    up to the step named for each, and something different at it."""
    r, _ = _diff("v3.4", "v6.1")
    checked = 0
    for d in r.differences:
        if d.aspect not in ("ret", "events", "order", "args", "allocatable", "callback_ret"):
            continue
        ta, tb = d.trace_a.steps, d.trace_b.steps
        ka = max(i for i, st in enumerate(ta) if st.action.kind != "step")
        kb = max(i for i, st in enumerate(tb) if st.action.kind != "step")
        assert ta[ka].action == tb[kb].action == d.ops[-1][0]
        assert ka < d.part_a <= len(ta) and kb < d.part_b <= len(tb)
        assert _visible(ta, ka, d.part_a - 1) == _visible(tb, kb, d.part_b - 1), d.summary
        assert _visible(ta, ka, d.part_a) != _visible(tb, kb, d.part_b), d.summary
        checked += 1
    assert checked >= 10
