"""Speed and memory of the compiled explorer against the interpreted one (docs/testing.md's benchmark
command; not part of the test run).

    python -m pytest tests/benchmarks/bench_compiled.py -s

For each (world, profile, depth) of CASES: the compiled search's states, transitions, code
generation seconds, search seconds, states/s, the growth of the resident set per stored state
(the parent map, the frontiers and the caches of state checks; measured in a fresh child
process after code generation, so that neither earlier runs' memory nor the compiler's counts), and, where the interpreted search ends in reasonable time, the
interpreted seconds and the ratio; then SPIN on the Promela generated for each complete case
(``memhp export promela``; skipped without spin and gcc): its states, seconds (pan alone, and
spin -a with gcc) and the time of memhp's compiled search of the same model (``--no-reduce``)
as a ratio to pan's. Fails if the two
engines' counts or findings, or SPIN's count, differ.
``MEMHP_BENCH_COMPILED="default,v6.1,-;race,v6.1,-"`` picks other cases (``-``: no depth bound,
an interpreted time of ``0`` skips the interpreted run).
"""

from __future__ import annotations

import gc
import json
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from checker.engines.compiled.engine import Compiled, explore_compiled
from checker.engines.compiled.promela import render
from checker.engines.explore import explore
from checker.engines.reach import rss_bytes
from checker.model import SpecModel
from spec.profiles import get_profile
from spec.worlds import builtin_world

#: (world, profile, depth or None, run the interpreted search too)
CASES = [("default", "v3.4", None, True), ("default", "v6.1", 30, True),
         ("qemu-2node", "v6.1", 20, True), ("race", "v6.1", 12, True),
         ("default", "v6.1", None, False)]


def _cases() -> list[tuple[str, str, int | None, bool]]:
    env = os.environ.get("MEMHP_BENCH_COMPILED")
    if not env:
        return CASES
    out = []
    for item in env.split(";"):
        w, p, d, *rest = item.split(",")
        out.append((w, p, None if d == "-" else int(d), not rest or rest[0] != "0"))
    return out


def _one(world: str, profile: str, depth: int | None, engine: str, q: Any, reduce: bool) -> None:
    m = SpecModel(builtin_world(world), get_profile(profile), reduce=reduce)
    t0 = time.monotonic()
    if engine == "compiled":  # code generation first: its memory is not the search's
        c = Compiled(m)
        gc.collect()
        before = rss_bytes() or 0
        r = explore_compiled(m, max_depth=depth, compiled=c)
    else:
        before = rss_bytes() or 0
        r = explore(m, max_depth=depth, engine=engine)
    wall = time.monotonic() - t0
    after = rss_bytes() or 0
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    q.put(json.dumps({"states": r.states, "transitions": r.transitions, "depth": r.depth,
                      "complete": r.complete, "search": r.seconds, "wall": wall,
                      "compile": r.compile_seconds, "grown": after - before, "peak": peak,
                      "findings": sorted(f"{k[0]}|{k[1]}|{len(t)}" for k, t in r.traces.items())}))


def _run(world: str, profile: str, depth: int | None, engine: str,
         reduce: bool = True) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_one, args=(world, profile, depth, engine, q, reduce))
    p.start()
    out = json.loads(q.get())
    p.join()
    return out


def test_compiled_against_interpreted() -> None:
    rows = []
    for world, profile, depth, interp in _cases():
        c = _run(world, profile, depth, "compiled")
        line = (f"{world} {profile} depth {depth if depth is not None else 'all'}: "
                f"{c['states']:,} states, {c['transitions']:,} transitions, depth {c['depth']}"
                f"{' (complete)' if c['complete'] else ''}; compiled: code {c['compile']:.1f} s, "
                f"search {c['search']:.2f} s, {c['states'] / max(c['search'], 1e-9):,.0f} states/s, "
                f"{c['grown'] / max(c['states'], 1):.0f} B/state, peak {c['peak'] >> 20} MiB")
        if interp:
            i = _run(world, profile, depth, "interpreted")
            assert (i["states"], i["transitions"], i["findings"]) == \
                (c["states"], c["transitions"], c["findings"])
            line += (f"; interpreted: {i['search']:.1f} s, {i['states'] / max(i['search'], 1e-9):,.0f}"
                     f" states/s, peak {i['peak'] >> 20} MiB; search {i['search'] / c['search']:.0f}x,"
                     f" with code generation {i['wall'] / c['wall']:.1f}x")
        rows.append(line)
        print("\n" + line, flush=True)
    assert rows


def _spin(world: str, profile: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "m.pml").write_text(render(SpecModel(builtin_world(world), get_profile(profile))))
        t0 = time.monotonic()
        subprocess.run(["spin", "-a", "m.pml"], cwd=d, check=True, capture_output=True)
        subprocess.run(["gcc", "-O2", "-DSAFETY", "-DMEMLIM=16000", "-o", "pan", "pan.c"], cwd=d,
                       check=True, capture_output=True)
        build = time.monotonic() - t0
        t0 = time.monotonic()
        out = subprocess.run(["./pan", "-E", "-A", "-m5000000", "-w26"], cwd=d,
                             capture_output=True, text=True).stdout
        pan = time.monotonic() - t0
    m = re.search(r"(\d+) states, stored", out)
    assert m, out
    return {"states": int(m.group(1)), "build": build, "pan": pan}


def test_spin_on_the_generated_promela() -> None:
    if shutil.which("spin") is None or shutil.which("gcc") is None:
        print("\nSPIN: skipped (Debian packages spin and gcc)")
        return
    for world, profile, depth, _ in _cases():
        if depth is not None:
            continue
        c = _run(world, profile, None, "compiled", reduce=False)  # SPIN's model: no merging
        sp = _spin(world, profile)
        assert sp["states"] == c["states"]
        print(f"\n{world} {profile}, no reduction: SPIN {sp['states']:,} states, pan {sp['pan']:.2f} s "
              f"({sp['states'] / sp['pan']:,.0f} states/s), spin -a and gcc {sp['build']:.1f} s; "
              f"memhp compiled search {c['search']:.2f} s = {c['search'] / sp['pan']:.2f}x pan, "
              f"code generation {c['compile']:.1f} s", flush=True)
