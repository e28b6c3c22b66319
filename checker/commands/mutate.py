"""``memhp mutate --profile P``: mutation analysis of a kernel mirror (docs/mutation.md).

Generates mutants of the profile's mirror modules (checker.review.mutate.generate), reviews each as a
patch against the unpatched profile (checker.review.mutate.run), and reports the killed, survived,
timed-out, crashed and equivalent mutants with the score: a summary on stdout, ``--json``
(memhp-mutation/1), and the Markdown report ``mutation-<profile>.md`` under ``--out``.

Exit codes: 0 every mutant run is killed or marked equivalent, 1 a mutant survived, timed out or
crashed, 2 bad usage or a malformed equivalents file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from checker.commands.common import UsageError
from checker.commands.review import BUDGET, DEPTH, OPS, WORLD
from spec.worlds import BUILTIN

#: the cheap review tried first (depth, ops): most mutants die there in seconds
QUICK = "4,2"
TIMEOUT, MEMORY = 300.0, 4096


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("mutate", help="mutation analysis: mutants of a kernel mirror, each reviewed")
    p.add_argument("--profile", required=True, choices=("v3.4", "v6.1"),
                   help="the mirror to mutate and review against")
    p.add_argument("--module", action="append", metavar="NAME",
                   help="only this mirror module (memory, memory_hotplug, ...; repeatable; a shared "
                        "module such as mm brings in --shared)")
    p.add_argument("--function", action="append", metavar="NAME",
                   help="only this mirror function (repeatable)")
    p.add_argument("--shared", action="store_true",
                   help="also mutate the shared modules (lib, locking, notifier, mm, callbacks)")
    p.add_argument("--limit", type=int, metavar="N", help="run the first N mutants (in id order)")
    p.add_argument("--every", type=int, default=1, metavar="K",
                   help="run every K-th mutant (a spread sample; before --limit; default 1)")
    p.add_argument("--list", action="store_true", help="list the mutant ids and changes; run nothing")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="mutants run at once (default 1)")
    p.add_argument("--timeout", type=float, default=TIMEOUT, metavar="S",
                   help=f"wall-clock seconds per mutant (default {TIMEOUT:g})")
    p.add_argument("--time-budget", type=float, metavar="S",
                   help="start no mutant after S seconds; the rest are reported as not run")
    p.add_argument("--memory", type=int, default=MEMORY, metavar="MB",
                   help=f"address-space limit per mutant (default {MEMORY})")
    p.add_argument("--world", default=WORLD,
                   help=f"a built-in world ({', '.join(BUILTIN)}) or a TOML file (default {WORLD})")
    p.add_argument("--depth", type=int, default=DEPTH,
                   help=f"review's steps, every interleaving (default {DEPTH}, review's)")
    p.add_argument("--ops", type=int, default=OPS,
                   help=f"review's operations for the behaviour diff (default {OPS}, review's)")
    p.add_argument("--quick", default=QUICK, metavar="DEPTH,OPS",
                   help=f"a cheaper review tried first (default {QUICK}; none: only the full one)")
    p.add_argument("--budget", choices=("none", "dev", "ci", "thorough"), default=BUDGET,
                   help=f"Hypothesis lockstep budget of the full review (default {BUDGET})")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    p.add_argument("--equivalents", metavar="FILE",
                   help="the reviewed equivalent mutants (default: checker/review/mutate/"
                        "equivalent-PROFILE.toml)")
    p.add_argument("--out", default="reports",
                   help="where to write mutation-PROFILE.md (default ./reports)")
    p.add_argument("--json", action="store_true", help="print memhp-mutation/1 JSON")
    p.set_defaults(func=run)


def _bounds(args: Any) -> tuple[tuple[int, int], ...]:
    if args.depth < 0 or args.ops < 1:
        raise UsageError("--depth must be >= 0 and --ops >= 1")
    full = (args.depth, args.ops)
    if args.quick == "none":
        return (full,)
    try:
        d, o = (int(x) for x in args.quick.split(","))
    except ValueError:
        raise UsageError(f"--quick {args.quick}: expected DEPTH,OPS (e.g. {QUICK}) or none") from None
    if d < 0 or o < 1:
        raise UsageError(f"--quick {args.quick}: DEPTH must be >= 0 and OPS >= 1")
    return (full,) if (d, o) == full else ((d, o), full)


def run(args: Any) -> int:
    from checker.review.mutate import equivalents
    from checker.review.mutate.generate import mutants

    for flag, value in (("--jobs", args.jobs), ("--every", args.every)):
        if value < 1:
            raise UsageError(f"{flag} must be >= 1")
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be >= 0")
    if args.timeout <= 0 or args.memory < 256:
        raise UsageError("--timeout must be > 0 and --memory >= 256 (MB)")
    if args.time_budget is not None and args.time_budget <= 0:
        raise UsageError("--time-budget must be > 0")
    bounds = _bounds(args)
    if not args.list:
        from spec.worlds import resolve_world

        resolve_world(args.world)  # a bad world is one line here, not one crash per mutant
    chosen = mutants(args.profile, args.module, args.function, args.shared)
    path = Path(args.equivalents) if args.equivalents else equivalents.default_path(args.profile)
    marked = equivalents.load(path) if args.equivalents or path.is_file() else {}
    equivalents.check(path, marked, args.profile, {m.id for m in chosen})
    generated = len(chosen)
    chosen = chosen[::args.every][:args.limit]
    if args.list:
        return _list(chosen, marked, args.json)
    return _run(args, chosen, generated, marked, bounds)


def _list(chosen: list[Any], marked: dict[str, str], as_json: bool) -> int:
    from checker.formats.traces import visible

    if as_json:
        print(json.dumps([{**m.to_json(), "equivalent": marked.get(m.id)} for m in chosen], indent=1))
        return 0
    for m in chosen:
        note = f"  [equivalent: {marked[m.id]}]" if m.id in marked else ""
        print(visible(f"{m.id}  {m.description}{note}"))
    return 0


def _run(args: Any, chosen: list[Any], generated: int, marked: dict[str, str],
         bounds: tuple[tuple[int, int], ...]) -> int:
    from checker.commands.outputs import write_whole
    from checker.review.mutate.generate import mirror_modules, short_name
    from checker.review.mutate.report import MutationRun, machine_name, markdown, mutation_json, summary
    from checker.review.mutate.run import Budget, Outcome, run_mutants
    budget = Budget(args.world, bounds, None if args.budget == "none" else args.budget, args.seed,
                    args.timeout, args.memory)
    todo = [m for m in chosen if m.id not in marked]

    tty = sys.stderr.isatty()

    def progress(o: Outcome, n: int, total: int) -> None:
        # one line per mutant (a long run's log); on a terminal, one line rewritten
        line = f"{n}/{total} {o.status:9} {o.seconds:6.1f} s  {o.mutant.id}"
        print(f"\r{line[:100]:100}" if tty else line, end="" if tty else "\n", file=sys.stderr,
              flush=True)

    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="memhp-mutants-") as tmp:
        ran = run_mutants(todo, args.profile, budget, Path(tmp), args.jobs, progress,
                          args.time_budget)
    if tty:
        print(file=sys.stderr)
    by_id = {o.mutant.id: o for o in ran}
    outcomes = [by_id[m.id] if m.id in by_id else Outcome(m, "equivalent", marked[m.id])
                for m in chosen if m.id in by_id or m.id in marked]
    not_run = len(todo) - len(ran)
    modules = args.module or (list(dict.fromkeys(m.module for m in chosen)) if args.function else
                              [short_name(m) for m in mirror_modules(args.profile, args.shared)])
    result = MutationRun(args.profile, modules, args.function, budget, outcomes, generated,
                         time.monotonic() - t0, machine_name(), not_run, args.time_budget, args.every, args.limit)
    out = Path(args.out) / f"mutation-{args.profile}.md"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{out.parent}: cannot create the report directory ({e.strerror})") from None
    write_whole(out, markdown(result))
    if args.json:
        print(json.dumps(mutation_json(result), indent=1))
    else:
        print(summary(result))
        print(f"report: {out}")
    c = result.counts()
    return 1 if c["survived"] or c["timeout"] or c["crashed"] else 0
