"""Bad input to audit, snapshot and explore --from-snapshot: one line, exit 2, no traceback,
nothing written outside the temporary folder."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from checker.audit.snapshot import archive_bytes
from checker.cli import main
from tests.checker.audit.conftest import snapshot_path

HOT = "qemu-6.1-2node-hotadded.tar.gz"


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for ti, data in members:
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x\n") -> tuple[tarfile.TarInfo, bytes]:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    return ti, data


def _special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname = kind, link
    return ti, None


def _good_members() -> list:
    return [_file("./devices/system/memory/block_size_bytes", b"8000000\n"),
            _file("./devices/system/memory/memory0/state", b"online\n")]


HOSTILE = {
    "absolute": [_file("/etc/memhp-evil", b"x")],
    "dotdot": [_file("./devices/system/memory/../../../../tmp/memhp-evil", b"x")],
    "outside": [_file("./devices/system/cpu/cpu0/online", b"1\n")],
    "node_not_a_dir": [_special("./devices/system/node", tarfile.SYMTYPE, "/etc")],
    "hardlink": [_special("./devices/system/memory/memory0/phys_index", tarfile.LNKTYPE,
                          "./devices/system/memory/memory0/state")],
    "device": [_special("./devices/system/memory/memory0/phys_index", tarfile.CHRTYPE)],
    "fifo": [_special("./devices/system/memory/memory0/phys_index", tarfile.FIFOTYPE)],
    "huge": [_file("./devices/system/memory/memory0/phys_index", b"0" * (1 << 20))],
    "empty": [],
}


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_line_error(err: str, what: str) -> None:
    assert err.startswith("memhp: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and what in err, err


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("command", ["audit", "explore"])
def test_hostile_archive(capsys, tmp_path, monkeypatch, case, command):
    arc = _tar(tmp_path / f"{case}.tar.gz", _good_members() + HOSTILE[case])
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = ["audit", str(arc)] if command == "audit" else ["explore", "--from-snapshot", str(arc)]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    _one_line_error(err, str(arc))
    assert list(work.iterdir()) == []
    assert not Path("/tmp/memhp-evil").exists() and not Path("/etc/memhp-evil").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([arc.name, "cwd"])


def test_truncated_archive(capsys, tmp_path):
    data = snapshot_path(HOT).read_bytes()
    for cut in (10, len(data) // 2, len(data) - 20):
        bad = tmp_path / f"cut{cut}.tar.gz"
        bad.write_bytes(data[:cut])
        code, _, err = _run(capsys, "audit", str(bad))
        assert code == 2, cut
        _one_line_error(err, "truncated")


def test_not_an_archive(capsys, tmp_path):
    bad = tmp_path / "x.tar.gz"
    bad.write_text("online\n")
    code, _, err = _run(capsys, "audit", str(bad))
    assert code == 2
    _one_line_error(err, "not a .tar.gz snapshot")


def test_missing_source(capsys, tmp_path):
    code, _, err = _run(capsys, "audit", str(tmp_path / "nothing.tar.gz"))
    assert code == 2
    _one_line_error(err, "no such file")


def test_tree_that_is_not_sysfs(capsys, tmp_path):
    (tmp_path / "etc").mkdir()
    code, _, err = _run(capsys, "audit", str(tmp_path))
    assert code == 2
    _one_line_error(err, "not a sysfs tree")
    code, _, err = _run(capsys, "snapshot", str(tmp_path), "-o", str(tmp_path / "s.tar.gz"))
    assert code == 2 and not (tmp_path / "s.tar.gz").exists()


def test_tree_with_a_fifo(capsys, tmp_path):
    mem = tmp_path / "devices" / "system" / "memory"
    mem.mkdir(parents=True)
    os.mkfifo(mem / "block_size_bytes")
    code, _, err = _run(capsys, "audit", str(tmp_path))
    assert code == 2
    _one_line_error(err, "fifo")


def test_tree_with_a_huge_file(capsys, tmp_path):
    mem = tmp_path / "devices" / "system" / "memory"
    (mem / "memory0").mkdir(parents=True)
    (mem / "memory0" / "state").write_bytes(b"online\n" * 20000)
    code, _, err = _run(capsys, "audit", str(tmp_path))
    assert code == 2
    _one_line_error(err, "not a sysfs attribute")


def test_unreadable_file_in_a_tree(capsys, tmp_path, monkeypatch):
    """Root reads through file modes, so the refusal is made by the open itself."""
    with tarfile.open(snapshot_path(HOT)) as tf:
        tf.extractall(tmp_path, filter="data")
    real_open = os.open
    target = str(tmp_path / "devices/system/memory/memory4/state")

    def deny(path, flags, *a, **k):
        if os.fspath(path) == target:
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *a, **k)
    monkeypatch.setattr(os, "open", deny)
    code, _, err = _run(capsys, "audit", str(tmp_path))
    assert code == 2
    _one_line_error(err, "memory/memory4/state: could not be read (Permission denied)")


def test_unreadable_marker_in_a_snapshot(capsys, tmp_path, real_views):
    view = dict(real_views[HOT], **{"memory/memory4/state": "<unreadable: Permission denied>\n"})
    bad = tmp_path / "u.tar.gz"
    bad.write_bytes(archive_bytes(view))
    code, _, err = _run(capsys, "audit", str(bad))
    assert code == 2
    _one_line_error(err, "memory/memory4/state")


def test_unreadable_write_only_files_are_fine(real_views):
    assert real_views[HOT]["memory/hard_offline_page"].startswith("<unreadable:")


@pytest.mark.parametrize("key,value", [
    ("node/possible", "0-999999999\n"),
    ("node/has_memory", "4000000000\n"),
])
def test_absurd_values(capsys, tmp_path, real_views, key, value):
    view = dict(real_views[HOT], **{key: value})
    bad = tmp_path / "absurd.tar.gz"
    bad.write_bytes(archive_bytes(view))
    code, _, err = _run(capsys, "audit", str(bad))
    assert code == 2
    _one_line_error(err, "node ids up to")


def test_absurd_block_number_is_no_block(capsys, tmp_path, real_views):
    """memory99999999999999: a name no kernel makes (memory%u is at most 4294967295): a
    finding, never a crash, never a block. Links out of the tree: test_hostile_names.py."""
    view = dict(real_views[HOT], **{"memory/memory99999999999999/state": "online\n"})
    bad = tmp_path / "absurd.tar.gz"
    bad.write_bytes(archive_bytes(view))
    code, out, err = _run(capsys, "audit", str(bad))
    assert code == 1 and err == ""
    assert "sysfs_names [name] memory/memory99999999999999: expected memory%u" in out


def test_unknown_profile_is_usage(capsys):
    code, _, err = _run(capsys, "audit", str(snapshot_path(HOT)), "--profile", "v9")
    assert code == 2


def test_undetectable_profile(capsys, tmp_path):
    arc = _tar(tmp_path / "p.tar.gz", _good_members())
    code, _, err = _run(capsys, "audit", str(arc))
    assert code == 2
    _one_line_error(err, "--profile")


def test_graph_into_a_missing_folder(capsys, tmp_path):
    code, _, err = _run(capsys, "audit", str(snapshot_path(HOT)), "--graph", str(tmp_path / "no" / "g.dot"))
    assert code == 2
    _one_line_error(err, "does not exist")
