"""The state graph's pictures of a world whose name, texts and model name hold hostile text.

``memhp explore --graph F.dot`` writes a world's name (the graph's name and title) and the texts
its writers write (edge labels) into DOT, and into GraphML for ``.graphml``. Whatever they hold
(newlines, quotes, backslashes, Graphviz escapes like ``\\N``, HTML entities, bytes that were not
UTF-8), the DOT reads back, with a strict reader and with Graphviz's own when it is installed,
to the same nodes and edges with the labels they had, and the GraphML is well-formed XML."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from checker.engines import stategraph as sg
from checker.formats.steps import visible
from checker.model import SpecModel
from spec.config import world_from_dict
from tests.checker.engines.test_stategraph import TINY
from tests.checker.formats.hostile import HOSTILE, graphviz_json, graphviz_label, parse_dot

NAME = HOSTILE[-1].replace("\x00", "") + "\\N\\G\\l&amp;"


def shown_lines(text: str) -> str:
    """What a label shows: its lines, each as :func:`visible` writes it."""
    return "\n".join(visible(line) for line in text.split("\n"))


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    texts = ["online", "offline", 'off"line\\', "x\n}\ns9 -> s0;", "\udcff<b>&amp;</b>"]
    model = SpecModel(world_from_dict(dict(TINY, name=NAME, profile="v6.1", texts=texts)))
    g = sg.build(model)
    g.graph["model"] = NAME  # a patched mirror's module name
    return g


def test_the_dot_reads_back_to_the_same_graph_and_labels(graph: nx.DiGraph) -> None:
    dot = sg.to_dot(graph)
    parsed = parse_dot(dot)
    assert parsed["name"] == shown_lines(NAME)
    assert parsed["label"].startswith(shown_lines(f"{NAME} world {NAME}: "))
    assert len(parsed["nodes"]) == graph.number_of_nodes()
    assert len(parsed["edges"]) == graph.number_of_edges()
    for n, d in graph.nodes(data=True):
        want = shown_lines(f"{n}: " + d["label"].replace(" | ", "\n"))
        assert parsed["nodes"][f"s{n}"]["label"] == want
    labels = {(u, v): a["label"] for u, v, a in parsed["edges"]}
    for u, v, d in graph.edges(data=True):
        more = len(d["actions"]) - 1
        assert labels[f"s{u}", f"s{v}"] == shown_lines(d["label"] + (f" (+{more})" if more else ""))
    assert any('\\"' in label or "\\x0a" in label or "\\n" in label for label in labels.values())


def test_graphviz_reads_the_same_graph(graph: nx.DiGraph) -> None:
    dot = sg.to_dot(graph)
    gv = graphviz_json(dot)
    if gv is None:
        pytest.skip("Graphviz dot is not installed (apt-get install graphviz)")
    parsed = parse_dot(dot)
    assert graphviz_label(gv["name"]) == parsed["name"]  # lexed as the strict reader does
    objects = {o["name"]: o for o in gv.get("objects", [])}
    assert set(objects) == set(parsed["nodes"])
    for name, attrs in parsed["nodes"].items():
        assert graphviz_label(objects[name]["label"]) == attrs["label"]
    assert len(gv.get("edges", [])) == len(parsed["edges"])
    for e in gv["edges"]:
        tail, head = gv["objects"][e["tail"]]["name"], gv["objects"][e["head"]]["name"]
        assert (tail, head, {"label": graphviz_label(e["label"])}) in parsed["edges"]


def test_every_file_type_is_written(graph: nx.DiGraph, tmp_path: Path) -> None:
    assert sg.write(graph, tmp_path / "g.dot") == "DOT"
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == sg.to_dot(graph)
    assert sg.write(graph, tmp_path / "g.graphml") == "GraphML"
    ET.parse(tmp_path / "g.graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    assert {d["label"] for _, d in back.nodes(data=True)} == {visible(d["label"]) for _, d in graph.nodes(data=True)}
    if shutil.which("dot"):
        assert sg.write(graph, tmp_path / "g.svg") == "Graphviz dot"
        ET.parse(tmp_path / "g.svg")
