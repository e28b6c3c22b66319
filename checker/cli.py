"""The ``memhp`` command (design.md section 6).

Exit codes for every command: 0 all hold (or the findings equal the baseline), 1 a violation or
a difference, 2 bad usage or input, 3 inconclusive; when several apply, 2 > 3 > 1 > 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Sequence

from checker.progress import finish, for_command
from checker.results import (
    EXIT_OK, EXIT_USAGE, EXIT_VIOLATION, Finding, InvariantResult, RunResult,
    combine_exit,
)
from spec.errors import MemhpError
from spec.profiles import PROFILES, get_profile
from spec.worlds import BUILTIN, resolve_world


class UsageError(MemhpError):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="memhp", description="Model and property checker for Linux memory hotplug")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--profile", choices=sorted(PROFILES), help="kernel profile (overrides the world's)")
        sp.add_argument("--world", default="default", help=f"a built-in world ({', '.join(BUILTIN)}) or a TOML file")
        sp.add_argument("--json", action="store_true", help="print the result as JSON (memhp-result/1)")

    v = sub.add_parser("verify", help="explore and lockstep-test a world; write reports/")
    common(v)
    v.add_argument("--engines", default="explore,hypothesis", help="comma-separated: explore, hypothesis, smt")
    v.add_argument("--out", default="reports", help="where to write the reports (default ./reports)")
    v.add_argument("--seed", type=int, default=0, help="Hypothesis seed")
    v.add_argument("--budget", choices=("dev", "ci", "thorough"), default="ci", help="Hypothesis budget")
    v.add_argument("--max-depth", type=int, default=None, help="bound the exploration")
    g = v.add_mutually_exclusive_group()
    g.add_argument("--baseline", help="a memhp-baseline/1 file (default: the packaged one)")
    g.add_argument("--no-baseline", action="store_true", help="report every finding as new")
    v.add_argument("--list-worlds", action="store_true", help="list the built-in worlds and exit")

    e = sub.add_parser("explore", help="explicit-state exploration; shortest counterexamples")
    common(e)
    e.add_argument("--max-depth", type=int, default=None)
    e.add_argument("--impl", help="explore a patched kernel mirror (.py file or dotted module), or 'mirror' for the base one")
    e.add_argument("--traces", help="write each counterexample as memhp-trace/1 JSON into this folder")
    e.add_argument("--graph", help="also write the state graph of a small world: FILE.dot, .svg, "
                   ".png or .graphml")
    e.add_argument("--graph-limit", type=int, default=None,
                   help="the most states --graph draws (default 5000)")
    e.add_argument("--from-snapshot", metavar="FILE",
                   help="start from the machine a snapshot (memhp snapshot) shows, instead of --world")
    e.add_argument("--no-symmetry", action="store_true",
                   help="explore every state, not one per symmetry orbit (spin-bench worlds)")

    r = sub.add_parser("replay", help="replay a trace through the spec or a kernel mirror")
    r.add_argument("file")
    r.add_argument("--profile", choices=sorted(PROFILES))
    r.add_argument("--impl", help="replay through this patched kernel mirror (or 'mirror' for the base one)")
    r.add_argument("--json", action="store_true")

    t = sub.add_parser("trace", help="render a trace (reads memhp-trace/1 or ITF JSON, or a "
                       "Markdown or shell file memhp wrote)")
    t.add_argument("file")
    t.add_argument("--format", choices=("text", "json", "itf", "markdown", "shell"), default="text")
    t.add_argument("-o", "--output", help="write to this file instead of standard output")
    for mod in _command_modules():
        mod.register(sub, common)
    return p


def _command_modules() -> list[Any]:
    """Further subcommands: every module of checker.commands with ``register(sub, common)``,
    which adds its parser and sets ``func`` (called with the parsed arguments, returns the exit
    code)."""
    import importlib
    import pkgutil

    import checker.commands as pkg

    return [importlib.import_module(f"checker.commands.{m.name}")
            for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name)]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code not in (0, None) else EXIT_OK
    try:
        func = getattr(args, "func", None) or globals()["_cmd_" + args.command]
        return int(func(args))
    except MemhpError as e:
        print(f"memhp: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("memhp: interrupted", file=sys.stderr)
        return 130


def _world(args: Any) -> Any:
    from checker.bench.world import is_bench_name

    if is_bench_name(args.world):
        raise UsageError(f"{args.world}: a spin-bench world has no kernel profile; run it with "
                         f"`memhp explore --world {args.world}` or export it with `memhp export promela`")
    w = resolve_world(args.world)
    if getattr(args, "profile", None):
        w = w.with_profile(args.profile)
    get_profile(w.profile)
    return w


def _findings(w: Any, model: Any, res: Any) -> list[Finding]:
    from checker.explanations import explain

    out = []
    for (inv, cause), trace in sorted(res.traces.items()):
        text, _known = explain(w.profile, inv, cause)
        out.append(Finding(w.profile, w.name, inv, cause, trace, text))
    return out


def run_verify(w: Any, engines: list[str], seed: int, budget: str, baseline: Any,
               max_depth: int | None, progress: Any = None) -> RunResult:
    """The verify pipeline, shared by the CLI and the tests."""
    from checker.baseline import compare
    from checker.explore import explore, verdicts
    from checker.model import SpecModel

    from spec.kernel import has_mirror

    model = SpecModel(w)
    result = RunResult("verify", w.profile, w.name)
    codes = []
    if "hypothesis" in engines and not has_mirror(w.profile):
        engines = [e for e in engines if e != "hypothesis"]
        result.notes.append(f"no kernel mirror of {w.profile}: the lockstep engine (hypothesis) "
                            f"did not run")
    expected: set[tuple[str, str]] = set()
    stateful = None
    if "hypothesis" in engines and "explore" in engines and baseline is not None:
        # the lockstep test runs on the other core while the explorer runs; it is told the
        # pinned findings, which the explorer then confirms or refutes
        expected = {(f["invariant"], f["cause"]) for f in baseline["findings"]
                    if f["profile"] == w.profile and f["world"] == w.name}
        stateful = _Background(w, budget, frozenset(expected), seed)
    if "explore" in engines:
        t0 = time.monotonic()
        try:
            res = explore(model, max_depth=max_depth, progress=progress)
        finally:
            finish(progress)
        result.timings["explore"] = time.monotonic() - t0
        result.counts = {"states": res.states, "transitions": res.transitions, "depth": res.depth}
        result.invariants += verdicts(model, res, max_depth)
        result.findings = _findings(w, model, res)
        expected |= set(res.hits)
        if res.complete:
            for inv in result.invariants:
                if inv.engine == "explore" and not inv.twin_reached:
                    codes.append(EXIT_VIOLATION)
                    result.notes.append(f"the sometimes twin of {inv.name} was never reached: the "
                                        f"world or the spec leaves the invariant vacuous")
        else:
            result.notes.append(f"exploration bounded at depth {max_depth}: verdicts are 'passed' to that depth")
        if baseline is not None:
            result.baseline = compare(result.findings, baseline, w.profile, w.name, res.complete,
                                      res.depth)
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
        from checker.smt.engine import prove

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


def _stateful(w: Any, budget: str, expected: set[tuple[str, str]], seed: int) -> Any:
    from checker.stateful import run_stateful

    return run_stateful(w, profile=budget, expected=frozenset(expected), seed=seed)


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
    from checker.explore import applicable
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
    from checker.traces import Trace, TraceStep

    model = SpecModel(w)
    s = model.initial()[0]
    steps = []
    for a in actions:
        try:
            s, obs = model.step(s, a)
        except MemhpError:
            break
        steps.append(TraceStep(a, obs))
    return Trace(w.profile, w, steps)


def _cmd_verify(args: Any) -> int:
    from checker.baseline import load_baseline
    from checker.report import write_reports

    if args.list_worlds:
        for name in BUILTIN:
            w = resolve_world(name)
            print(f"{name:12} {w.profile:5} {w.description.splitlines()[0] if w.description else ''}")
        print("spin-bench:B=..,N=..,K=..,W=..  (the SPIN peer benchmark: memhp explore, memhp export promela)")
        return EXIT_OK
    w = _world(args)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ("explore", "hypothesis", "smt"):
            raise UsageError(f"--engines: unknown engine {e!r} (expected explore, hypothesis, smt)")
    baseline = None if args.no_baseline else load_baseline(args.baseline)
    result = run_verify(w, engines, args.seed, args.budget, baseline, args.max_depth,
                        for_command(args.json))
    files = write_reports(result, args.out)
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
    else:
        _summary(result)
        print(f"reports: {', '.join(str(f) for f in files)}")
    return result.exit


def _summary(r: RunResult) -> None:
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


def _cmd_explore(args: Any) -> int:
    from pathlib import Path

    from checker.bench.world import is_bench_name
    from checker.explore import explore, verdicts
    from checker.model import MirrorModel, SpecModel, load_impl

    if is_bench_name(args.world or ""):
        from checker.bench.run import run_explore

        return run_explore(args, for_command(args.json))
    if args.from_snapshot:
        from checker.audit.world import world_from_snapshot

        w = world_from_snapshot(args.from_snapshot, args.profile)
    else:
        w = _world(args)
    if not args.impl:
        model: Any = SpecModel(w)
    else:
        model = MirrorModel(w, None if args.impl == "mirror" else load_impl(args.impl))
    if args.graph:
        _graph(model, args)
    progress = for_command(args.json)
    try:
        res = explore(model, max_depth=args.max_depth, progress=progress)
    finally:
        finish(progress)
    r = RunResult("explore", w.profile, w.name)
    r.counts = {"states": res.states, "transitions": res.transitions, "depth": res.depth}
    r.timings["explore"] = res.seconds
    r.invariants = verdicts(model, res, args.max_depth)
    r.findings = _findings(w, model, res)
    r.exit = EXIT_VIOLATION if res.hits else EXIT_OK
    if args.traces:
        d = Path(args.traces)
        try:
            d.mkdir(parents=True, exist_ok=True)
            for f in r.findings:
                f.trace.save(d / f"{f.invariant}--{f.cause.replace(':', '_')}.json")
        except OSError as e:
            raise UsageError(f"{d}: cannot write the traces ({e.strerror})") from None
    if args.json:
        print(json.dumps(r.to_json(), indent=1))
    else:
        _summary(r)
    return r.exit


def _graph(model: Any, args: Any) -> None:
    """--graph: the state graph, built before the exploration so that a world too big for a
    picture is refused at once, and written whole or not at all."""
    from pathlib import Path

    from checker import stategraph

    if Path(args.graph).suffix.lower() not in stategraph.SUFFIXES:
        raise UsageError(f"{args.graph}: --graph writes {', '.join(stategraph.SUFFIXES)}")
    g = stategraph.build(model, args.graph_limit or stategraph.DEFAULT_LIMIT, args.max_depth)
    how = stategraph.write(g, args.graph)
    if not args.json:
        print(f"state graph: {g.number_of_nodes():,} states, {g.number_of_edges():,} edges, "
              f"{len(stategraph.components(g))} strongly connected components -> {args.graph} ({how})")


def _cmd_replay(args: Any) -> int:
    from checker.formats import load
    from checker.model import MirrorModel, SpecModel, load_impl
    from checker.traces import replay

    trace = load(args.file)
    if (args.profile or trace.profile) not in PROFILES:
        raise UsageError(f"{args.file}: unknown profile {trace.profile!r} (expected one of {', '.join(PROFILES)})")
    w = trace.world.with_profile(args.profile or trace.profile)
    if args.impl:
        model: Any = MirrorModel(w, None if args.impl == "mirror" else load_impl(args.impl))
    else:
        model = SpecModel(w)
    rr = replay(trace, model)
    out = {"schema": "memhp-replay/1", "file": args.file, "model": model.name, "ok": rr.ok,
           "steps": rr.steps, "of": len(trace), "divergence": rr.divergence}
    if args.json:
        print(json.dumps(out, indent=1))
    elif rr.ok:
        print(f"{args.file}: replays through {model.name}: {rr.steps} steps, every observation as recorded")
    else:
        print(f"{args.file}: diverges on {model.name} after {rr.steps} steps: {rr.divergence}")
    return EXIT_OK if rr.ok else EXIT_VIOLATION


def _cmd_trace(args: Any) -> int:
    from checker.formats import load, render

    trace = load(args.file)
    text = render(trace, args.format, args.file)
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    _write_output(args.output, args.file, text, executable=args.format == "shell")
    return EXIT_OK


def _write_output(out: str, source: str, text: str, executable: bool = False) -> None:
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


if __name__ == "__main__":
    sys.exit(main())

