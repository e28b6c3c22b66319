"""``memhp explore --world spin-bench:...``: the benchmark world through the generic explorer.

Prints the counts (``transitions`` is edges; SPIN's "transitions" is edges + 1 and is printed
beside it), the orbit counts under symmetry, each invariant's verdict and the shortest
counterexamples. Leaves out what needs a kernel profile (``--profile``, ``--impl``, baselines).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checker.engines.bench.model import BenchModel
from checker.engines.bench.world import parse_bench
from checker.formats.results import EXIT_OK, EXIT_VIOLATION
from spec.errors import MemhpError


class BenchUsageError(MemhpError):
    pass


def run_explore(args: Any, progress: Any = None) -> int:
    from checker.engines.explore import explore, verdicts
    from checker.commands.progress import finish

    w = parse_bench(args.world)
    for opt in ("profile", "impl"):
        if getattr(args, opt, None):
            raise BenchUsageError(f"--{opt}: {w.name} has no kernel profile or mirror "
                                  f"(it is the SPIN benchmark's abstraction)")
    if getattr(args, "engine", "auto") != "auto":
        raise BenchUsageError(f"--engine: {w.name} is explored as packed ints by its own search; "
                              f"drop --engine")
    model = BenchModel(w)
    no_symmetry = getattr(args, "no_symmetry", False) or getattr(args, "no_reduce", False)
    res = explore(model, max_depth=args.max_depth, progress=progress, symmetry=not no_symmetry)
    finish(progress)
    invs = verdicts(model, res, args.max_depth)
    code = EXIT_VIOLATION if res.traces else EXIT_OK
    if args.traces:
        d = Path(args.traces)
        try:
            d.mkdir(parents=True, exist_ok=True)
            for (inv, cause), t in sorted(res.traces.items()):
                (d / f"{inv}--{cause}.json").write_text(json.dumps(t.to_json(), indent=1) + "\n")
        except OSError as e:
            raise BenchUsageError(f"{d}: cannot write the traces ({e.strerror})") from None
    out = result_json(w.name, res, invs, code)
    if args.json:
        print(json.dumps(out, indent=1))
        return code
    c = out["counts"]
    print(f"world {w.name}: {c['states']:,} states, {c['transitions']:,} transitions "
          f"(SPIN counts {c['transitions'] + 1:,}), depth {c['depth']}, "
          f"{'complete' if res.complete else 'bounded'}; {res.seconds:.1f} s")
    if res.symmetry:
        print(f"symmetry: {res.orbits:,} orbits, {res.orbit_transitions:,} transitions from them "
              f"(group of order {res.group_order}); the counts above are the sums over the orbits")
    else:
        print("symmetry: off" + ("" if no_symmetry else
                                 " (this world has no interchangeable writers or blocks)"))
    for inv in invs:
        extra = f" [{inv.cause}] {len(inv.trace)} steps" if inv.trace is not None else ""
        print(f"  explore    {inv.name:4} {inv.verdict:9} bound={inv.bound}{extra}")
    for (_, _), t in sorted(res.traces.items()):
        print(t.text())
    print(f"exit {code}")
    return code


def result_json(world: str, res: Any, invs: list[Any], code: int) -> dict[str, Any]:
    """The run as ``memhp-bench-result/1`` (counts as memhp-result/1 has them, plus symmetry)."""
    return {
        "schema": "memhp-bench-result/1", "command": "explore", "profile": "bench", "world": world,
        "exit": code,
        "counts": {"states": res.states, "transitions": res.transitions, "depth": res.depth,
                   "spin_transitions": res.transitions + 1},
        "complete": res.complete,
        "symmetry": {"on": res.symmetry, "orbits": res.orbits,
                     "orbit_transitions": res.orbit_transitions, "group_order": res.group_order},
        "seconds": res.seconds,
        "invariants": [{"name": i.name, "text": i.seed_section, "engine": i.engine,
                        "verdict": i.verdict, "bound": i.bound, "cause": i.cause,
                        "trace": i.trace.to_json() if i.trace is not None else None} for i in invs],
    }
