"""``memhp prove``: BMC and k-induction of the encoded invariants with Z3 (engine ``smt``).

Verdicts proved / violated (with a trace, decoded and replayed through the spec) / cti (a
counterexample to induction, with its pre-state) / unknown (solver timeout); exit codes of
design.md section 4 (cti and unknown: 3). ``--parametric`` runs the parametric proofs of
``checker.engines.smt.parametric`` where that model is installed.

Leaves out: the baseline (prove reports raw results: any violation exits 1).
"""

from __future__ import annotations

import json
from typing import Any

from checker.commands.common import world_of
from checker.commands.outputs import announce, output_args, write_outputs
from checker.formats.results import (
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_VIOLATION,
    InvariantResult,
    RunResult,
    combine_exit,
)
from spec.errors import MemhpError


class ProveUsageError(MemhpError):
    pass


#: the longest --timeout (seconds, 30 days): Z3 takes its limits as whole milliseconds
MAX_TIMEOUT = 30 * 24 * 3600


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("prove", help="prove the invariants with Z3 (BMC and k-induction)")
    common(p)
    p.add_argument("--k", type=int, default=2, help="largest k tried by k-induction (default 2)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds for the whole run (default 300)")
    p.add_argument("--parametric", action="store_true",
                   help="the parametric proofs (any number of blocks, nodes, callbacks, writers)")
    p.add_argument("--bmc-depth", type=int, default=None, metavar="D",
                   help="BMC to D transitions before k-induction (default k - 1)")
    p.add_argument("--mine", action="store_true",
                   help="read the candidate lemmas off the spec's states, not a certificate")
    p.add_argument("--lemmas", metavar="FILE", help="candidate lemmas from this certificate")
    p.add_argument("--save-lemmas", metavar="FILE",
                   help="mine the candidate lemmas, write them to FILE (a new file), prove with them")
    output_args(p)
    p.set_defaults(func=run)


def verdict_exit(results: list[InvariantResult]) -> int:
    codes = [EXIT_OK]
    for r in results:
        if r.verdict == "violated":
            codes.append(EXIT_VIOLATION)
        elif r.verdict in ("cti", "unknown"):
            codes.append(EXIT_INCONCLUSIVE)
    return combine_exit(codes)


def _save_lemmas(w: Any, profile: Any, path: Any) -> Any:
    """Mine the candidates of the whole reachable state space and write their certificate."""
    from checker.engines.smt import certificate
    from checker.engines.smt.lemmas import mine
    from checker.engines.smt.system import System

    if path.exists():
        raise ProveUsageError(f"--save-lemmas {path}: the file exists; name a new file")
    if not path.parent.is_dir():
        raise ProveUsageError(f"--save-lemmas {path}: no directory {path.parent}")
    sy = System(w, profile)
    cands, nstates, complete = mine(sy, budget=10**9)
    if not complete:
        raise ProveUsageError(f"--save-lemmas {path}: the search did not finish")
    try:
        with path.open("x") as f:  # never over a file that appeared meanwhile
            f.write(certificate.dump(sy.L, cands, nstates))
    except OSError as e:
        raise ProveUsageError(f"--save-lemmas {path}: cannot write it ({e.strerror})") from None
    print(f"lemma certificate written to {path} ({nstates} spec states)")
    return path


def run(args: Any) -> int:

    if args.k < 1:
        raise ProveUsageError(f"--k {args.k}: k must be at least 1")
    if args.bmc_depth is not None and args.bmc_depth < 0:
        raise ProveUsageError(f"--bmc-depth {args.bmc_depth}: must be 0 or more")
    if not 0 < args.timeout <= MAX_TIMEOUT:
        raise ProveUsageError(f"--timeout {args.timeout}: must be a positive number of seconds, "
                              f"at most {MAX_TIMEOUT:,}")
    w = world_of(args)
    from spec.profiles import get_profile

    profile = get_profile(w.profile)
    notes: list[str] = []
    if args.parametric:
        from checker.engines import refusal
        from checker.engines.smt.parametric import prove_all

        unsupported = refusal("parametric", w, profile)
        if unsupported is not None:
            raise ProveUsageError(f"--parametric: {unsupported}")
        results = list(prove_all(profile, args.timeout, args.bmc_depth or 0))
    else:
        from pathlib import Path

        from checker.engines.smt.engine import prove

        lemma_file = Path(args.lemmas) if args.lemmas else None
        if args.save_lemmas:
            lemma_file = _save_lemmas(w, profile, Path(args.save_lemmas))
        if lemma_file is not None and not lemma_file.is_file():
            raise ProveUsageError(f"--lemmas {lemma_file}: no such file")
        from checker.commands.progress import finish, phases_for_command

        phases = phases_for_command(args.json)
        try:
            results, notes = prove(w, profile, args.k, args.timeout, lemma_file=lemma_file,
                                   mine_fresh=args.mine, bmc_depth=args.bmc_depth, phase=phases)
        finally:
            finish(phases)
    res = RunResult("prove", profile.name, w.name, invariants=results, notes=notes)
    res.exit = verdict_exit(results)
    announce(write_outputs(args, [res.to_json()]))
    if args.json:
        print(json.dumps(res.to_json(), indent=1))
        return res.exit
    depth = args.bmc_depth if args.bmc_depth is not None else 0
    bmc = (f"BMC to depth {max(args.k - 1, depth)}, " if not args.parametric else
           f"BMC of the 2x2 instance to depth {depth}, " if depth else "")
    print(f"world {w.name}, profile {profile.name}: {bmc}k-induction up to k={args.k}, "
          f"timeout {args.timeout:g} s")
    for r in results:
        extra = f" [{r.cause}] {len(r.trace)} steps" if r.trace is not None else ""
        print(f"  {r.engine:6} {r.name:22} {r.verdict:9} bound={r.bound}{extra}")
        if r.verdict in ("cti", "unknown") and r.message:
            print(f"         {r.message}")
    for n in notes:
        print(f"  note: {n}")
    print(f"exit {res.exit}")
    return res.exit
