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


def budget_args(p: Any) -> None:
    """The budgets of an explicit search (checker.engines.size)."""
    from checker.engines.size import DEFAULT_MAX_STATES, DEFAULT_MAX_STATES_COMPILED

    p.add_argument("--max-states", type=int, default=None, metavar="N",
                   help=f"stop the search after storing N states (default "
                        f"{DEFAULT_MAX_STATES_COMPILED:,} compiled, {DEFAULT_MAX_STATES:,} interpreted)")
    p.add_argument("--max-memory", type=int, default=None, metavar="MIB",
                   help="stop the search when this process holds more than MIB MiB "
                        "(default three quarters of the memory available at the start)")


def engine_arg(p: Any) -> None:
    """How the explorer runs the model (checker.engines.explore.explore's ``engine``)."""
    p.add_argument("--engine", choices=("auto", "compiled", "interpreted"), default="auto",
                   help="auto (default): the spec compiled for the world, any other model "
                        "interpreted; compiled: refuse a model that cannot be compiled; "
                        "interpreted: the step definitions run as they are written")


def reduce_arg(p: Any) -> None:
    """``--no-reduce``: the explorer's reductions off (SpecModel's ``reduce``, symmetry)."""
    p.add_argument("--no-reduce", action="store_true",
                   help="turn every reduction off: key states by every field, the byte counts of "
                        "writes in flight included (the model SPIN stores), and no symmetry")


def engine_note(res: Any) -> str:
    """What ran the exploration, for the summary's notes."""
    if res.fallback:
        return f"explored interpreted: {res.fallback}"
    if res.compile_seconds is None:
        return "explored interpreted (the model's own successor function)"
    return (f"explored compiled: the spec's steps and history generated as code for this world "
            f"in {res.compile_seconds:.1f} s (docs/design.md section 1)")


def budgets(args: Any, compiled: bool) -> tuple[int, int]:
    """(max_states, max_memory in MiB) from ``args``, defaults filled in (the state budget's
    default depends on whether the search runs ``compiled``)."""
    from checker.engines.size import default_max_memory_mib, default_max_states

    states = args.max_states if args.max_states is not None else default_max_states(compiled)
    mib = args.max_memory if args.max_memory is not None else default_max_memory_mib()
    if states < 1 or mib < 1:
        raise UsageError("--max-states and --max-memory: expected a positive number")
    return states, mib


def sized(w: World, source: str, max_states: int, max_depth: int | None) -> None:
    """Refuse a world too large for the explicit engines; warn (stderr) before a run whose
    state budget cannot cover it (checker.engines.size)."""
    import sys

    from checker.engines import size

    size.check(w, source)
    from checker.model import SpecModel

    model = SpecModel(w)
    text = size.warning(w, len(model.start_actions(model.initial()[0])), max_states, max_depth)
    if text:
        print(f"memhp: warning: {text}", file=sys.stderr)


def budget_note(res: ExploreResult, max_states: int, mib: int) -> str:
    """What the budgets were and, when one stopped the search, how far it got."""
    said = f"explore budget: {max_states:,} states, {mib:,} MiB of memory"
    why = {"states": f"the state budget ({max_states:,} states)",
           "memory": f"the memory budget ({mib:,} MiB)"}.get(res.cut or "")
    if why is None:
        return said
    return (f"{said}; stopped by {why} after {res.states:,} states: every path of up to "
            f"{res.checked} steps was checked, not the whole space (raise the budget or bound "
            f"the run with --max-depth)")


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
    from checker.formats.traces import visible

    for note in r.notes:  # notes carry text from the world (a [vacuous] reason): one line each
        print(f"note: {visible(note)}")
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
        tmp.write_text(text, encoding="utf-8")
        if executable:
            tmp.chmod(0o755)
        os.replace(tmp, dest)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{out}: cannot write ({e.strerror})") from None
