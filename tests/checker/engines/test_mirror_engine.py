"""The mirror engine (checker/engines/mirror.py): the unmodified mirrors agree with their spec to
the end on the default world's v3.4 profile; a mirror bug five operations deep (hot-add and online
two blocks of node 1, offline one) is a difference; plain `memhp verify` checks every mirrored
profile."""

from __future__ import annotations

import json
import types

import pytest

from checker.cli import main
from checker.engines.mirror import check_mirror
from spec.worlds import builtin_world


def test_the_v34_mirror_agrees_with_its_spec_to_the_end() -> None:
    mc = check_mirror(builtin_world("default"))
    assert mc.complete and mc.agrees, [d.summary for d in mc.differences]
    assert mc.pairs == 50 and mc.runs > 1000
    assert "agrees with the spec on every operation from each of 50 pairs" in mc.note()


def _clears_normal_on_every_offline() -> types.ModuleType:
    """node_states_clear_node that clears N_NORMAL_MEMORY whatever status_change_nid_normal says:
    the node keeps its kernel memory but loses the flag."""
    from spec.kernel.v6_1 import memory_hotplug as base

    mod = types.ModuleType("clears_normal")

    def node_states_clear_node(k, node, arg):  # type: ignore[no-untyped-def]
        k.fn.node_clear_state(k, node, "N_NORMAL_MEMORY")
        if arg.status_change_nid >= 0:
            k.fn.node_clear_state(k, node, "N_MEMORY")

    node_states_clear_node.__module__ = mod.__name__
    mod.node_states_clear_node = node_states_clear_node  # type: ignore[attr-defined]
    assert base.node_states_clear_node is not node_states_clear_node
    return mod


def test_a_mirror_bug_five_operations_deep_is_a_difference() -> None:
    w = builtin_world("default").with_profile("v6.1")
    mc = check_mirror(w, max_operations=5, impl=_clears_normal_on_every_offline())
    assert not mc.agrees and not mc.complete and mc.cut == "depth" and mc.operations == 5
    aspects = {d.aspect for d in mc.differences}
    assert "node_state" in aspects, [d.summary for d in mc.differences]
    d = next(d for d in mc.differences if d.aspect == "node_state")
    assert d.a == "(no change)" and d.b == "node1 -N_NORMAL_MEMORY" and len(d.ops) == 5
    assert "differ" in mc.note()
    # and the unmodified mirror, to the same bound, agrees
    same = check_mirror(w, max_operations=5)
    assert same.agrees and same.operations == 5


def test_plain_verify_checks_every_mirrored_profile(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    out = tmp_path / "r"
    code = main(["verify", "--engines", "explore,mirror", "--max-depth", "3", "--mirror-depth", "2",
                 "--out", str(out), "--json"])
    docs = json.loads(capsys.readouterr().out)
    assert [d["profile"] for d in docs] == ["v3.4", "v6.1"] and code == 0
    for d in docs:
        assert d["mirror"]["operations"] == 2 and d["mirror"]["differences"] == []
        assert (out / d["profile"] / "result.json").is_file()
    summary = (out / "summary.md").read_text()
    assert "Not checked by this run" in summary and "v3.8, v4.15, v5.6, v6.17" in summary
    assert json.loads((out / "baseline.json").read_text())["schema"] == "memhp-baseline/1"
    assert not (out / "result.json").exists()
