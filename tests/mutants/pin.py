"""Measure the mutants and (re)write ``manifest.toml``: the golden file of this suite.

    python -m tests.mutants.pin                 # re-measure every mutant, keep the baselines
    python -m tests.mutants.pin --baselines     # also recompute the known findings (slow:
                                                # a complete exploration of each world's spec)
    python -m tests.mutants.pin NAME ...        # re-measure some mutants only

For each mutant the manifest names the world and profile it runs under and the invariant it
must break (edit those by hand); this tool measures the rest: the cause and the length of the
shortest trace ``explore(MirrorModel(world, impl), stop_on={invariant})`` finds, the seconds it
took, and what the lockstep run (``run_stateful``, ci budget, the suite's seed) reports. It
refuses a mutant whose finding is one of the unmodified profile's known findings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from tests.mutants.common import (MANIFEST, SEED, baseline_key, load_manifest, mutant_impl,
                                  mutant_world, resolve_world)


def measure_baseline(world_name: str, profile: str) -> list[list[str]]:
    from checker.engines.explore import explore
    from checker.model import SpecModel

    w = resolve_world(world_name).with_profile(profile)
    t0 = time.monotonic()
    res = explore(SpecModel(w), engine="auto")
    print(f"baseline {profile}/{world_name}: {res.states} states, depth {res.depth}, "
          f"complete={res.complete}, {time.monotonic() - t0:.0f}s", file=sys.stderr)
    return sorted([inv, cause] for inv, cause in res.hits)


def measure(name: str, entry: dict[str, Any], known: set[tuple[str, str]]) -> dict[str, Any]:
    from checker.engines.explore import explore
    from checker.model import MirrorModel
    from checker.engines.stateful import run_stateful

    w = mutant_world(entry)
    impl = mutant_impl(name)
    inv = entry["invariant"]
    t0 = time.monotonic()
    search = "stop_on"
    res = explore(MirrorModel(w, impl), stop_on={inv})
    new = _new_hits(res, inv, known)
    if not new:
        # the unmodified profile's own finding of this invariant comes first on every path
        # stop_on would take: search breadth-first to the depth where the mutant's appears
        search = "depth"
        for depth in range(1, 41):
            res = explore(MirrorModel(w, impl), max_depth=depth)
            new = _new_hits(res, inv, known)
            if new:
                break
    secs = time.monotonic() - t0
    if not new:
        raise SystemExit(f"{name}: explore found no new violation of {inv} "
                         f"(hits: {sorted(res.hits)})")
    cause = new[0][1]
    out = dict(entry)
    out["search"] = search
    out["cause"] = cause
    out["length"] = len(res.traces[new[0]])
    out["explore_seconds"] = round(secs, 1)
    out["explore_states"] = res.states
    t0 = time.monotonic()
    r = run_stateful(w, impl, "ci", expected=known, seed=SEED)
    out["stateful_failure"] = r.failure or "passed"
    out["stateful_seconds"] = round(time.monotonic() - t0, 1)
    print(f"{name}: {inv} [{cause}] length {out['length']} explore {secs:.1f}s "
          f"({res.states} states); stateful {r.failure} [{r.cause}] {out['stateful_seconds']}s "
          f"trace {len(r.trace)}", file=sys.stderr)
    return out


def _new_hits(res: Any, inv: str, known: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((k for k in res.traces if k[0] == inv and k not in known),
                  key=lambda k: len(res.traces[k]))


def write_manifest(data: dict[str, Any], path: Path = MANIFEST) -> None:
    lines = [
        "# The mutants of tests/mutants/bugs_detected and what they must break (golden file).",
        "# world/profile/invariant are edited by hand; `python -m tests.mutants.pin` measures the",
        "# rest: cause and length of the shortest trace explore(MirrorModel(world, impl),",
        "# stop_on={invariant}) finds (search = \"depth\": the profile's own finding of the",
        "# invariant is shorter and stop_on stops there, so the explorer runs breadth-first to",
        "# max_depth = length instead), and the informational timings and lockstep outcome.",
        "# [baselines] are the known findings of the unmodified spec on each (profile, world),",
        "# from a complete exploration (`python -m tests.mutants.pin --baselines`); the lockstep",
        "# runs pass them as `expected`.",
        "",
    ]
    for name in sorted(data["mutants"]):
        e = data["mutants"][name]
        lines.append(f"[mutants.{name}]")
        for key in ("world", "profile", "invariant", "cause", "length", "search", "explore_seconds",
                    "explore_states", "stateful_failure", "stateful_seconds"):
            if key in e:
                lines.append(f"{key} = {_toml(e[key])}")
        lines.append("")
    for key in sorted(data.get("baselines", {})):
        b = data["baselines"][key]
        lines.append(f'[baselines."{key}"]')
        for k2 in ("states", "seconds"):
            if k2 in b:
                lines.append(f"{k2} = {_toml(b[k2])}")
        lines.append("findings = [")
        for inv, cause in b["findings"]:
            lines.append(f"  [{_toml(inv)}, {_toml(cause)}],")
        lines.append("]")
        lines.append("")
    path.write_text("\n".join(lines))


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.mutants.pin")
    ap.add_argument("names", nargs="*")
    ap.add_argument("--baselines", action="store_true")
    ns = ap.parse_args(argv)
    data = load_manifest()
    data.setdefault("baselines", {})
    pairs = sorted({(e.get("world", "default"), e["profile"]) for e in data["mutants"].values()}
                   | {("default", "v3.4")})
    if ns.baselines:
        for world_name, profile in pairs:
            t0 = time.monotonic()
            findings = measure_baseline(world_name, profile)
            data["baselines"][baseline_key(profile, world_name)] = {
                "seconds": round(time.monotonic() - t0), "findings": findings}
            write_manifest(data)
    for name in sorted(data["mutants"]):
        if ns.names and name not in ns.names:
            continue
        e = data["mutants"][name]
        known = {tuple(x) for x in data["baselines"][baseline_key(e["profile"],
                                                                  e.get("world", "default"))]["findings"]}
        data["mutants"][name] = measure(name, e, known)  # type: ignore[arg-type]
        write_manifest(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
