"""``memhp prove``: BMC and k-induction of the encoded invariants with Z3 (engine ``smt``).

Verdicts proved / violated (with a trace, decoded and replayed through the spec) / cti (a
counterexample to induction, with its pre-state) / unknown (solver timeout); exit codes of
design.md section 4 (cti and unknown: 3). ``--parametric`` runs the parametric proofs of
``checker.smt.parametric`` where that model is installed.

Leaves out: the baseline (prove reports raw results: any violation exits 1).
"""

from __future__ import annotations

import json
from typing import Any

from checker.results import (
    EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATION, InvariantResult, RunResult, combine_exit,
)
from spec.errors import MemhpError


class ProveUsageError(MemhpError):
    pass


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("prove", help="prove the invariants with Z3 (BMC and k-induction)")
    common(p)
    p.add_argument("--k", type=int, default=2, help="largest k tried by k-induction (default 2)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole run (default 120)")
    p.add_argument("--parametric", action="store_true",
                   help="the parametric proofs (any number of blocks, nodes, callbacks, writers)")
    p.set_defaults(func=run)


def verdict_exit(results: list[InvariantResult]) -> int:
    codes = [EXIT_OK]
    for r in results:
        if r.verdict == "violated":
            codes.append(EXIT_VIOLATION)
        elif r.verdict in ("cti", "unknown"):
            codes.append(EXIT_INCONCLUSIVE)
    return combine_exit(codes)


def run(args: Any) -> int:
    from checker.cli import _world

    if args.k < 1:
        raise ProveUsageError(f"--k {args.k}: k must be at least 1")
    if not args.timeout > 0:
        raise ProveUsageError(f"--timeout {args.timeout}: must be a positive number of seconds")
    w = _world(args)
    from spec.profiles import get_profile

    profile = get_profile(w.profile)
    notes: list[str] = []
    if args.parametric:
        try:
            from checker.smt.parametric import prove_all  # type: ignore[attr-defined]
        except ImportError:
            raise ProveUsageError("--parametric: the parametric model is not installed "
                                  "(checker.smt.parametric.prove_all is missing)") from None
        results = list(prove_all(profile.name, args.timeout))
    else:
        from checker.smt.engine import prove

        results, notes = prove(w, profile, args.k, args.timeout)
    res = RunResult("prove", profile.name, w.name, invariants=results, notes=notes)
    res.exit = verdict_exit(results)
    if args.json:
        print(json.dumps(res.to_json(), indent=1))
        return res.exit
    print(f"world {w.name}, profile {profile.name}: k-induction up to k={args.k}, timeout {args.timeout:g} s")
    for r in results:
        extra = f" [{r.cause}] {len(r.trace)} steps" if r.trace is not None else ""
        print(f"  {r.engine:6} {r.name:22} {r.verdict:9} bound={r.bound}{extra}")
        if r.verdict in ("cti", "unknown") and r.message:
            print(f"         {r.message}")
    for n in notes:
        print(f"  note: {n}")
    print(f"exit {res.exit}")
    return res.exit
