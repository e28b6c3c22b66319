"""The link graph and its pictures: folding, marking, golden DOT and Mermaid of real snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.audit.graph import build, fold, to_dot, to_mermaid
from checker.audit.run import audit_view
from tests.checker.audit.conftest import SNAPSHOTS

GOLDEN = Path(__file__).parent / "golden"


def _graph(view, name):
    rep = audit_view(view, name, "archive")
    return build(view, rep.findings)


def test_graph_has_blocks_nodes_sections_and_both_link_directions(real_views):
    g = _graph(real_views["qemu-6.1-2node-hotadded.tar.gz"], "hot")
    kinds = {}
    for _, d in g.nodes(data=True):
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    assert kinds == {"block": 10, "node": 2, "section": 10}
    assert g.edges["node1", "memory33"]["kind"] == "link"
    assert g.edges["memory33", "node1"]["kind"] == "backlink"
    assert g.edges["memory33", "section33"]["kind"] == "holds"


def test_192_blocks_fold_into_three_boxes(real_views):
    g = _graph(real_views["fc-6.18-1node-192blocks.tar.gz"], "fc")
    boxes, edges = fold(g)
    assert [b.label.split("\\n")[0] for b in boxes] == ["node0", "memory0", "memory1-23", "memory32-199"]
    assert len(edges) == 6


def test_a_block_with_a_finding_is_drawn_alone_in_red(real_views):
    view = dict(real_views["fc-6.18-1node-192blocks.tar.gz"])
    view["memory/memory100/state"] = "bogus\n"
    g = _graph(view, "fc")
    boxes, _ = fold(g)
    names = [b.label.split("\\n")[0] for b in boxes]
    assert "memory100" in names and "memory32-99" in names and "memory101-199" in names
    assert [b.bad for b in boxes if b.label.startswith("memory100\\n")] == [True]
    assert "color=red" in to_dot(g) and "stroke:#d00" in to_mermaid(g)


def test_missing_backlink_is_drawn(real_views):
    view = dict(real_views["qemu-6.1-2node-hotadded.tar.gz"])
    del view["memory/memory33/node1"]
    dot = to_dot(_graph(view, "hot"))
    assert 'label="no backlink"' in dot
    assert "no backlink" in to_mermaid(_graph(view, "hot"))


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_golden_pictures(real_views, regen_golden, name):
    g = _graph(real_views[name], name)
    stem = name.removesuffix(".tar.gz")
    for suffix, text in ((".dot", to_dot(g, f"{name} (v6.1)")), (".mmd", to_mermaid(g))):
        path = GOLDEN / f"{stem}{suffix}"
        if regen_golden:
            path.write_text(text)
        assert path.exists(), f"{path}: run pytest --regen-golden"
        assert path.read_text() == text


def test_readme_example_pictures_exist():
    examples = Path(__file__).resolve().parents[3] / "checker" / "audit" / "examples"
    for name in ("qemu-6.1-2node-hotadded.svg", "fc-6.18-1node-192blocks.svg"):
        data = (examples / name).read_bytes()
        assert b"<svg" in data and len(data) < 20_000
