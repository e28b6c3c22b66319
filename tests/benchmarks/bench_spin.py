"""memhp's explorer and SPIN side by side on the benchmark worlds (docs/engines.md, docs/spin-model.md).

    python -m pytest tests/benchmarks/bench_spin.py -s

For each world, in one run: SPIN on the Promela export (``spin -a``, ``gcc -O2 -DSAFETY``, ``pan``)
and ``memhp explore`` with and without symmetry, each as its own process, timed by wall clock, its
peak memory taken from the kernel's rusage of that process. Printed for each: states,
transitions (memhp's edges and SPIN's edges + 1), seconds, states/s, peak memory, and memhp's
ratios to SPIN. The counts must agree, or the benchmark fails. It also reports states/s of the
full spec on the default world. It skips with a message when spin or gcc is missing.

Worlds: ``MEMHP_BENCH_WORLDS`` (``;``-separated ``B,N,K,W[,nosym]`` tuples; ``nosym`` adds the
unreduced memhp run). SPIN's time limit: ``MEMHP_BENCH_SPIN_TIMEOUT`` seconds (default 900).
Figures depend on the machine and its load; compare the ratios of one run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WORLDS = "2,1,1,1,nosym;4,2,2,2,nosym;5,2,3,3,nosym;6,2,3,3,nosym;7,2,3,3"


def _timed(cmd: list[str], cwd: Path, timeout: float | None = None) -> tuple[int, float, int, str]:
    """Run ``cmd``; its exit status, wall seconds, peak RSS (MiB) and stdout."""
    t0 = time.monotonic()
    out = open(cwd / f".bench-out-{time.monotonic_ns()}", "w+")
    p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    status = None
    while status is None:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            status = os.waitstatus_to_exitcode(st)
            break
        if timeout is not None and time.monotonic() - t0 > timeout:
            p.kill()
            _, st, ru = os.wait4(p.pid, 0)
            status = -9
            break
        time.sleep(0.05)
    secs = time.monotonic() - t0
    p.returncode = status
    out.seek(0)
    text = out.read()
    out.close()
    return status, secs, ru.ru_maxrss // 1024, text


def _spin(world: str, d: Path, timeout: float, states: int) -> dict[str, Any]:
    from checker.cli import main

    assert main(["export", "promela", "--world", world, "-o", str(d / "m.pml")]) == 0
    subprocess.run(["spin", "-a", "m.pml"], cwd=d, check=True, capture_output=True)
    t0 = time.monotonic()
    subprocess.run(["gcc", "-O2", "-DSAFETY", "-DMEMLIM=16000", "-o", "pan", "pan.c"], cwd=d,
                   check=True, capture_output=True)
    compile_s = time.monotonic() - t0
    # the hash table sized for the state count, as SPIN's manual advises (-w: log2 of slots)
    hashw = max(18, min(28, states.bit_length() + 1))
    # SPIN's depth-first stack can grow to the number of states here: a smaller -m would cut the
    # search ("max search depth too small") and store fewer states
    code, secs, mem, out = _timed(["./pan", f"-m{states + 1000}", f"-w{hashw}"], d, timeout)
    r: dict[str, Any] = {"tool": "SPIN", "seconds": secs, "mem": mem, "compile": compile_s}
    if code == -9:
        r["note"] = f"did not finish in {timeout:.0f} s"
        return r
    r["states"] = int(re.search(r"(\d+) states, stored", out).group(1))
    r["spin_tr"] = int(re.search(r"(\d+) transitions \(= stored\+matched\)", out).group(1))
    r["errors"] = int(re.search(r"errors: (\d+)", out).group(1))
    if "max search depth too small" in out:
        r["note"] = "search truncated: max search depth too small"
    return r


def _memhp(world: str, d: Path, symmetry: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "checker.cli", "explore", "--world", world, "--json"]
    code, secs, mem, out = _timed(cmd + ([] if symmetry else ["--no-symmetry"]), d)
    data = json.loads(out)
    assert data["exit"] == code == 0, f"memhp explore {world} exited {code}"
    c, sym = data["counts"], data["symmetry"]
    return {"tool": "memhp" + (" sym" if symmetry else " nosym"), "seconds": secs, "mem": mem,
            "states": c["states"], "spin_tr": c["transitions"] + 1, "edges": c["transitions"],
            "orbits": sym["orbits"] if sym["on"] else None, "explore_s": data["seconds"]}


def _row(world: str, r: dict[str, Any], spin: dict[str, Any]) -> str:
    if "states" not in r:
        return f"{world:28} {r['tool']:12} {'-':>12} {'-':>12} {r['seconds']:9.1f} {'-':>11} {r['mem']:8} MiB  {r.get('note', '')}"
    rate = r["states"] / r["seconds"]
    extra = ""
    if r["tool"] != "SPIN" and "states" in spin:
        extra = f"  time x{r['seconds'] / spin['seconds']:.2f}, memory x{r['mem'] / max(spin['mem'], 1):.2f} of SPIN's"
    if r.get("orbits"):
        extra += f"  ({r['orbits']:,} orbits)"
    return (f"{world:28} {r['tool']:12} {r['states']:12,} {r['spin_tr']:12,} {r['seconds']:9.1f} "
            f"{rate:11,.0f} {r['mem']:8} MiB{extra}")


@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="the SPIN benchmark needs spin (Debian package spin) and gcc")
def test_spin_side_by_side(tmp_path: Path) -> None:
    timeout = float(os.environ.get("MEMHP_BENCH_SPIN_TIMEOUT", "900"))
    rows = [f"{'world':28} {'tool':12} {'states':>12} {'transitions':>12} {'seconds':>9} "
            f"{'states/s':>11} {'peak memory':>12}   (transitions: SPIN's count, edges + 1)"]
    mismatches = []
    for spec in os.environ.get("MEMHP_BENCH_WORLDS", DEFAULT_WORLDS).split(";"):
        parts = spec.split(",")
        B, N, K, W = parts[:4]
        world = f"spin-bench:B={B},N={N},K={K},W={W}"
        d = tmp_path / f"b{B}n{N}k{K}w{W}"
        d.mkdir()
        sym = _memhp(world, d, True)
        spin = _spin(world, d, timeout, sym["states"])
        runs = [spin, sym]
        for r in runs:
            rows.append(_row(f"B{B} N{N} K{K} W{W}", r, spin))
            print(rows[-1], flush=True)
        if "nosym" in parts[4:]:
            runs.append(_memhp(world, d, False))
            rows.append(_row(f"B{B} N{N} K{K} W{W}", runs[-1], spin))
            print(rows[-1], flush=True)
        for r in runs:
            if "states" in spin and "states" in r and (r["states"], r["spin_tr"]) != (spin["states"], spin["spin_tr"]):
                mismatches.append(f"{world}: {r['tool']} {r['states']}/{r['spin_tr']} vs SPIN {spin['states']}/{spin['spin_tr']}")
        if spin.get("errors"):
            mismatches.append(f"{world}: SPIN reports {spin['errors']} errors on the correct model")
    # the full spec on the default world, for the explorer's speed where the real model runs
    code, secs, mem, out = _timed([sys.executable, "-m", "checker.cli", "explore", "--json"], tmp_path)
    data = json.loads(out)
    assert code == data["exit"] == 1  # the default world's findings (see docs/findings.md)
    rows.append(f"default world (spec v3.4)      memhp        {data['counts']['states']:12,} "
                f"{data['counts']['transitions']:12,} {secs:9.1f} {data['counts']['states'] / secs:11,.0f} "
                f"{mem:8} MiB  (transitions: edges)")
    print("\n" + "\n".join(rows))
    assert not mismatches, "counts differ: " + "; ".join(mismatches)
