"""``python -m checker.engines.smt.parametric [--profile P] [--timeout S] [--bmc-depth D] [--json]``.

Prints one line per parametric invariant (verdict, then what it rests on) and exits as
design.md section 4 says: 0 all proved, 1 a violation, 3 a cti or unknown, 2 bad usage (or a
profile the parametric model does not render: one line naming the behaviour it lacks).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from checker.formats.results import (
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATION,
    combine_exit,
)
from checker.engines.smt.parametric import PROFILES, prove_all
from spec.errors import MemhpError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m checker.engines.smt.parametric",
                                 description="parametric Z3 proofs of the core invariants")
    ap.add_argument("--profile", default="v6.1",
                    help=f"one of {', '.join(PROFILES)} (the profiles the model renders)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per solver query")
    ap.add_argument("--bmc-depth", type=int, default=0,
                    help="search a finite instance this deep for a violation of what is not proved")
    ap.add_argument("--json", action="store_true")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_OK
    if args.timeout <= 0 or args.bmc_depth < 0:
        print("memhp: error: --timeout must be > 0 and --bmc-depth >= 0", file=sys.stderr)
        return EXIT_USAGE
    t0 = time.monotonic()
    try:
        results = prove_all(args.profile, args.timeout, args.bmc_depth)
    except MemhpError as e:
        print(f"memhp: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    codes = [EXIT_VIOLATION if r.verdict == "violated" else
             EXIT_INCONCLUSIVE if r.verdict in ("cti", "unknown") else EXIT_OK for r in results]
    code = combine_exit(codes)
    if args.json:
        print(json.dumps({"profile": args.profile, "exit": code,
                          "seconds": round(time.monotonic() - t0, 2),
                          "invariants": [r.to_json() for r in results]}, indent=1))
        return code
    width = max(len(r.name) for r in results)
    print(f"parametric proofs, profile {args.profile} "
          f"({time.monotonic() - t0:.1f} s, timeout {args.timeout:g} s)")
    for r in results:
        print(f"  {r.name:<{width}}  {r.verdict:<8}  {r.message}")
    return code


if __name__ == "__main__":
    sys.exit(main())
