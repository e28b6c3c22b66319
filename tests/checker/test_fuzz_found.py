"""Hostile inputs the fuzzing found (tests/checker/test_fuzz_*.py, tests/benchmarks/bench_fuzz.py),
minimised, each held to the same property (tests/fuzzing.py :func:`run_case`): exit 2 with one
``memhp: error: FILE: ...`` line, or a result; never a traceback, a hang or a write outside the
output folder. Each stays here once fixed, as the regression test of its fix."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import pytest

from tests.fuzzing import SNAPSHOTS, Case, run_case

pytestmark = pytest.mark.engine

TINY = {"profile": "v6.1", "nodes": [{"id": 0}], "blocks": [{"id": 0, "node": 0, "zones": ["Normal"]}]}


def trace(steps: list[dict[str, Any]], profile: str = "v6.1") -> bytes:
    return json.dumps({"schema": "memhp-trace/1", "profile": profile, "world": TINY, "steps": steps}).encode()


def write(**action: Any) -> dict[str, Any]:
    a = {"kind": "write", "thread": "w0", "block": "memory0", "file": "state", "text": "online"}
    a.update(action)
    return {"action": {k: v for k, v in a.items() if v is not None},
            "obs": {"point": "ret", "thread": "w0", "ret": -22}}


def call_step(**call: Any) -> dict[str, Any]:
    c = {"event": "MEM_GOING_ONLINE", "callback": "x", "start_pfn": 0, "nr_pages": 1, "status_change_nid": 0,
         "ret": 0, "allocatable": False}
    c.update(call)
    return {"action": {"kind": "step", "thread": "w0"}, "obs": {"point": "call", "thread": "w0", "calls": [c]}}


def snapshot_with(key: str, value: bytes, name: str = "qemu-6.1-2node-hotadded.tar.gz") -> bytes:
    """A real snapshot with the file ``devices/system/<key>`` holding ``value``."""
    out = io.BytesIO()
    with tarfile.open(SNAPSHOTS / name) as tin, tarfile.open(fileobj=out, mode="w:gz") as tout:
        for m in tin:
            data = tin.extractfile(m).read() if m.isreg() else None  # type: ignore[union-attr]
            if m.name == f"./devices/system/{key}":
                data, m.size = value, len(value)
            tout.addfile(m, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


WORLD_UNKNOWN_PROFILE = b'profile = "v9"\n[[nodes]]\nid = 0\n[[blocks]]\nid = 0\nnodes = [0]\nzones = ["Normal"]\n'
WORLD_NEWLINE_KEY = b'name = "w"\n"a\\nb" = 1\n[[nodes]]\nid = 0\n[[blocks]]\nid = 0\nnodes = [0]\nzones = ["Normal"]\n'

FOUND: dict[str, tuple[dict[str, bytes], list[str]]] = {
    # a JSON number too large for a float (Infinity, 1e999) where a notifier call has an integer:
    # int(inf) raises OverflowError, which Trace.from_json does not catch
    "trace-call-start_pfn-Infinity": ({"t.json": trace([call_step(start_pfn=float("inf"))]).replace(
        b"Infinity", b"1e999")}, ["trace", "@IN@/t.json"]),
    "replay-call-nr_pages--Infinity": ({"t.json": trace([call_step(nr_pages=float("-inf"))])},
                                       ["replay", "@IN@/t.json"]),
    # a write without a block: the shell reproducer calls int(None)
    "trace-shell-write-without-block": ({"t.json": trace([write(block=None)])},
                                        ["trace", "@IN@/t.json", "--format", "shell"]),
    # the error names the attribute but not the trace file
    "trace-shell-file-not-an-attribute": ({"t.json": trace([write(file="a b")])},
                                          ["trace", "@IN@/t.json", "--format", "shell"]),
    "audit-trace-file-not-writable": ({"t.json": trace([write(file="stat")])},
                                      ["audit", "--trace", "@IN@/t.json"]),
    "audit-trace-write-without-block": ({"t.json": trace([write(block=None)])},
                                        ["audit", "--trace", "@IN@/t.json"]),
    "trace-shell-write-without-file": ({"t.json": trace([write(file=None)])},
                                       ["trace", "@IN@/t.json", "--format", "shell"]),
    "trace-itf-unknown-profile": ({"t.json": trace([write()], profile="")},
                                  ["trace", "@IN@/t.json", "--format", "itf"]),
    "audit-trace-unknown-profile": ({"t.json": trace([write()], profile="v9")},
                                    ["audit", "--trace", "@IN@/t.json"]),
    "audit-world-unknown-profile": ({"w.toml": WORLD_UNKNOWN_PROFILE}, ["audit", "--world", "@IN@/w.toml"]),
    # a lone surrogate (the JSON escape \udcff) in a recorded point: the divergence message
    # carries it to stdout, where a strict UTF-8 stream (a UTF-8 locale other than C.UTF-8)
    # raises UnicodeEncodeError; the same as PYTHONIOENCODING=utf-8:strict memhp replay t.json
    "replay-divergence-lone-surrogate": (
        {"t.json": trace([write()]).replace(b'"point": "ret"', b'"point": "ret\\udcff"')}, ["replay", "@IN@/t.json"]),
    # a world key with a newline: the error line quotes it raw, so it spans two lines
    "world-key-with-a-newline": ({"w.toml": WORLD_NEWLINE_KEY},
                                 ["explore", "--world", "@IN@/w.toml", "--max-depth", "1"]),
    # a node list of 5,000 digits: int() refuses it with ValueError (CPython's 4,300-digit limit)
    "audit-node-possible-5000-digits": ({"s.tar.gz": snapshot_with("node/possible", b"1" * 5000 + b"\n")},
                                        ["audit", "@IN@/s.tar.gz"]),
    "explore-snapshot-has_cpu-5000-digits": ({"s.tar.gz": snapshot_with("node/has_cpu", b"1" * 5000 + b"\n")},
                                             ["explore", "--from-snapshot", "@IN@/s.tar.gz", "--max-depth", "1"]),
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_found_input(tmp_path, name: str) -> None:
    files, argv = FOUND[name]
    o = run_case(Case(name.split("-")[0], files, argv, name), tmp_path)
    assert not o.problems, o.report()
