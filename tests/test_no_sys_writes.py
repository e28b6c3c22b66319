"""memhp-check never writes to this machine's /sys.

The model only ever renders a sysfs tree in memory; reading a live tree (audit, snapshot) is the
only contact a command may have with /sys. Running the tests as root must not change that, so
file permissions are no protection: a guard replaces every way the tool could open a file for
writing or create a directory, fails on any such call for a path under /sys (before the real
call, so nothing is written), and the main commands run in-process under it.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import pathlib

import pytest

from checker.cli import main

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SysWrite(BaseException):
    """Raised by the guard. A BaseException, so that no ``except Exception`` or ``except
    OSError`` in the tool can swallow it."""


def _under_sys(path) -> bool:
    if isinstance(path, int):  # a file descriptor: opened earlier, through the guard
        return False
    try:
        p = os.fsdecode(os.fspath(path))
    except TypeError:
        return False
    p = _real_abspath(p)
    return p == "/sys" or p.startswith("/sys/")


_real_abspath = os.path.abspath


def _write_mode(mode: str) -> bool:
    return any(c in mode for c in "wax+")


class Guard:
    """Wraps open, io.open, os.open, Path.open/write_text/write_bytes/touch/mkdir, os.mkdir,
    os.makedirs, os.replace and os.rename; records and refuses writes under /sys."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[str] = []
        self.writes: list[str] = []  # every write it let through (outside /sys)
        self.mp = monkeypatch

    def check(self, what: str, path) -> None:
        if _under_sys(path):
            self.refuse(what, path)
        if isinstance(path, (str, bytes, os.PathLike)):
            self.writes.append(f"{what} {os.fsdecode(os.fspath(path))}")

    def refuse(self, what: str, path) -> None:
        entry = f"{what} {os.fsdecode(os.fspath(path))}"
        self.seen.append(entry)
        raise SysWrite(f"memhp tried to write to /sys: {entry}")

    def install(self) -> "Guard":
        mp, g = self.mp, self
        real_open, real_os_open = builtins.open, os.open
        real_mkdir, real_makedirs = os.mkdir, os.makedirs
        real_replace, real_rename = os.replace, os.rename
        real_path_open = pathlib.Path.open
        real_write_text, real_write_bytes = pathlib.Path.write_text, pathlib.Path.write_bytes
        real_touch, real_path_mkdir = pathlib.Path.touch, pathlib.Path.mkdir

        def guarded_open(file, mode="r", *args, **kwargs):
            if _write_mode(mode):
                g.check(f"open(mode={mode!r})", file)
            return real_open(file, mode, *args, **kwargs)

        def guarded_os_open(path, flags, *args, **kwargs):
            if flags & WRITE_FLAGS:
                g.check(f"os.open(flags={flags:#o})", path)
            return real_os_open(path, flags, *args, **kwargs)

        def guarded_mkdir(path, *args, **kwargs):
            g.check("mkdir", path)
            return real_mkdir(path, *args, **kwargs)

        def guarded_makedirs(name, *args, **kwargs):
            g.check("makedirs", name)
            return real_makedirs(name, *args, **kwargs)

        def guarded_replace(src, dst, *args, **kwargs):
            g.check("replace", src)
            g.check("replace", dst)
            return real_replace(src, dst, *args, **kwargs)

        def guarded_rename(src, dst, *args, **kwargs):
            g.check("rename", src)
            g.check("rename", dst)
            return real_rename(src, dst, *args, **kwargs)

        def path_open(self, mode="r", *args, **kwargs):
            if _write_mode(mode):
                g.check(f"Path.open(mode={mode!r})", self)
            return real_path_open(self, mode, *args, **kwargs)

        def write_text(self, *args, **kwargs):
            g.check("Path.write_text", self)
            return real_write_text(self, *args, **kwargs)

        def write_bytes(self, *args, **kwargs):
            g.check("Path.write_bytes", self)
            return real_write_bytes(self, *args, **kwargs)

        def touch(self, *args, **kwargs):
            g.check("Path.touch", self)
            return real_touch(self, *args, **kwargs)

        def path_mkdir(self, *args, **kwargs):
            g.check("Path.mkdir", self)
            return real_path_mkdir(self, *args, **kwargs)

        mp.setattr(builtins, "open", guarded_open)
        mp.setattr(io, "open", guarded_open)
        mp.setattr(os, "open", guarded_os_open)
        mp.setattr(os, "mkdir", guarded_mkdir)
        mp.setattr(os, "makedirs", guarded_makedirs)
        mp.setattr(os, "replace", guarded_replace)
        mp.setattr(os, "rename", guarded_rename)
        mp.setattr(pathlib.Path, "open", path_open)
        mp.setattr(pathlib.Path, "write_text", write_text)
        mp.setattr(pathlib.Path, "write_bytes", write_bytes)
        mp.setattr(pathlib.Path, "touch", touch)
        mp.setattr(pathlib.Path, "mkdir", path_mkdir)
        return self


