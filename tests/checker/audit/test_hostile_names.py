"""Names and links no kernel makes, in a fake sysfs tree and in a snapshot archive: each is a
finding (``name`` or ``link_out``), never skipped, never followed; a valid tree gives none."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from checker.audit.run import audit_source
from checker.audit.source import read_tree
from checker.cli import main
from checker.formats.schemas import validate
from tests.checker.audit.conftest import SNAPSHOTS, snapshot_path

BLOCKS = {0: "none\n", 1: "DMA32\n"}  # memory0 spans DMA and DMA32
LINK = "link"


def _valid_layout() -> dict[str, str | tuple[str, str] | None]:
    """A one-node 6.1 tree with two online blocks and the entries a real tree has besides
    blocks and nodes (None: a directory)."""
    t: dict[str, str | tuple[str, str] | None] = {
        "memory/block_size_bytes": "8000000\n", "memory/auto_online_blocks": "offline\n",
        "memory/probe": "", "memory/soft_offline_page": "", "memory/hard_offline_page": "",
        "memory/uevent": "", "memory/power": None, "memory/power/control": "auto\n",
        "node/possible": "0\n", "node/online": "0\n", "node/has_cpu": "0\n",
        "node/has_memory": "0\n", "node/has_normal_memory": "0\n", "node/has_high_memory": "0\n",
        "node/has_generic_initiator": "\n", "node/uevent": "", "node/power": None,
        "node/node0/cpulist": "0\n", "node/node0/meminfo": "Node 0 MemTotal: 1 kB\n",
        "node/node0/cpu0": (LINK, "../../cpu/cpu0"),
        "node/node0/subsystem": (LINK, "../../../../bus/node"),
        "node/node0/memory_failure": None, "node/node0/memory_failure/total": "0\n",
        "node/node0/memory_side_cache": None, "node/node0/x86": None,
        "node/node0/hugepages": None,
    }
    for b, zones in BLOCKS.items():
        d = f"memory/memory{b}"
        t.update({f"{d}/phys_index": f"{b:08x}\n", f"{d}/state": "online\n", f"{d}/online": "1\n",
                  f"{d}/phys_device": "0\n", f"{d}/removable": "1\n", f"{d}/valid_zones": zones,
                  f"{d}/uevent": "", f"{d}/power": None,
                  f"{d}/subsystem": (LINK, "../../../../bus/memory"),
                  f"{d}/node0": (LINK, "../../node/node0"),
                  f"node/node0/memory{b}": (LINK, f"../../memory/memory{b}")})
    return t


def build_tree(root: Path, extra: dict | None = None) -> Path:
    """Write the valid layout, ``extra`` added or replacing, under ``root/devices/system``."""
    base = root / "devices" / "system"
    layout = {**_valid_layout(), **(extra or {})}
    for key in sorted(layout):
        value = layout[key]
        path = base / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if value is None:
            path.mkdir(exist_ok=True)
        elif isinstance(value, tuple):
            os.symlink(value[1], path)
        else:
            path.write_text(value)
    return root


def _block(name: str) -> dict:
    return {f"memory/{name}/state": "online\n", f"memory/{name}/phys_index": "00000007\n"}


NAMES = {  # what is added -> the path the finding names
    "leading_zero": (_block("memory007"), "memory/memory007", "a leading zero"),
    "plus": (_block("memory+1"), "memory/memory+1", "a sign"),
    "minus": (_block("memory-1"), "memory/memory-1", "a sign"),
    "suffix": (_block("memory1x"), "memory/memory1x", "characters other than"),
    "beyond_u32": (_block("memory99999999999"), "memory/memory99999999999", "beyond 4294967295"),
    "u32_plus_one": (_block("memory4294967296"), "memory/memory4294967296", "beyond 4294967295"),
    "no_id": ({"memory/memory": ""}, "memory/memory", "no id"),
    "unicode_digit": (_block("memory\u0663"), "memory/memory\u0663", "characters other than"),
    "node_leading_zero": ({"node/node01": None, "node/node01/cpulist": "\n"}, "node/node01",
                          "a leading zero"),
    "node_sign": ({"node/node+0": None}, "node/node+0", "a sign"),
    "node_beyond": ({"node/node1024": None}, "node/node1024", "beyond 1023"),
    "link_leading_zero": ({"node/node0/memory01": (LINK, "../../memory/memory1")},
                          "node/node0/memory01", "a leading zero"),
    "backlink_leading_zero": ({"memory/memory1/node00": (LINK, "../../node/node0")},
                              "memory/memory1/node00", "a leading zero"),
}


def _findings(rep, rule: str) -> list:
    return [f for f in rep.findings if f.rule == rule]


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_valid_tree_gives_no_finding(tmp_path, capsys):
    root = build_tree(tmp_path / "sys")
    rep = audit_source(str(root))
    assert rep.findings == [], rep.text()
    assert rep.counts["blocks"] == 2 and rep.counts["nodes"] == 1
    code, out, err = _cli(capsys, "audit", str(root), "--json")
    data = json.loads(out)
    validate(data, "memhp-audit/1")
    assert code == 0 and data["findings"] == [] and err == ""


@pytest.mark.parametrize("case", sorted(NAMES))
def test_name_no_kernel_makes_is_a_finding(tmp_path, capsys, case):
    extra, path, why = NAMES[case]
    root = build_tree(tmp_path / "sys", extra)
    rep = audit_source(str(root))
    names = _findings(rep, "name")
    assert [f.files for f in names] == [(path,)], rep.text()
    f = names[0]
    assert (f.invariant, f.cause, f.severity) == ("sysfs_names", "names", "violation")
    assert f.seed_section.startswith("4") and why in f.found and "%u" in f.expected
    assert rep.exit == 1
    code, out, err = _cli(capsys, "audit", str(root), "--json")
    data = json.loads(out)
    validate(data, "memhp-audit/1")
    assert code == 1 and err == ""
    assert [g["files"] for g in data["findings"] if g["rule"] == "name"] == [[path]]
    code, out, _ = _cli(capsys, "audit", str(root))
    assert code == 1 and f"sysfs_names [name] {path}: expected" in out
    # the same tree as a snapshot archive gives the same finding
    arc = tmp_path / "s.tar.gz"
    assert _cli(capsys, "snapshot", str(root), "-o", str(arc))[0] == 0
    assert [g.files for g in _findings(audit_source(str(arc)), "name")] == [(path,)]


def test_misnamed_entries_are_not_read_as_blocks_or_nodes(tmp_path):
    root = build_tree(tmp_path / "sys", {**_block("memory007"), "node/node01": None})
    rep = audit_source(str(root))
    assert rep.counts["blocks"] == 2 and rep.counts["nodes"] == 1
    assert {f.rule for f in rep.findings} == {"name"}  # memory7 is no block: no "files" finding


def test_a_name_that_is_no_text_stays_one_line(tmp_path, capsys):
    root = build_tree(tmp_path / "sys")
    mem = os.fsencode(root / "devices/system/memory")
    os.mkdir(mem + b"/memory\xff")
    os.mkdir(mem + b"/memory1\nstate")
    code, out, err = _cli(capsys, "audit", str(root))
    assert code == 1 and err == ""
    lines = [ln for ln in out.splitlines() if "[name]" in ln]
    assert len(lines) == 2 and any("memory\\udcff" in ln for ln in lines)
    assert any("memory1\\nstate" in ln for ln in lines)


def test_names_that_are_words_are_no_block(tmp_path):
    """memory_failure (6.5+ node directories) and memory_side_cache are words, not ids."""
    root = build_tree(tmp_path / "sys", {"node/node0/memory_failure": None,
                                         "memory/memory_tier_x": ""})
    assert audit_source(str(root)).findings == []


# --- links that leave the tree -----------------------------------------------------------------

LINKS = {  # key -> target: every one leaves the sysfs root or is in no form the kernel makes
    "absolute_backlink": ("memory/memory1/node0", "/sys/devices/system/node/node0"),
    "absolute_other": ("node/node0/evil", "/etc/passwd"),
    "dotdot": ("node/node0/evil", "../../../../../etc"),
    "dotdot_deep": ("memory/memory0/evil", "../../../../../../../../etc/shadow"),
    "skipped_name": ("memory/memory0/firmware_node", "/etc"),
    "not_kernel_form": ("node/node0/evil", "memory0/../../../../.."),
    "dot": ("node/node0/evil", "./../../memory/memory0"),
}


@pytest.mark.parametrize("case", sorted(LINKS))
def test_link_out_of_the_tree_is_a_finding(tmp_path, capsys, case):
    key, target = LINKS[case]
    root = build_tree(tmp_path / "sys", {key: (LINK, target)})
    view = read_tree(root)
    assert view[key] == (LINK, target)  # kept as a link, never followed
    rep = audit_source(str(root))
    outs = _findings(rep, "link_out")
    assert [f.files for f in outs] == [(key,)], rep.text()
    f = outs[0]
    assert (f.invariant, f.cause) == ("sysfs_links", "link_out")
    assert target in f.found and "not followed" in f.found and rep.exit == 1
    code, out, err = _cli(capsys, "audit", str(root), "--json")
    data = json.loads(out)
    validate(data, "memhp-audit/1")
    assert code == 1 and err == ""
    assert [g["files"] for g in data["findings"] if g["rule"] == "link_out"] == [[key]]


def test_links_inside_the_tree_are_no_finding(tmp_path):
    """Relative links that stay under the root, even outside devices/system, are fine."""
    root = build_tree(tmp_path / "sys", {"node/node0/cpu1": (LINK, "../../cpu/cpu1"),
                                         "memory/memory0/firmware_node": (LINK, "../../../../firmware/x")})
    assert audit_source(str(root)).findings == []


def _tar(path: Path, members: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for ti in members:
            tf.addfile(ti, io.BytesIO(b"x" * ti.size) if ti.isreg() else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "", data: bytes = b"") -> tarfile.TarInfo:
    ti = tarfile.TarInfo("./devices/system/" + name)
    ti.type, ti.linkname, ti.size = kind, link, len(data)
    return ti


@pytest.mark.parametrize("target", ["../../../../../etc", "/etc/passwd"])
def test_link_out_in_an_archive_is_the_same_finding(tmp_path, capsys, monkeypatch, target):
    root = build_tree(tmp_path / "sys", {"memory/memory0/node0": (LINK, target)})
    arc = tmp_path / "s.tar.gz"
    assert _cli(capsys, "snapshot", str(root), "-o", str(arc))[0] == 0
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = _cli(capsys, "audit", str(arc), "--json")
    data = json.loads(out)
    assert code == 1 and err == ""
    assert ["memory/memory0/node0"] in [g["files"] for g in data["findings"] if g["rule"] == "link_out"]
    code, out, err = _cli(capsys, "explore", "--from-snapshot", str(arc))
    assert code == 2 and out == "" and err.count("\n") == 1 and "link_out" in err
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("part", ["memory", "node"])
def test_a_top_directory_that_is_a_link_is_refused(tmp_path, capsys, part):
    root = build_tree(tmp_path / "sys")
    base = root / "devices/system"
    (base / part).rename(tmp_path / "moved")
    os.symlink(tmp_path / "moved", base / part)
    code, out, err = _cli(capsys, "audit", str(root))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"devices/system/{part}: a symlink" in err and "not followed" in err
    arc = _tar(tmp_path / "t.tar.gz", [_member("memory/block_size_bytes", data=b"8000000\n"),
                                       _member(part, tarfile.SYMTYPE, "/etc")])
    code, _, err = _cli(capsys, "audit", str(arc))
    assert code == 2 and "is not a directory" in err and err.count("\n") == 1


# --- the real snapshots, as archives and as trees: nothing new ----------------------------------

def _real_archives() -> list[Path]:
    return [snapshot_path(n) for n in SNAPSHOTS]


@pytest.mark.parametrize("arc", _real_archives(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_snapshots_give_no_name_or_link_finding(tmp_path, arc):
    assert audit_source(str(arc)).findings == []
    with tarfile.open(arc) as tf:
        tf.extractall(tmp_path, filter="data")
    rep = audit_source(str(tmp_path))
    assert rep.kind == "tree" and rep.findings == [], rep.text()
