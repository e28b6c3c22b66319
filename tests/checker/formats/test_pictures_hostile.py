"""The audit's link graph drawn from a sysfs snapshot whose files and link targets hold hostile text.

A snapshot is data from outside: a block's ``state`` and ``valid_zones`` can hold anything, and
so can a link's target (the name of the vertex it points to), and the snapshot's file name
becomes the picture's title. Whatever they hold, the DOT and the Mermaid flowchart
(``memhp audit SNAPSHOT --graph F.dot|F.mmd``) have exactly the lines of the same snapshot with
plain words there, every line in the grammar memhp writes, every id letters, digits and
underscores, and every label decoding to what the snapshot holds."""

from __future__ import annotations

from typing import Any

import pytest

from checker.audit.graph import build, fold, to_dot, to_mermaid
from checker.formats.steps import visible
from tests.checker.formats.hostile import (
    BENIGN, FLOWCHART_LINE, HOSTILE, check_mermaid, graphviz_json, graphviz_label, mermaid_decode,
    parse_dot,
)


def view(text: str) -> dict[str, Any]:
    """Two nodes, three blocks; ``text`` in a block's state and zones, as the target of a
    backlink and of a node's link, and as a node's name."""
    return {
        "memory/": "", "memory/block_size_bytes": "8000000\n",
        "memory/memory0/": "", "memory/memory0/state": text, "memory/memory0/valid_zones": text,
        "memory/memory0/phys_index": "00000000\n", "memory/memory0/node0": ("link", "../../node/node0"),
        "memory/memory1/": "", "memory/memory1/state": "online\n",
        "memory/memory1/node1": ("link", "../../node/" + text),
        "memory/memory2/": "", "memory/memory2/state": "offline\n",
        "node/": "", "node/has_memory": "0\n", "node/node0/": "",
        "node/node0/memory0": ("link", "../../memory/memory0"),
        "node/node0/memory7": ("link", "../../memory/" + text),
        "node/node1/": "", "node/node1/memory1": ("link", "../../memory/memory1"),
    }


def shown_lines(text: str) -> str:
    return "\n".join(visible(line) for line in text.split("\n"))


@pytest.mark.parametrize("payload", HOSTILE, ids=lambda p: repr(p)[:24])
def test_the_link_graph_keeps_its_shape(payload: str) -> None:
    g, plain = build(view(payload)), build(view(BENIGN))
    boxes, _ = fold(g)
    dot, dot_plain = to_dot(g, payload), to_dot(plain, BENIGN)
    assert len(dot.splitlines()) == len(dot_plain.splitlines())
    parsed = parse_dot(dot)
    assert parsed["label"] == shown_lines(payload)
    assert set(parsed["nodes"]) == {b.key for b in boxes}
    for b in boxes:
        assert parsed["nodes"][b.key]["label"] == shown_lines("\n".join(b.lines))
    assert {(u, v) for u, v, _ in parsed["edges"]} <= {(u, v) for u in parsed["nodes"] for v in parsed["nodes"]}
    labels = [a["label"] for a in parsed["nodes"].values()]
    assert any(visible(payload.strip().split("\n")[0]) in label for label in labels)

    mmd, mmd_plain = to_mermaid(g), to_mermaid(plain)
    lines = check_mermaid(mmd, FLOWCHART_LINE)
    assert len(lines) == len(mmd_plain.rstrip("\n").split("\n"))
    shown = {line.split()[0].split("[")[0].split("(")[0]:
             mermaid_decode(line.split('"')[1].replace("<br/>", "\n")) for line in lines[1:] if '"' in line}
    assert shown == {b.key: shown_lines("\n".join(b.lines)) for b in boxes}


def test_graphviz_reads_the_same_boxes() -> None:
    payload = HOSTILE[-1]
    dot = to_dot(build(view(payload)), payload)
    gv = graphviz_json(dot)
    if gv is None:
        pytest.skip("Graphviz dot is not installed (apt-get install graphviz)")
    parsed = parse_dot(dot)
    objects = {o["name"]: o for o in gv.get("objects", [])}
    assert set(objects) == set(parsed["nodes"])
    for name, attrs in parsed["nodes"].items():
        assert graphviz_label(objects[name]["label"]) == attrs["label"]
    assert graphviz_label(gv["label"]) == parsed["label"]
    assert len(gv.get("edges", [])) == len(parsed["edges"])
