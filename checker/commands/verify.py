"""``memhp verify``: explore and lockstep-test a world (and optionally prove it); write reports/.

The main job (README "Set up"): the explorer and the Hypothesis lockstep run side by side, the
findings compared with the packaged baseline. Engines are checked against their declarations
(checker.engines) before anything runs.
"""

from __future__ import annotations

import json
import time
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
                   help="comma-separated: explore, hypothesis, smt (default explore,hypothesis; an "
                        "engine named here that cannot run on the world and profile is exit 2)")
    v.add_argument("--out", default="reports", help="where to write the reports (default ./reports)")
    v.add_argument("--seed", type=int, default=0, help="Hypothesis seed")
    v.add_argument("--budget", choices=("dev", "ci", "thorough"), default="ci", help="Hypothesis budget")
    v.add_argument("--max-depth", type=int, default=None, help="bound the exploration")
    budget_args(v)
    engine_arg(v)
    g = v.add_mutually_exclusive_group()
    g.add_argument("--baseline", help="a memhp-baseline/1 file (default: the packaged one)")
    g.add_argument("--no-baseline", action="store_true", help="report every finding as new")
    v.add_argument("--list-worlds", action="store_true", help="list the built-in worlds and exit")
    output_args(v)
    v.set_defaults(func=run)


def run_verify(w: Any, engines: list[str], seed: int, budget: str, baseline: Any,
               max_depth: int | None, progress: Any = None,
               budget_limits: tuple[int, int] | None = None, engine: str = "auto") -> RunResult:
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
        if why is not None:  # defaulted engines only: _cmd_verify refuses named ones
            engines = [x for x in engines if x != e]
            result.notes.append(f"{e} did not run: {why}")
    expected: set[tuple[str, str]] = set()
    stateful = None
    if "hypothesis" in engines and "explore" in engines and baseline is not None:
        # the lockstep test runs on the other core while the explorer runs; it is told the
        # pinned findings, which the explorer then confirms or refutes
        expected = {(f["invariant"], f["cause"]) for f in baseline["findings"]
                    if f["profile"] == w.profile and f["world"] == w.name}
        stateful = _Background(w, budget, frozenset(expected), seed)
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


class _Background:
    """run_stateful in a forked process (the machine has two cores); falls back to running it
    in this process where fork is not available."""

    def __init__(self, w: Any, budget: str, expected: frozenset[tuple[str, str]], seed: int) -> None:
        import multiprocessing as mp

        self.args = (w, budget, set(expected), seed)
        try:
            ctx = mp.get_context("fork")
        except ValueError:
            self.proc = None
            return
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_background_main, args=(child, *self.args), daemon=True)
        self.proc.start()
        child.close()

    def result(self) -> Any:
        if self.proc is None:
            return _stateful(*self.args)
        try:
            kind, value = self.conn.recv()
        except EOFError:
            kind, value = "error", "the lockstep process died without a result"
        self.proc.join()
        if kind == "error":
            raise MemhpError(f"hypothesis engine: {value}")
        return value


def _background_main(conn: Any, w: Any, budget: str, expected: set[tuple[str, str]], seed: int) -> None:
    try:
        conn.send(("ok", _stateful(w, budget, expected, seed)))
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
    from checker.formats.report import write_reports

    if args.list_worlds:
        for name in BUILTIN:
            w = resolve_world(name)
            print(f"{name:12} {w.profile:5} {w.description.splitlines()[0] if w.description else ''}")
        print("spin-bench:B=..,N=..,K=..,W=..  (the SPIN peer benchmark: memhp explore, memhp export promela)")
        return EXIT_OK
    w = world_of(args)
    limits = budgets(args, compiled=args.engine != "interpreted")
    sized(w, args.world, limits[0], args.max_depth)
    from checker.engines import refusal
    from spec.profiles import get_profile

    named = args.engines is not None
    engines = [e.strip() for e in (args.engines if named else "explore,hypothesis").split(",")
               if e.strip()]
    if not engines:
        raise UsageError("--engines: names no engine (expected explore, hypothesis, smt)")
    for e in engines:
        if e not in ("explore", "hypothesis", "smt"):
            raise UsageError(f"--engines: unknown engine {e!r} (expected explore, hypothesis, smt)")
        why = refusal(e, w, get_profile(w.profile)) if named else None
        if why is not None:
            raise UsageError(f"--engines: {e} cannot run on world {w.name} under {w.profile}: {why}")
    if args.engine != "auto" and "explore" not in engines:
        raise UsageError(f"--engine {args.engine}: it says how explore runs, and --engines "
                         f"{','.join(engines)} does not run explore")
    baseline = None if args.no_baseline else load_baseline(args.baseline)
    result = run_verify(w, engines, args.seed, args.budget, baseline, args.max_depth,
                        for_command(args.json), limits, args.engine)
    doc = result.to_json()
    files = write_reports(result, args.out) + write_outputs(args, [doc])
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print_summary(result)
        print(f"reports: {', '.join(str(f) for f in files)}")
    return result.exit
