"""``memhp verify``: explore and lockstep-test a world (and optionally prove it); write reports/.

The main job (README "Set up"): the explorer and the Hypothesis lockstep run side by side, the
findings compared with the packaged baseline. Engines are checked against their declarations
(checker.engines) before anything runs.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from checker.commands.common import (UsageError, budget_args, budget_note, budgets, engine_arg,
                                     engine_note, findings_of, print_summary, sized, world_of)
from checker.commands.outputs import output_args, write_outputs
from checker.commands.progress import finish, for_command
from checker.formats.results import (
    EXIT_OK, EXIT_VIOLATION, InvariantResult, RunResult, combine_exit,
)
from spec.errors import MemhpError
from spec.worlds import BUILTIN, resolve_world


def register(sub: Any, common: Any) -> None:
    v = sub.add_parser("verify", help="explore and lockstep-test a world; write reports/")
    common(v)
    v.add_argument("--engines", default=None,
                   help="comma-separated: explore, hypothesis, mirror, smt (default "
                        "explore,hypothesis,mirror; an engine named here that cannot run on the "
                        "world and profile is exit 2, one left to the default is a note)")
    v.add_argument("--out", default="reports", help="where to write the reports (default ./reports)")
    v.add_argument("--seed", type=int, default=0, help="Hypothesis seed")
    v.add_argument("--budget", choices=("dev", "ci", "thorough"), default="ci", help="Hypothesis budget")
    v.add_argument("--max-depth", type=int, default=None, help="bound the exploration")
    v.add_argument("--mirror-depth", type=int, default=None, metavar="N",
                   help="bound the mirror engine to N operations from boot (default: to the end)")
    budget_args(v)
    engine_arg(v)
    g = v.add_mutually_exclusive_group()
    g.add_argument("--baseline", help="a memhp-baseline/1 file (default: the packaged one)")
    g.add_argument("--no-baseline", action="store_true", help="report every finding as new")
    v.add_argument("--list-worlds", action="store_true", help="list the built-in worlds and exit")
    output_args(v)
    # no --world and no --profile: the default world under every profile with a kernel mirror
    v.set_defaults(func=run, world=None)


def run_verify(w: Any, engines: list[str], seed: int, budget: str, baseline: Any,
               max_depth: int | None, progress: Any = None,
               budget_limits: tuple[int, int] | None = None, engine: str = "auto",
               mirror_depth: int | None = None) -> RunResult:
    """The verify pipeline, shared by the CLI and the tests. ``budget_limits``: the explorer's
    (max_states, max_memory MiB); None for the defaults. ``engine``: how the explorer runs the
    spec (checker.engines.explore.explore)."""
    from checker.review.baseline import compare
    from checker.engines.explore import explore, verdicts
    from checker.model import SpecModel

    from checker.engines import refusal

    model = SpecModel(w)
    result = RunResult("verify", w.profile, w.name)
    codes = []
    for e in list(engines):
        why = refusal(e, w, model.profile)
        if why is not None:  # defaulted engines only: _engines refuses named ones
            engines = [x for x in engines if x != e]
            result.notes.append(f"{e} did not run: {why}")
    expected: set[tuple[str, str]] = set()
    stateful = None
    if "hypothesis" in engines and "explore" in engines and baseline is not None:
        # the lockstep test runs on the other core while the explorer runs; it is told the
        # pinned findings, which the explorer then confirms or refutes
        expected = {(f["invariant"], f["cause"]) for f in baseline["findings"]
                    if f["profile"] == w.profile and f["world"] == w.name}
        stateful = _background(w, budget, frozenset(expected), seed)
    mirror = None
    if "mirror" in engines:  # beside the explorer, as the lockstep is
        mirror = _mirror_start(w, budget_limits, mirror_depth)
    if "explore" in engines:
        from checker.engines.size import default_max_memory_mib, default_max_states

        max_states, mib = budget_limits or (default_max_states(engine != "interpreted"),
                                            default_max_memory_mib())
        t0 = time.monotonic()
        try:
            res = explore(model, max_depth=max_depth, progress=progress, max_states=max_states,
                          max_rss=mib << 20, engine=engine)
        finally:
            finish(progress)
        result.timings["explore"] = time.monotonic() - t0 - (res.compile_seconds or 0.0)
        if res.compile_seconds is not None:  # shown on its own, not inside the explore time
            result.timings["compile"] = res.compile_seconds
        result.notes.append(engine_note(res))
        result.counts = {"states": res.states, "transitions": res.transitions, "depth": res.depth}
        result.invariants += verdicts(model, res, max_depth)
        result.findings = findings_of(w, res)
        expected |= set(res.hits)
        if res.complete:
            codes += _vacuity(w, result)
        else:
            result.notes.append(f"exploration bounded at depth {res.checked}: verdicts are 'passed' "
                                f"to that depth")
        result.notes.append(budget_note(res, max_states, mib))
        if baseline is not None:
            result.baseline = compare(result.findings, baseline, w.profile, w.name, res.complete,
                                      res.depth if res.checked is None else res.checked)
            if not result.baseline["ok"]:
                codes.append(EXIT_VIOLATION)
        elif result.findings:
            codes.append(EXIT_VIOLATION)
    if mirror is not None:
        codes += _mirror(mirror.result(), result)
    if "hypothesis" in engines:
        t0 = time.monotonic()
        sr = stateful.result() if stateful is not None else _stateful(w, budget, expected, seed)
        result.timings["hypothesis"] = sr.seconds if stateful is not None else time.monotonic() - t0
        codes += _hypothesis_verdicts(w, model, sr, expected, result)
    if "smt" in engines:
        from checker.commands.prove import verdict_exit
        from checker.engines.smt.engine import prove

        t0 = time.monotonic()
        # BMC to 6 steps, then k = 1 (memhp prove sets both): on the default world, what holds
        # is proved and the findings up to 6 steps long come with their traces in about two
        # minutes (the three ghost-field invariants, last, take half of it)
        smt, notes = prove(w, model.profile, 1, 300.0, bmc_depth=6)
        result.timings["smt"] = time.monotonic() - t0
        result.invariants += smt
        result.notes += notes
        codes.append(verdict_exit(smt))
    result.exit = combine_exit(codes)
    return result


def _mirror_start(w: Any, budget_limits: tuple[int, int] | None, depth: int | None) -> _Forked:
    """The mirror engine (checker.engines.mirror) in a forked process, within a quarter of the
    memory budget (the explorer, beside it, has the rest)."""
    from checker.engines.mirror import check_mirror
    from checker.engines.size import default_max_memory_mib

    mib = budget_limits[1] if budget_limits else default_max_memory_mib()
    return _Forked("mirror engine", partial(check_mirror, max_rss=(mib // 4) << 20,
                                            max_operations=depth), w)


def _mirror(mc: Any, result: RunResult) -> list[int]:
    """The mirror engine's verdict: a difference is exit 1; what it covered is a note."""
    result.timings["mirror"] = mc.seconds
    result.mirror = mc.to_json()
    result.notes.append(mc.note())
    for d in mc.differences:
        result.notes.append(f"mirror: {d.summary} (spec: {d.a}; mirror: {d.b})")
    return [] if mc.agrees else [EXIT_VIOLATION]


