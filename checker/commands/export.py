"""``memhp export promela|aiger``: a world for another model checker, written whole or not at all.

- ``promela --world spin-bench:B=..,N=..,K=..,W=.. [-o FILE]``: the benchmark world as Promela
  for SPIN (checker.engines.bench.promela).
- ``promela --world W [--profile P] [-o FILE]``: a spec world as Promela generated from the one
  definition of the steps and of the Monitor's history (checker.engines.compiled.promela): SPIN
  stores the states the compiled explorer stores.
- ``aiger --world W [--profile P] [--invariant NAME ...] -o FILE``: a spec world's transition relation, bit-blasted into
  binary AIGER for hardware model checkers such as ABC (checker.engines.smt.aiger), one output per state
  invariant. spin-bench worlds are refused: they have no kernel profile.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.commands.common import world_of
from checker.formats.results import EXIT_OK
from spec.errors import MemhpError


class ExportError(MemhpError):
    pass


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("export", help="export a world for another tool (promela: the model for SPIN; "
                                      "aiger: the relation for hardware model checkers such as ABC)")
    p.add_argument("format", choices=("promela", "aiger"), help="what to write")
    p.add_argument("--world", required=True,
                   help="a built-in world or a TOML file; promela also takes "
                        "spin-bench:B=..,N=..,K=..,W=.. (BUG=1..3 optional)")
    p.add_argument("--profile", help="the kernel profile (default: the world's; not for spin-bench)")
    p.add_argument("--invariant", action="append", metavar="NAME",
                   help="aiger: an output for this state invariant only (repeatable; default: every one)")
    p.add_argument("-o", "--output", help="write to this file instead of stdout (aiger: required)")
    p.set_defaults(func=run)


def _write(out: Path, data: bytes, what: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", prefix=".memhp-export-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    except OSError as e:
        raise ExportError(f"{out}: cannot write the {what} ({e.strerror})") from None


def run(args: Any) -> int:
    if args.format == "aiger":
        return _aiger(args)
    from checker.engines.bench.world import is_bench_name, parse_bench
    from checker.engines.bench.promela import render

    if args.invariant:
        raise ExportError("--invariant: only memhp export aiger takes it (the Promela model "
                          "asserts every history invariant)")
    if not is_bench_name(args.world):
        return _spec_promela(args)
    if args.profile:
        raise ExportError("--profile: a spin-bench world has no kernel profile")
    w = parse_bench(args.world)
    if not args.output:
        sys.stdout.write(render(w, "model.pml"))
        return EXIT_OK
    out = Path(args.output)
    _write(out, render(w, out.name).encode(), "Promela model")
    print(f"{out}: {w.name} as Promela; run: spin -a {out.name} && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000")
    return EXIT_OK


def _spec_promela(args: Any) -> int:
    from checker.engines import size
    from checker.engines.compiled.promela import render
    from checker.formats.traces import visible
    from checker.model import SpecModel
    from spec.profiles import get_profile

    w = world_of(args)
    size.check(w, args.world)
    model = SpecModel(w, get_profile(w.profile))
    if not args.output:
        sys.stdout.write(render(model))
        return EXIT_OK
    out = Path(args.output)
    _write(out, render(model, out.name).encode(), "Promela model")
    print(visible(f"{out}: world {w.name}, profile {model.profile.name} as Promela; run: spin -a "
                  f"{out.name} && gcc -O2 -DSAFETY -o pan pan.c && ./pan -E -m1000000"))
    return EXIT_OK


def _aiger(args: Any) -> int:
    from checker.engines.smt.aiger import export
    from checker.engines.smt.props import Props
    from checker.engines.smt.system import System
    from spec.profiles import get_profile

    if not args.output:
        raise ExportError("memhp export aiger: give -o FILE (the circuit is binary AIGER)")
    w = world_of(args)
    profile = get_profile(w.profile)
    sy = System(w, profile)
    known = Props(sy.L).names()
    bad = [n for n in args.invariant or () if n not in known]
    if bad:
        raise ExportError(f"--invariant {bad[0]}: not a state invariant of world {w.name} under "
                          f"{profile.name} (expected one of {', '.join(known)})")
    c = export(sy, args.invariant or None)
    out = Path(args.output)
    _write(out, c.binary(f"memhp export aiger --world {w.name} --profile {profile.name}: output j "
                         f"is raised in a state where state invariant j fails"), "AIGER circuit")
    print(f"{out}: world {w.name}, profile {profile.name} as AIGER: {len(c.inputs)} inputs (the path "
          f"selector), {len(c.latches)} latches, {len(c.g.ands)} and-gates, outputs "
          f"{', '.join(n for n, _ in c.outputs)}; an output raised at frame k is a violation after "
          f"k steps (e.g. berkeley-abc -c 'read_aiger {out.name}; bmc3 -F 10')")
    return EXIT_OK
