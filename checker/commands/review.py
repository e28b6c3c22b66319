"""``memhp review --impl MODULE``: a patched kernel mirror's broken promises, behaviour changes
and verdict, against a base profile (checker.review.engine).

Exit codes: 0 no observable change (to the bounds given), 1 broken promises or changed
behaviour, 2 bad usage or a patch that does not import, replaces nothing, or raises.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable

from checker.commands.common import UsageError
from checker.commands.outputs import announce, output_args, write_outputs
from spec.errors import MemhpError
from spec.profiles import get_profile
from spec.worlds import BUILTIN, resolve_world


#: the defaults of the review bounds (--template refuses a bound changed from them)
WORLD, DEPTH, OPS, BUDGET = "default", 8, 3, "dev"


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("review", help="what a patched kernel mirror breaks and changes")
    p.add_argument("--impl", help="the patch: a .py file or a dotted module")
    p.add_argument("--against", "--profile", dest="against", default=None,
                   help="the base profile (v3.4 or v6.1; default: the world's)")
    p.add_argument("--template", metavar="FUNCTION",
                   help="print the mirror function FUNCTION of --profile as the start of a patch "
                        "module, with the imports it needs, and exit")
    p.add_argument("--world", default=WORLD,
                   help=f"a built-in world ({', '.join(BUILTIN)}) or a TOML file")
    p.add_argument("--depth", type=int, default=DEPTH,
                   help=f"steps explored, every interleaving (default {DEPTH})")
    p.add_argument("--ops", type=int, default=OPS,
                   help=f"operations deep for the behaviour diff (default {OPS})")
    p.add_argument("--budget", choices=("none", "dev", "ci", "thorough"), default=BUDGET,
                   help=f"Hypothesis lockstep budget (default {BUDGET}; none skips it)")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed of the lockstep run (default 0)")
    p.add_argument("--json", action="store_true", help="print memhp-review/1 JSON")
    p.add_argument("--markdown", metavar="FILE",
                   help="write the Markdown report to FILE (- prints it; without the option, a "
                        "short summary is printed)")
    output_args(p)
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from checker.commands.diff import mermaid_renderer, write_text
    from checker.review.engine import load_patch, review
    from checker.review.report import review_json, review_markdown

    if args.template is not None:
        return _template(args)
    if args.impl is None:
        raise UsageError("review needs --impl MODULE (or --template FUNCTION to start one)")
    w = resolve_world(args.world)
    against = get_profile(args.against or w.profile)
    if args.depth < 0 or args.ops < 1:
        raise MemhpError("--depth must be >= 0 and --ops >= 1")
    impl = load_patch(args.impl)
    r = review(args.impl, impl, against, w, args.depth, args.ops,
               None if args.budget == "none" else args.budget, args.seed)
    md = review_markdown(r, mermaid_renderer())
    if args.markdown and args.markdown != "-":
        write_text(args.markdown, md)
    doc = review_json(r)
    announce(write_outputs(args, [doc]))
    if args.json:
        print(json.dumps(doc, indent=1))
    elif args.markdown == "-":
        print(md)
    else:
        print(short(r, args.markdown))
    return r.exit


def short(r: Any, markdown: str | None) -> str:
    """What a terminal gets: the verdict, one line per broken promise and per kind of change,
    and where the full report is (or how to get it)."""
    lines = [f"{r.impl} against {r.against} on world {r.world}: {r.verdict} ({len(r.broken)} "
             f"broken, {len(r.diff.differences) if r.diff else 0} differences, "
             f"{len(r.sooner)} reached sooner)"]
    for b in r.broken:
        steps = f", {len(b.trace)} steps" if b.trace is not None else ""
        lines.append(f"  breaks {b.invariant} [{b.cause}] ({b.engine}{steps}): {b.message}")
    for (inv, cause), mine, base in r.sooner:
        lines.append(f"  reaches {inv} [{cause}] in {mine} steps; the base needs {base}")
    for tag in (r.diff.tags() if r.diff else []):
        lines.append(f"  changes: {tag}")
    if r.lockstep.startswith("diverges"):
        lines.append(f"  lockstep: {r.lockstep}")
    lines.append(f"report: {markdown}" if markdown else
                 "the full report with traces: --markdown FILE (or --markdown - to print it here)")
    from checker.formats.traces import visible

    return "\n".join(visible(line) for line in lines)


def _template(args: Any) -> int:
    from checker.review.template import template

    given = [flag for flag, on in (("--impl", args.impl is not None), ("--json", args.json),
                                   ("--markdown", args.markdown is not None),
                                   ("--world", args.world != WORLD), ("--depth", args.depth != DEPTH),
                                   ("--ops", args.ops != OPS), ("--budget", args.budget != BUDGET),
                                   ("--seed", args.seed != 0)) if on]
    if given:
        raise UsageError(f"--template prints a function and exits: {', '.join(given)} would do nothing")
    if args.against is None:
        raise UsageError("--template needs --profile (v3.4 or v6.1)")
    print(template(args.template, args.against), end="")
    return 0