def _vacuity(w: Any, result: RunResult) -> list[int]:
    """A complete search that never reaches an invariant's sometimes twin leaves the invariant
    vacuous on this world: exit 1, unless the world declares it (``[vacuous]``, with a reason),
    which the notes then state. A declared twin that is reached (under another profile, say)
    only gets a note: the invariant was exercised after all."""
    declared = dict(w.vacuous)
    codes = []
    for inv in result.invariants:
        if inv.engine != "explore":
            continue
        why = declared.get(inv.name)
        if not inv.twin_reached and why:
            inv.vacuous = why
            result.notes.append(f"{inv.name} is vacuous on this world, as it declares: {why}")
        elif not inv.twin_reached:
            codes.append(EXIT_VIOLATION)
            result.notes.append(f"the sometimes twin of {inv.name} was never reached: the world or "
                                f"the spec leaves the invariant vacuous")
        elif why:
            result.notes.append(f"the world declares {inv.name} vacuous, but under {w.profile} its "
                                f"sometimes twin was reached, so it was checked")
    return codes


def _stateful(w: Any, budget: str, expected: set[tuple[str, str]], seed: int) -> Any:
    from checker.engines.stateful import run_stateful

    return run_stateful(w, budget=budget, expected=frozenset(expected), seed=seed)


