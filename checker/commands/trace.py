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
    t.add_argument("file")
    t.add_argument("--format", choices=("text", "json", "itf", "markdown", "shell"), default="text")
    t.add_argument("-o", "--output", help="write to this file instead of standard output")
    t.set_defaults(func=run)


def run(args: Any) -> int:
    from checker.formats import load, render

    trace = load(args.file)
    text = render(trace, args.format, args.file)
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    write_output(args.output, args.file, text, executable=args.format == "shell")
    return EXIT_OK
