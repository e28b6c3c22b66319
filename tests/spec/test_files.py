"""Hostile input files: what is not a regular file is refused from its stat (a FIFO would
block the open), a file over the cap is refused unread, and a world's tables accept only the
keys the format has, at every level. Each refusal is one line naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.formats import load as load_trace
from spec.config import load_world
from spec.errors import TraceError, WorldError
from spec.files import read_input

WORLD = """name = "w"
[[nodes]]
id = 0
[[blocks]]
id = 0
nodes = [0]
zones = ["Normal"]
"""


@pytest.mark.parametrize("reader,error", [(load_world, WorldError), (load_trace, TraceError)])
def test_fifo_device_and_directory_are_refused(tmp_path: Path, reader, error) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for p, kind in ((fifo, "a FIFO"), (Path("/dev/zero"), "a character device"), (tmp_path, "a directory")):
        with pytest.raises(error, match=kind) as e:
            reader(p)
        assert str(e.value).startswith(str(p)) and "\n" not in str(e.value)


def test_a_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 2000)
    with pytest.raises(WorldError, match="2,000 bytes; a world file is at most 1,000 bytes"):
        read_input(big, "world file", WorldError, limit=1000)
    assert read_input(big, "world file", WorldError, limit=2000) == b"#" * 2000


@pytest.mark.parametrize("extra,message", [
    ("hole_mib = 96", "key 'blocks[0].hole_mib': unknown"),
    ("node = 0", "key 'blocks[0].nodes': contradicts 'blocks[0].node'"),
    ("hole_pages = 1\nholes_mib = 1", "key 'blocks[0].holes_mib': contradicts"),
    ("missing_sections = [0, 0]", "key 'blocks[0].missing_sections': 0 given twice"),
])
def test_block_keys_are_checked(tmp_path: Path, extra: str, message: str) -> None:
    p = tmp_path / "w.toml"
    p.write_text(WORLD + extra + "\n")
    with pytest.raises(WorldError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_world(p)


@pytest.mark.parametrize("table,key", [("nodes", "cpu"), ("callbacks", "priorty")])
def test_node_and_callback_keys_are_checked(tmp_path: Path, table: str, key: str) -> None:
    p = tmp_path / "w.toml"
    text = WORLD + ("[[callbacks]]\nname = \"a\"\n" if table == "callbacks" else "")
    text = text.replace("[[nodes]]\nid = 0\n", f"[[nodes]]\nid = 0\n{key} = 1\n") if table == "nodes" \
        else text + f"{key} = 1\n"
    p.write_text(text)
    with pytest.raises(WorldError, match=rf"key '{table}\[0\]\.{key}': unknown"):
        load_world(p)


def test_the_plain_world_loads(tmp_path: Path) -> None:
    p = tmp_path / "w.toml"
    p.write_text(WORLD)
    assert load_world(p).blocks[0].nodes == (0,)


def test_a_long_list_of_repeated_sections_is_refused_quickly(tmp_path: Path) -> None:
    """The repeat check is linear: 300,000 entries are judged at once, not after a quadratic
    scan (which would hang)."""
    p = tmp_path / "w.toml"
    p.write_text(WORLD + "missing_sections = [" + ", ".join(["7"] * 300000) + "]\n")
    with pytest.raises(WorldError, match="7 given twice"):
        load_world(p)


def test_huge_integers_and_deep_nesting_are_one_line(tmp_path: Path) -> None:
    p = tmp_path / "w.toml"
    p.write_text(WORLD.replace('name = "w"', 'name = "w"\nsection_size_mib = ' + "9" * 5000))
    with pytest.raises(WorldError, match="not a valid TOML world file"):
        load_world(p)
    t = tmp_path / "t.json"
    t.write_text('{"schema": "memhp-trace/1", "x": ' + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(TraceError):
        load_trace(t)
    t.write_text('{"schema": "memhp-trace/1", "x": ' + "9" * 5000 + "}")
    with pytest.raises(TraceError):
        load_trace(t)
