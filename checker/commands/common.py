"""Helpers the commands share: the world a command's arguments name, the one usage error, the
summary of a run, a whole-file write.
"""

from __future__ import annotations

from typing import Any

from checker.engines.explore import ExploreResult
from checker.formats.results import Finding, RunResult
from spec.config import World
from spec.errors import MemhpError
from spec.profiles import get_profile
from spec.worlds import resolve_world


class UsageError(MemhpError):
    pass


def world_of(args: Any) -> World:
    from checker.engines.bench.world import is_bench_name

    if is_bench_name(args.world):
        raise UsageError(f"{args.world}: a spin-bench world has no kernel profile; run it with "
                         f"`memhp explore --world {args.world}` or export it with `memhp export promela`")
    w = resolve_world(args.world)
    if getattr(args, "profile", None):
        w = w.with_profile(args.profile)
        where = "--profile"
    else:
        where = f"{args.world}: key 'profile'"
    try:
        get_profile(w.profile)
    except MemhpError as e:
        raise UsageError(f"{where}: {e}") from None
    return w


def findings_of(w: World, res: ExploreResult) -> list[Finding]:
    """The explorer's findings, each with its explanation along the C path."""
    from checker.review.explanations import explain

    out = []
    for (inv, cause), trace in sorted(res.traces.items()):
        text, _known = explain(w.profile, inv, cause)
        out.append(Finding(w.profile, w.name, inv, cause, trace, text))
    return out


def print_summary(r: RunResult) -> None:
    c = r.counts
    print(f"world {r.world}, profile {r.profile}: {c['states']:,} states, {c['transitions']:,} "
          f"transitions, depth {c['depth']}; " + ", ".join(f"{k} {v:.1f} s" for k, v in r.timings.items()))
    for inv in r.invariants:
        extra = f" [{inv.cause}] {len(inv.trace)} steps" if inv.trace is not None else ""
        print(f"  {inv.engine:10} {inv.name:22} {inv.verdict:9} bound={inv.bound}{extra}")
    b = r.baseline
    known = sum(1 for f in r.findings if f.status == "known")
    print(f"findings: {len(r.findings)} ({known} known in the baseline)")
    for key in b.get("new", []) if b else []:
        print(f"  NEW: {key}")
    for key in b.get("missing", []) if b else []:
        print(f"  DISAPPEARED: {key}")
    for note in r.notes:
        print(f"note: {note}")
    print(f"exit {r.exit}")


def write_output(out: str, source: str, text: str, executable: bool = False) -> None:
    """Write ``text`` to ``out`` whole (a temporary file renamed over it), never over ``source``."""
    import os
    from pathlib import Path

    dest = Path(out)
    if dest.exists() and dest.resolve() == Path(source).resolve():
        raise UsageError(f"{out}: is the input trace; give -o another file")
    tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text)
        if executable:
            tmp.chmod(0o755)
        os.replace(tmp, dest)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{out}: cannot write ({e.strerror})") from None
