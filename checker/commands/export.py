"""``memhp export promela --world spin-bench:B=..,N=..,K=..,W=.. [-o FILE]``: the benchmark world as
Promela for SPIN (checker.promela). Spec worlds are refused with a one-line error: their step
function has no Promela rendering. The output file is written whole or not at all."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from checker.results import EXIT_OK
from spec.errors import MemhpError


class ExportError(MemhpError):
    pass


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("export", help="export a world for another tool (promela: the model for SPIN)")
    p.add_argument("format", choices=("promela",), help="what to write")
    p.add_argument("--world", required=True, help="spin-bench:B=..,N=..,K=..,W=.. (BUG=1..3 optional)")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from checker.bench.world import is_bench_name, parse_bench
    from checker.promela import render

    if not is_bench_name(args.world):
        raise ExportError(f"{args.world}: only spin-bench:B=..,N=..,K=..,W=.. worlds have a Promela "
                          f"rendering (the spec worlds' step function has none)")
    w = parse_bench(args.world)
    if not args.output:
        sys.stdout.write(render(w, "model.pml"))
        return EXIT_OK
    out = Path(args.output)
    text = render(w, out.name)
    try:
        fd, tmp = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", prefix=".memhp-export-")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, out)
    except OSError as e:
        raise ExportError(f"{out}: cannot write the Promela model ({e.strerror})") from None
    print(f"{out}: {w.name} as Promela; run: spin -a {out.name} && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000")
    return EXIT_OK
