"""The state graph of a tiny world: every state and edge of the model, shortest paths that
replay, strongly connected components that tell v6.1 (every state can return to boot) from
v3.4 (after an eject of online memory the block reads online with none of its pages online,
for good), pictures, and the CLI's refusal of worlds too big to draw."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from checker.engines import stategraph as sg
from checker.cli import main
from checker.engines.explore import explore
from checker.model import SpecModel
from checker.formats.traces import replay
from spec.actions import MEM_ONLINE
from spec.config import world_from_dict

TINY = {"name": "tiny", "section_size_mib": 128, "sections_per_block": 1, "writers": 1,
        "texts": ["online", "offline"], "online_texts": [], "migration": ["ok"], "reads": False,
        "nodes": [{"id": 0}], "blocks": [{"id": 1, "node": 0, "boot": "absent", "hotplug": True}],
        "callbacks": []}


def tiny(profile: str) -> SpecModel:
    return SpecModel(world_from_dict(dict(TINY, profile=profile)))


@pytest.fixture(scope="module", params=["v6.1", "v3.4"])
def built(request):
    model = tiny(request.param)
    return model, sg.build(model)


def test_every_edge_is_a_step_of_the_model(built) -> None:
    model, g = built
    states = g.graph["states"]
    assert g.graph["complete"]
    assert len({d["key"] for _, d in g.nodes(data=True)}) == g.number_of_nodes()
    n_actions = 0
    for u, v, d in g.edges(data=True):
        for a in d["actions"]:
            s2, _ = model.step(states[u], a)
            assert model.key(s2) == g.nodes[v]["key"]
            n_actions += 1
    # every successor of every state is an edge: nothing dropped
    assert n_actions == sum(len(list(model.successors(s))) for s in states)


def test_counts_agree_with_the_explorer_where_the_monitor_adds_nothing(built) -> None:
    """The explorer's states are (model state, monitor state) pairs, so it counts at least as
    many; its transitions are the graph's edges with multiplicity from each of them."""
    model, g = built
    res = explore(model)
    assert res.states >= g.number_of_nodes()
    assert res.depth >= max(d for _, d in g.nodes(data="depth"))


def test_shortest_path_is_a_replayable_trace(built) -> None:
    model, g = built
    online = sg.find(g, lambda s: model.quiescent(s) and model.machine(s).blocks[0].state == MEM_ONLINE)
    assert online
    target = online[0]
    trace = sg.trace_to(g, model, target)
    assert len(trace) == g.nodes[target]["depth"] == nx.shortest_path_length(g, 0, target)
    rr = replay(trace, model)
    assert rr.ok and model.key(rr.final) == g.nodes[target]["key"]
    assert [a.kind for a in trace.actions][:1] == ["hotadd"]
    assert any(a.kind == "write" and a.text == b"online" for a in trace.actions)


def test_components_partition_and_terminal_ones_are_closed(built) -> None:
    _, g = built
    comps = sg.components(g)
    assert sorted(n for c in comps for n in c) == sorted(g.nodes)
    for c in sg.terminal_components(g):
        assert all(v in c for u in c for v in g.successors(u))


def test_v61_can_always_return_to_boot() -> None:
    g = sg.build(tiny("v6.1"))
    assert nx.is_strongly_connected(g)


def test_v34_eject_of_online_memory_is_a_dead_end() -> None:
    model = tiny("v3.4")
    g = sg.build(model)
    assert not nx.is_strongly_connected(g)
    [end] = sg.terminal_components(g)
    assert 0 not in end
    quiet = [n for n in end if g.nodes[n]["quiescent"]]
    assert quiet
    for n in quiet:
        b = model.machine(g.graph["states"][n]).blocks[0]
        # state reads online while no page of the block is online (ejected, or added again)
        assert b.state == MEM_ONLINE and b.pages != "online", g.nodes[n]["label"]


def test_depth_bound_and_limit() -> None:
    model = tiny("v3.4")
    g = sg.build(model, max_depth=2)
    assert not g.graph["complete"] and max(d for _, d in g.nodes(data="depth")) == 2
    with pytest.raises(sg.StateGraphError, match="more than 10 reachable states"):
        sg.build(model, max_states=10)


