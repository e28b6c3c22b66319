"""``memhp trace``: render a trace (memhp-trace/1 or ITF JSON, or a Markdown or shell file memhp
wrote) as text, JSON, ITF, Markdown or a shell reproducer."""

from __future__ import annotations

import sys
from typing import Any

from checker.commands.common import write_output
from checker.formats.results import EXIT_OK


def register(sub: Any, common: Any) -> None:
    t = sub.add_parser("trace", help="render a trace (reads memhp-trace/1 or ITF JSON, or a "
                       "Markdown or shell file memhp wrote)")
    t.add_argument("file", help="the trace to render")
    t.add_argument("--format", choices=("text", "json", "itf", "markdown", "shell"), default="text",
                   help="text (default), memhp-trace/1 JSON, ITF JSON, Markdown with a Mermaid "
                        "diagram, or a shell reproducer")
    t.add_argument("-o", "--output", help="write to this file instead of standard output")
    t.add_argument("--spin-model", metavar="PML",
                   help="FILE is what `spin -t -p PML` printed for a SPIN counterexample of the "
                        "Promela `memhp export promela --world W` wrote: read it as a memhp trace "
                        "(give the same --world and --profile)")
    t.add_argument("--world", help="with --spin-model: the world the model was exported for")
    t.add_argument("--profile", help="with --spin-model: its profile (default: the world's)")
    t.set_defaults(func=run)


def encodable(text: str) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (a byte that was not UTF-8, read from a
    trace's JSON) written as its escape, ``\\udcff``, instead of failing the write."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _print(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # standard output in an encoding that lacks some character
        enc = sys.stdout.encoding or "ascii"
        sys.stdout.write(text.encode(enc, "backslashreplace").decode(enc))


def run(args: Any) -> int:
    from checker.formats import load, render

    if not args.spin_model and (args.world or args.profile):
        from checker.commands.common import UsageError

        raise UsageError("--world, --profile: only with --spin-model (a memhp trace names its own "
                         "world and profile)")
    trace = _from_spin(args) if args.spin_model else load(args.file)
    text = encodable(render(trace, args.format, args.file))
    if not args.output:
        _print(text)
        return EXIT_OK
    write_output(args.output, args.file, text, executable=args.format == "shell")
    return EXIT_OK


def _from_spin(args: Any) -> Any:
    """The SPIN counterexample in ``args.file`` as a memhp trace (checker.engines.compiled.promela)."""
    from checker.commands.common import UsageError, world_of
    from checker.engines.compiled.promela import TrailError, spin_trace
    from checker.model import SpecModel
    from spec.files import read_text_input
    from spec.profiles import get_profile

    if not args.world:
        raise UsageError("--spin-model: give --world (and --profile) as given to memhp export promela")
    w = world_of(args)
    pml = read_text_input(args.spin_model, "Promela model", UsageError)
    shown = read_text_input(args.file, "output of spin -t -p", UsageError, 1 << 30)
    try:
        return spin_trace(SpecModel(w, get_profile(w.profile)), pml, shown)
    except TrailError as e:
        raise UsageError(f"{args.spin_model if e.in_model else args.file}: {e}") from None