@pytest.fixture
def guard(monkeypatch) -> Guard:
    return Guard(monkeypatch).install()


# --- the guard works ---------------------------------------------------------------------------

PROBE = "/sys/kernel/memhp-check-guard-probe"


@pytest.mark.parametrize("attempt", [
    lambda: open(PROBE, "w"),
    lambda: open(PROBE, "a"),
    lambda: open(PROBE, "r+b"),
    lambda: io.open(PROBE, "wb"),
    lambda: os.open(PROBE, os.O_WRONLY),
    lambda: os.open(PROBE, os.O_RDWR | os.O_CREAT),
    lambda: pathlib.Path(PROBE).write_text("online"),
    lambda: pathlib.Path(PROBE).write_bytes(b"online"),
    lambda: pathlib.Path(PROBE).open("w"),
    lambda: pathlib.Path(PROBE).touch(),
    lambda: pathlib.Path(PROBE).mkdir(parents=True),
    lambda: os.mkdir(PROBE),
    lambda: os.makedirs(PROBE + "/sub"),
    lambda: os.replace("/tmp/memhp-nothing", PROBE),
    lambda: open("/sys/../sys/devices/system/memory/memory0/state", "w"),
], ids=["open-w", "open-a", "open-r+", "io.open", "os.open-wronly", "os.open-creat", "write_text",
        "write_bytes", "Path.open", "touch", "Path.mkdir", "os.mkdir", "makedirs", "replace", "dotdot"])
def test_guard_catches_writes_to_sys(guard, attempt):
    with pytest.raises(SysWrite):
        attempt()
    assert len(guard.seen) == 1 and "/sys/" in guard.seen[0]


def test_guard_catches_a_relative_path(guard, monkeypatch):
    monkeypatch.chdir("/")
    with pytest.raises(SysWrite):
        open("sys/kernel/memhp-check-guard-probe", "w")


def test_guard_lets_reads_and_other_writes_through(guard, tmp_path):
    (tmp_path / "f").write_text("x")
    with open(tmp_path / "f") as f:
        assert f.read() == "x"
    with pytest.raises(OSError):  # a read of /sys reaches the real open (and finds nothing)
        open("/sys/memhp-check-no-such-file")
    assert guard.seen == []


# --- the commands do not write to /sys -------------------------------------------------------------

def test_commands_never_write_to_sys(guard, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "reports"
    traces = tmp_path / "traces"
    codes = {}
    codes["verify"] = main(["verify", "--max-depth", "6", "--engines", "explore", "--no-baseline",
                            "--out", str(out)])
    codes["verify-json"] = main(["verify", "--max-depth", "6", "--engines", "explore", "--json"])  # ./reports
    codes["explore"] = main(["explore", "--max-depth", "6", "--traces", str(traces)])
    codes["explore-json"] = main(["explore", "--max-depth", "6", "--json"])
    files = sorted(traces.glob("*.json"))
    assert files, "the default world has findings at depth 6 (the sysfs names at boot)"
    for f in files:
        codes[f"replay {f.name}"] = main(["replay", str(f)])
        codes[f"replay-mirror {f.name}"] = main(["replay", str(f), "--impl", "mirror"])
        codes[f"trace {f.name}"] = main(["trace", str(f)])
        codes[f"trace-json {f.name}"] = main(["trace", str(f), "--format", "json"])
    capsys.readouterr()
    assert guard.seen == [], f"writes to /sys: {guard.seen}"
    assert any("summary.md" in w for w in guard.writes), "the guard did not see the reports written"
    assert any(str(traces) in w for w in guard.writes), "the guard did not see the traces written"
    assert codes["verify"] in (0, 1) and codes["explore"] in (0, 1)
    assert codes["verify-json"] in (0, 1, 2)  # 2 only when no packaged baseline is installed
    assert all(c == 0 for k, c in codes.items() if k.startswith(("replay", "trace"))), codes
    # plain verify checks every mirrored profile, each in its own folder
    assert {p.name for p in out.iterdir()} == {"summary.md", "baseline.json", "v3.4", "v6.1"}
    for profile in ("v3.4", "v6.1"):
        json.loads((out / profile / "result.json").read_text())


def test_world_file_under_sys_is_only_read(guard, capsys):
    """A --world path under /sys is opened for reading (and fails: it is no world file)."""
    assert main(["explore", "--world", "/sys/memhp-check-no-such-world.toml", "--max-depth", "1"]) == 2
    assert "memhp: error:" in capsys.readouterr().err
    assert guard.seen == []


def test_out_under_sys_never_reaches_the_real_open(guard, capsys):
    """A user who points --out at /sys gets no write: either memhp refuses it (exit 2) or the
    guard stops the attempt before the real call."""
    try:
        code = main(["verify", "--max-depth", "1", "--engines", "explore", "--no-baseline",
                     "--out", "/sys/memhp-check-reports"])
    except SysWrite:
        assert guard.seen and "/sys/memhp-check-reports" in guard.seen[0]
    else:
        assert code == 2 and guard.seen == []