class _Forked:
    """``fn(*args)`` in a forked process (the machine has two cores and the explorer holds one);
    runs it in this process where fork is not available. What it raises comes back as one
    line, as a MemhpError naming ``what``."""

    def __init__(self, what: str, fn: Any, *args: Any) -> None:
        import multiprocessing as mp

        self.what, self.fn, self.args = what, fn, args
        try:
            ctx = mp.get_context("fork")
        except ValueError:
            self.proc = None
            return
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_forked_main, args=(child, fn, args), daemon=True)
        self.proc.start()
        child.close()

    def result(self) -> Any:
        if self.proc is None:
            return self.fn(*self.args)
        try:
            kind, value = self.conn.recv()
        except EOFError:
            kind, value = "error", "the process died without a result"
        self.proc.join()
        if kind == "error":
            raise MemhpError(f"{self.what}: {value}")
        return value


def _background(w: Any, budget: str, expected: frozenset[tuple[str, str]], seed: int) -> _Forked:
    """run_stateful beside the explorer."""
    return _Forked("hypothesis engine", _stateful, w, budget, set(expected), seed)


def _forked_main(conn: Any, fn: Any, args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as e:  # report, never hang the parent
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _hypothesis_verdicts(w: Any, model: Any, sr: Any, expected: set[tuple[str, str]],
                         result: RunResult) -> list[int]:
    from checker.engines.explore import applicable
    from spec.invariants import BY_NAME

    codes = []
    bound = sr.bound
    for name in applicable(model):
        inv = BY_NAME[name]
        if sr.failure == name:
            trace = _trace_from_actions(w, sr.trace)
            trace.invariant, trace.cause, trace.message = name, sr.cause, sr.message
            result.invariants.append(InvariantResult(name, inv.seed_section, "hypothesis",
                                                     "violated", bound, trace, sr.message,
                                                     sr.cause or ""))
            if (name, sr.cause) not in expected:
                codes.append(EXIT_VIOLATION)
        else:
            known = sorted(c for n, c in expected if n == name)
            note = (f"no violation besides the known findings ({', '.join(known)})" if known else "")
            result.invariants.append(InvariantResult(name, inv.seed_section, "hypothesis",
                                                     "sampled", bound, None, note))
    if sr.failure == "lockstep":
        codes.append(EXIT_VIOLATION)
        result.notes.append(f"the kernel mirror and the spec diverge: {sr.message}")
    elif sr.failure and sr.failure not in applicable(model):
        codes.append(EXIT_VIOLATION)
        result.notes.append(f"Hypothesis failed: {sr.message}")
    return codes


def _trace_from_actions(w: Any, actions: list[Any]) -> Any:
    """Run actions through the spec to get a Trace with observations."""
    from checker.model import SpecModel
    from checker.formats.traces import Trace, TraceStep, annotate

    model = SpecModel(w)
    s = model.initial()[0]
    steps = []
    for a in actions:
        try:
            s, obs = model.step(s, a)
        except MemhpError:
            break
        steps.append(TraceStep(a, obs))
    return annotate(Trace(w.profile, w, steps), model)


def run(args: Any) -> int:
    from checker.review.baseline import load_baseline

    if args.list_worlds:
        for name in BUILTIN:
            w = resolve_world(name)
            print(f"{name:12} {w.profile:5} {w.description.splitlines()[0] if w.description else ''}")
        print("spin-bench:B=..,N=..,K=..,W=..  (the SPIN peer benchmark: memhp explore, memhp export promela)")
        return EXIT_OK
    every = args.world is None and not args.profile
    if args.world is None:
        args.world = "default"
    w = world_of(args)
    worlds = [w.with_profile(p) for p in mirrored()] if every else [w]
    limits = budgets(args, compiled=args.engine != "interpreted")
    sized(w, args.world, limits[0], args.max_depth)
    engines = _engines(args, worlds)
    baseline = None if args.no_baseline else load_baseline(args.baseline)
    if args.mirror_depth is not None and args.mirror_depth < 0:
        raise UsageError(f"--mirror-depth {args.mirror_depth}: expected 0 or more operations")
    results = [run_verify(x, engines, args.seed, args.budget, baseline, args.max_depth,
                          for_command(args.json), limits, args.engine, args.mirror_depth)
               for x in worlds]
    return _report(args, results, _not_checked(w) if every else [])


def mirrored() -> tuple[str, ...]:
    """The profiles with a kernel mirror: what plain ``memhp verify`` checks."""
    from spec.kernel import has_mirror
    from spec.profiles import PROFILES

    return tuple(p for p in PROFILES if has_mirror(p))


def _not_checked(w: Any) -> list[str]:
    """What plain ``memhp verify`` leaves to named runs, one line each for the summary."""
    from spec.profiles import PROFILES

    rest = [p for p in PROFILES if p not in mirrored()]
    others = [n for n in BUILTIN if n != w.name]
    return [f"profiles {', '.join(rest)}: no kernel mirror; `memhp verify --profile P` explores "
            f"their spec",
            f"worlds {', '.join(others)}: `memhp verify --world W` (docs/worlds.md)"]


def _engines(args: Any, worlds: list[Any]) -> list[str]:
    from checker.engines import refusal
    from spec.profiles import get_profile

    named = args.engines is not None
    engines = [e.strip() for e in (args.engines if named else "explore,hypothesis,mirror").split(",")
               if e.strip()]
    if not engines:
        raise UsageError("--engines: names no engine (expected explore, hypothesis, mirror, smt)")
    for e in engines:
        if e not in ("explore", "hypothesis", "mirror", "smt"):
            raise UsageError(f"--engines: unknown engine {e!r} (expected explore, hypothesis, "
                             f"mirror, smt)")
        for w in worlds if named else ():
            why = refusal(e, w, get_profile(w.profile))
            if why is not None:
                raise UsageError(f"--engines: {e} cannot run on world {w.name} under {w.profile}: {why}")
    if args.engine != "auto" and "explore" not in engines:
        raise UsageError(f"--engine {args.engine}: it says how explore runs, and --engines "
                         f"{','.join(engines)} does not run explore")
    return engines


def _report(args: Any, results: list[RunResult], not_checked: list[str]) -> int:
    from checker.formats.report import write_many, write_reports

    docs = [r.to_json() for r in results]
    if len(results) == 1:
        files = write_reports(results[0], args.out)
    else:
        files = write_many(results, args.out, not_checked)
    files += write_outputs(args, docs)
    code = combine_exit([r.exit for r in results])
    if args.json:
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=1))
        return code
    for r in results:
        print_summary(r)
    if len(results) > 1:
        print(f"checked: {', '.join(f'{r.profile} (exit {r.exit})' for r in results)} on world "
              f"{results[0].world}")
        for line in not_checked:
            print(f"not checked: {line}")
        print(f"exit {code}")
    print(f"reports: {', '.join(str(f) for f in files)}")
    return code
