"""``memhp explore``: explicit-state exploration of the spec, the kernel mirror or a patched
mirror (or a spin-bench world); shortest counterexamples, optionally the state graph."""

from __future__ import annotations

import json
from typing import Any

from checker.commands.common import (UsageError, budget_args, budget_note, budgets, engine_arg,
                                     engine_note, findings_of, print_summary, reduce_arg, sized,
                                     world_of)
from checker.model import Model
from checker.commands.progress import finish, for_command
from checker.formats.results import EXIT_OK, EXIT_VIOLATION, RunResult


def register(sub: Any, common: Any) -> None:
    e = sub.add_parser("explore", help="explicit-state exploration; shortest counterexamples")
    common(e)
    e.add_argument("--max-depth", type=int, default=None,
                   help="explore only this many steps from boot (default: until no new state)")
    e.add_argument("--impl", help="explore a patched kernel mirror (.py file or dotted module), or 'mirror' for the base one")
    e.add_argument("--traces", help="write each counterexample as memhp-trace/1 JSON into this folder")
    e.add_argument("--graph", help="also write the state graph of a small world: FILE.dot, .svg, "
                   ".png or .graphml")
    e.add_argument("--graph-limit", type=int, default=None,
                   help="the most states --graph draws (default 5000)")
    e.add_argument("--from-snapshot", metavar="FILE",
                   help="start from the machine a snapshot (memhp snapshot) shows, instead of --world")
    e.add_argument("--blocks", metavar="LIST",
                   help="explore only these blocks of the world or snapshot, e.g. 0-3,16 (the "
                        "others are left out of the machine)")
    budget_args(e)
    engine_arg(e)
    reduce_arg(e)
    e.add_argument("--no-symmetry", action="store_true",
                   help="explore every state, not one per symmetry orbit (spin-bench worlds)")
    e.set_defaults(func=run)


def run(args: Any) -> int:
    from pathlib import Path

    from checker.engines.bench.world import is_bench_name
    from checker.engines.explore import explore, verdicts
    from checker.model import MirrorModel, SpecModel, load_impl

    if is_bench_name(args.world or ""):
        from checker.engines.bench.run import run_explore

        return run_explore(args, for_command(args.json))
    from checker.engines import size

    if args.from_snapshot:
        from checker.audit.world import world_from_snapshot

        w = world_from_snapshot(args.from_snapshot, args.profile)
        source = args.from_snapshot
    else:
        w = world_of(args)
        source = args.world
    if args.blocks:
        w = size.cut(w, size.parse_blocks(args.blocks), "--blocks")
    if args.no_reduce and args.impl:
        raise UsageError("--no-reduce: a kernel mirror is explored by its abstraction to the "
                         "spec's state, which has no reduction to turn off; drop --no-reduce")
    max_states, mib = budgets(args, compiled=not args.impl and args.engine != "interpreted")
    sized(w, source, max_states, args.max_depth)
    if not args.impl:
        model: Model = SpecModel(w, reduce=not args.no_reduce)
    else:
        model = MirrorModel(w, None if args.impl == "mirror" else load_impl(args.impl))
    graph = _graph(model, args) if args.graph else None
    progress = for_command(args.json)
    try:
        res = explore(model, max_depth=args.max_depth, progress=progress, max_states=max_states,
                      max_rss=mib << 20, engine=args.engine)
    finally:
        finish(progress)
    r = RunResult("explore", w.profile, w.name)
    r.counts = {"states": res.states, "transitions": res.transitions, "depth": res.depth}
    r.timings["explore"] = res.seconds
    if res.compile_seconds is not None:
        r.timings["compile"] = res.compile_seconds
    r.notes.append(engine_note(res))
    r.invariants = verdicts(model, res, args.max_depth)
    r.findings = findings_of(w, res)
    r.notes.append(budget_note(res, max_states, mib))
    r.exit = EXIT_VIOLATION if res.hits else EXIT_OK
    if graph is not None:
        _draw(graph, r.findings, args)
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
        print_summary(r)
    return r.exit


def _graph(model: Model, args: Any) -> Any:
    """--graph: the state graph, built before the exploration so that a world too big for a
    picture is refused at once; drawn after it (:func:`_draw`), with the findings marked."""
    from pathlib import Path

    from checker.engines import stategraph

    if Path(args.graph).suffix.lower() not in stategraph.SUFFIXES:
        raise UsageError(f"{args.graph}: --graph writes {', '.join(stategraph.SUFFIXES)}")
    return stategraph.build(model, args.graph_limit or stategraph.DEFAULT_LIMIT, args.max_depth)


def _draw(g: Any, findings: list[Any], args: Any) -> None:
    """Mark each finding's trace on the graph and write it whole or not at all; says on stderr
    what it is doing, since a large layout takes a while."""
    import sys

    from checker.engines import stategraph

    marked = stategraph.mark(g, [(f"{f.invariant} [{f.cause}]", [st.action for st in f.trace.steps])
                                 for f in findings])
    print(f"drawing the state graph ({g.number_of_nodes():,} states) to {args.graph}",
          file=sys.stderr, flush=True)
    how = stategraph.write(g, args.graph)
    if not args.json:
        print(f"state graph: {g.number_of_nodes():,} states, {g.number_of_edges():,} edges, "
              f"{len(stategraph.components(g))} strongly connected components, {marked} of "
              f"{len(findings)} findings marked in red -> {args.graph} ({how})")
