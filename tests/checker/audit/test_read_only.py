"""snapshot and audit open nothing for writing but their own output, even when run as root.

Root ignores file modes, so no permission can prove this. Instead every open the code can make
(builtins.open, io.open, os.open, os.fdopen's io.open) is intercepted while the command runs;
any flag besides read-only (and O_NOFOLLOW, O_NONBLOCK, O_CLOEXEC, O_DIRECTORY, O_LARGEFILE)
fails the test before the real call, unless the path lies in the output folder."""

from __future__ import annotations

import builtins
import io
import os
import tarfile
from pathlib import Path

import pytest

from checker.cli import main
from tests.checker.audit.conftest import snapshot_path

READ_ONLY_EXTRA = (os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_DIRECTORY
                   | getattr(os, "O_LARGEFILE", 0))


class Written(BaseException):
    """A BaseException: no ``except OSError`` of the tool can swallow it."""


class OpenGuard:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, allowed: Path | None) -> None:
        self.allowed = None if allowed is None else str(allowed.resolve())
        self.reads: list[str] = []
        self.writes: list[str] = []
        real_open, real_os_open = builtins.open, os.open

        def ok(path) -> bool:
            if isinstance(path, int):
                return True  # an fd, opened earlier through os.open below
            p = os.path.realpath(os.fsdecode(os.fspath(path)))
            return self.allowed is not None and (p + "/").startswith(self.allowed + "/")

        def guarded_open(file, mode="r", *a, **k):
            if any(c in mode for c in "wax+"):
                if not ok(file):
                    raise Written(f"open({file!r}, {mode!r})")
                if not isinstance(file, int):
                    self.writes.append(os.fsdecode(os.fspath(file)))
            elif not isinstance(file, int):
                self.reads.append(os.fsdecode(os.fspath(file)))
            return real_open(file, mode, *a, **k)

        def guarded_os_open(path, flags, *a, **k):
            if flags & ~READ_ONLY_EXTRA & ~os.O_RDONLY or flags & os.O_ACCMODE != os.O_RDONLY:
                if not ok(path):
                    raise Written(f"os.open({path!r}, {flags:#o})")
                self.writes.append(os.fsdecode(os.fspath(path)))
            else:
                self.reads.append(os.fsdecode(os.fspath(path)))
            return real_os_open(path, flags, *a, **k)

        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(io, "open", guarded_open)
        monkeypatch.setattr(os, "open", guarded_os_open)


def test_guard_catches_a_write(monkeypatch, tmp_path):
    OpenGuard(monkeypatch, None)
    with pytest.raises(Written):
        open(tmp_path / "f", "w")
    with pytest.raises(Written):
        os.open(tmp_path / "f", os.O_RDWR)
    with pytest.raises(Written):
        os.open(tmp_path / "f", os.O_RDONLY | os.O_CREAT)
    with pytest.raises(Written):
        io.open(tmp_path / "f", "ab")


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "sys"
    with tarfile.open(snapshot_path("qemu-6.1-2node-hotadded.tar.gz")) as tf:
        tf.extractall(root, filter="data")
    return root


def test_snapshot_opens_the_tree_read_only(monkeypatch, tmp_path, capsys):
    root = _tree(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    g = OpenGuard(monkeypatch, out)
    assert main(["snapshot", str(root), "-o", str(out / "s.tar.gz")]) == 0
    files = {str(Path(d) / f) for d, _, fs in os.walk(root) for f in fs
             if not (Path(d) / f).is_symlink()}
    assert len(files) > 50 and files <= set(g.reads)  # it read every file, read-only
    assert g.writes and all(w.startswith(str(out)) for w in g.writes)
    assert (out / "s.tar.gz").exists()


def test_audit_opens_nothing_for_writing(monkeypatch, tmp_path, capsys):
    root = _tree(tmp_path)
    g = OpenGuard(monkeypatch, None)
    assert main(["audit", str(root)]) == 0
    assert main(["audit", str(snapshot_path("qemu-6.1-2node-hotadded.tar.gz"))]) == 0
    assert g.writes == [] and len(g.reads) > 50


@pytest.mark.skipif(not Path("/sys/devices/system/memory").is_dir(), reason="no live memory sysfs")
def test_live_sys_is_only_read(monkeypatch, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    g = OpenGuard(monkeypatch, out)
    code = main(["snapshot", "/sys", "-o", str(out / "live.tar.gz")])
    assert code == 0, capsys.readouterr().err
    assert main(["audit", "/sys", "--json"]) in (0, 1)
    assert not any(w.startswith("/sys") for w in g.writes)
    assert any(r.startswith("/sys/devices/system/memory/") for r in g.reads)
