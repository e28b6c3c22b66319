"""memhp audit, memhp snapshot and memhp explore --from-snapshot from the command line."""

from __future__ import annotations

import json
import tarfile

import pytest

from checker.audit.snapshot import archive_bytes
from checker.cli import main
from checker.formats.schemas import validate
from tests.checker.audit.conftest import SNAPSHOTS, snapshot_path

HOT = "qemu-6.1-2node-hotadded.tar.gz"


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_audit_json_validates_and_passes(capsys, name):
    code, out, err = _run(capsys, "audit", str(snapshot_path(name)), "--json")
    data = json.loads(out)
    validate(data, "memhp-audit/1")
    assert code == 0 and data["exit"] == 0 and data["findings"] == [] and err == ""
    assert all(r["verdict"] == "passed" for r in data["rules"])


def test_audit_of_a_corrupted_archive_exits_1_naming_invariant_and_files(capsys, tmp_path, real_views):
    view = dict(real_views[HOT])
    del view["memory/memory33/node1"]
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(archive_bytes(view))
    code, out, _ = _run(capsys, "audit", str(bad))
    assert code == 1
    assert "sysfs_links [backlink] node/node1/memory33, memory/memory33/node1" in out
    assert "[seed 4 (symbolic links ... and backlinks)]" in out
    code, out, _ = _run(capsys, "audit", str(bad), "--json")
    data = json.loads(out)
    validate(data, "memhp-audit/1")
    assert code == 1 and data["exit"] == 1
    assert [f["rule"] for f in data["findings"]] == ["backlink"]
    assert {r["name"] for r in data["rules"] if r["verdict"] == "violated"} == {"backlink"}


def test_audit_of_an_extracted_tree(capsys, tmp_path):
    with tarfile.open(snapshot_path(HOT)) as tf:
        tf.extractall(tmp_path, filter="data")
    code, out, _ = _run(capsys, "audit", str(tmp_path), "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "tree" and data["counts"]["blocks"] == 10


def test_snapshot_of_a_tree_round_trips(capsys, tmp_path, real_views):
    with tarfile.open(snapshot_path(HOT)) as tf:
        tf.extractall(tmp_path / "sys", filter="data")
    out_file = tmp_path / "copy.tar.gz"
    code, out, _ = _run(capsys, "snapshot", str(tmp_path / "sys"), "-o", str(out_file))
    assert code == 0 and "10 memory blocks, 2 nodes" in out
    from checker.audit.source import read_archive
    assert read_archive(out_file) == real_views[HOT]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    code, out, _ = _run(capsys, "snapshot", str(tmp_path / "sys"), "-o", str(out_file), "--json")
    data = json.loads(out)
    validate(data, "memhp-snapshot/1")
    assert code == 0 and data["blocks"] == 10 and data["nodes"] == 2


def test_snapshot_refuses_an_output_inside_the_tree(capsys, tmp_path):
    with tarfile.open(snapshot_path(HOT)) as tf:
        tf.extractall(tmp_path, filter="data")
    code, _, err = _run(capsys, "snapshot", str(tmp_path), "-o", str(tmp_path / "devices" / "x.tar.gz"))
    assert code == 2 and err.startswith("memhp: error:") and "outside" in err
    assert not (tmp_path / "devices" / "x.tar.gz").exists()


@pytest.mark.parametrize("suffix,magic", [(".svg", b"<svg"), (".png", b"\x89PNG"),
                                          (".dot", b"digraph"), (".mmd", b"flowchart")])
def test_graph_formats(capsys, tmp_path, suffix, magic):
    if suffix in (".svg", ".png"):
        import shutil
        if shutil.which("dot") is None:
            pytest.skip("Graphviz dot not installed")
    out = tmp_path / f"g{suffix}"
    code, text, _ = _run(capsys, "audit", str(snapshot_path(HOT)), "--graph", str(out))
    assert code == 0 and out.exists() and magic in out.read_bytes()[:400]


def test_graph_without_dot_says_what_to_do(capsys, tmp_path, monkeypatch):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, _, err = _run(capsys, "audit", str(snapshot_path(HOT)), "--graph", str(tmp_path / "g.svg"))
    assert code == 2 and "apt-get install graphviz" in err and ".dot" in err
    assert not (tmp_path / "g.svg").exists()


def test_graph_unknown_format(capsys, tmp_path):
    code, _, err = _run(capsys, "audit", str(snapshot_path(HOT)), "--graph", str(tmp_path / "g.jpg"))
    assert code == 2 and "unknown picture format" in err


def test_explore_from_snapshot(capsys):
    code, out, err = _run(capsys, "explore", "--from-snapshot", str(snapshot_path(HOT)),
                          "--max-depth", "2", "--json")
    data = json.loads(out)
    validate(data, "memhp-result/1")
    assert data["world"] == "qemu-6.1-2node-hotadded" and data["profile"] == "v6.1"
    assert data["counts"]["states"] > 1 and code in (0, 1)


def test_explore_from_snapshot_starts_in_the_snapshot_state():
    from checker.audit.source import read_archive
    from checker.audit.world import world_from_snapshot
    from checker.model import SpecModel

    for name in SNAPSHOTS:
        w = world_from_snapshot(str(snapshot_path(name)))
        model = SpecModel(w)
        view = model.view(model.initial()[0])
        real = read_archive(snapshot_path(name))
        for key, value in view.items():
            assert real.get(key) == value, (name, key)


def test_explore_from_a_snapshot_that_does_not_map(capsys, tmp_path, real_views):
    view = dict(real_views[HOT])
    view["memory/memory32/valid_zones"] = "Normal Movable\n"  # memory33 says Movable first
    bad = tmp_path / "nomap.tar.gz"
    bad.write_bytes(archive_bytes(view))
    code, out, err = _run(capsys, "explore", "--from-snapshot", str(bad), "--max-depth", "1")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "does not map to a spec state" in err and "valid_zones" in err


def test_explore_from_a_snapshot_with_findings_is_refused(capsys, tmp_path, real_views):
    view = dict(real_views[HOT])
    view["memory/memory4/state"] = "bogus\n"
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(archive_bytes(view))
    code, _, err = _run(capsys, "explore", "--from-snapshot", str(bad))
    assert code == 2 and "memhp audit" in err


def test_a_fifo_or_trailing_data_is_refused_in_one_line(capsys, tmp_path):
    """A FIFO is refused from its stat (opening it would block); a second gzip stream or
    trailing bytes after the snapshot are refused, not ignored."""
    import os

    fifo = tmp_path / "snap.tar.gz"
    os.mkfifo(fifo)
    two = tmp_path / "two.tar.gz"
    data = snapshot_path(SNAPSHOTS[0]).read_bytes()
    two.write_bytes(data + data)
    for argv, says in ((["audit", str(fifo)], "a FIFO, not a file"),
                       (["explore", "--from-snapshot", str(fifo)], "a FIFO, not a file"),
                       (["audit", str(two)], f"{len(data)} bytes after the gzip stream")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1, err