def test_dot_and_graphml(tmp_path) -> None:
    model = tiny("v6.1")
    g = sg.build(model)
    dot = sg.to_dot(g)
    assert dot.startswith('digraph "tiny" {') and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == g.number_of_edges()
    assert 's0 [label="0: memory1=absent' in dot and "peripheries=2" in dot
    assert sg.write(g, tmp_path / "g.dot") == "DOT"
    assert (tmp_path / "g.dot").read_text() == dot
    assert sg.write(g, tmp_path / "g.graphml") == "GraphML"
    h = nx.read_graphml(tmp_path / "g.graphml")
    assert h.number_of_nodes() == g.number_of_nodes() and h.number_of_edges() == g.number_of_edges()


def test_pictures_or_a_clear_message(tmp_path, monkeypatch) -> None:
    g = sg.build(tiny("v6.1"))
    if shutil.which("dot"):
        assert sg.write(g, tmp_path / "g.svg") == "Graphviz dot"
        root = ET.parse(tmp_path / "g.svg").getroot()
        assert root.tag.endswith("svg")
        assert sg.write(g, tmp_path / "g.png") == "Graphviz dot"
        assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # without Graphviz and matplotlib: one clear message, nothing written
    monkeypatch.setattr(sg.shutil, "which", lambda name: None)
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(sg.StateGraphError, match="apt-get install graphviz.*pip install matplotlib"):
        sg.write(g, tmp_path / "h.svg")
    assert not (tmp_path / "h.svg").exists()


def test_cli_graph(tmp_path, capsys) -> None:
    world = tmp_path / "tiny.toml"
    world.write_text('name = "tiny"\nprofile = "v6.1"\nsection_size_mib = 128\n'
                     'sections_per_block = 1\ntexts = ["online", "offline"]\nreads = false\n'
                     '[[nodes]]\nid = 0\n[[blocks]]\nid = 1\nnode = 0\nboot = "absent"\nhotplug = true\n')
    out = tmp_path / "g.dot"
    # explore reports raw results: exit 1 for the tiny world's findings, not for the graph
    assert main(["explore", "--world", str(world), "--graph", str(out)]) in (0, 1)
    text = capsys.readouterr().out
    assert "state graph: 56 states" in text and "1 strongly connected components" in text
    assert out.read_text().startswith("digraph")
    big = tmp_path / "big.dot"
    assert main(["explore", "--world", "qemu-2node", "--graph", str(big), "--graph-limit", "50"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "more than 50 reachable states" in err[0]
    assert not big.exists()
    assert main(["explore", "--world", str(world), "--graph", str(tmp_path / "g.jpeg")]) == 2
    assert "--graph writes" in capsys.readouterr().err


def test_findings_are_marked_red_along_their_trace(tmp_path) -> None:
    model = tiny("v3.4")
    g = sg.build(model)
    res = explore(model)
    assert res.traces, "the tiny v3.4 world has findings to mark"
    traces = [(f"{inv} [{cause}]", [st.action for st in t.steps]) for (inv, cause), t in res.traces.items()]
    assert sg.mark(g, traces) == len(traces)
    red = [n for n, d in g.nodes(data=True) if d.get("violates")]
    assert red and all(g.nodes[n]["depth"] >= 1 for n in red)
    path = [(u, v) for u, v, d in g.edges(data=True) if d.get("on_trace")]
    assert path and any(u == 0 for u, _ in path)
    dot = sg.to_dot(g)
    assert dot.count("fillcolor=\"#f4a6a6\"") == len(red) and "penwidth=2.5" in dot
    assert "red: where a finding's shortest trace violates" in dot
    # a trace the graph does not carry is not marked
    h = sg.build(model)
    assert sg.mark(h, [("x", [traces[0][1][0]] * 50)]) == 0
    assert not any(d.get("violates") for _, d in h.nodes(data=True))


@pytest.mark.skipif(not shutil.which("sfdp"), reason="Graphviz not installed")
def test_a_large_graph_is_laid_out_by_sfdp_and_a_slow_one_gives_up(tmp_path, monkeypatch) -> None:
    g = sg.build(tiny("v3.4"))
    monkeypatch.setattr(sg, "DOT_MAX", 5)
    assert sg.write(g, tmp_path / "g.svg").startswith("Graphviz sfdp")
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")

    def slow(*a, **k):
        raise sg.subprocess.TimeoutExpired(a[0], k.get("timeout"))

    monkeypatch.setattr(sg.subprocess, "run", slow)
    with pytest.raises(sg.StateGraphError, match="did not lay out .* write .dot or .graphml"):
        sg.write(g, tmp_path / "h.png")
    assert not (tmp_path / "h.png").exists()
