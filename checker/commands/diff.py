"""``memhp diff A B``: the observable behaviours that tell two profiles apart (checker.review.diff).

Exit codes: 0 no difference, 1 differences found, 2 bad usage (an unknown profile, a bad world,
a file that cannot be written).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

from checker.commands.outputs import announce, output_args, write_outputs
from checker.review.diff import DEFAULT_DEPTH
from checker.formats.results import EXIT_OK, EXIT_VIOLATION
from spec.errors import MemhpError
from spec.profiles import PROFILES, get_profile
from spec.worlds import BUILTIN, resolve_world


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("diff", help="observable behaviours that tell two profiles apart")
    p.add_argument("a", metavar="PROFILE_A", help=f"one of {', '.join(PROFILES)}")
    p.add_argument("b", metavar="PROFILE_B", help="the profile compared with PROFILE_A")
    p.add_argument("--world", default="default",
                   help=f"a built-in world ({', '.join(BUILTIN)}) or a TOML file")
    p.add_argument("--depth", type=int, default=DEFAULT_DEPTH,
                   help=f"operations deep (default {DEFAULT_DEPTH})")
    p.add_argument("--json", action="store_true", help="print memhp-diff/1 JSON")
    p.add_argument("--markdown", metavar="FILE",
                   help="write the Markdown report to FILE (- prints it; without the option, a "
                        "short summary is printed)")
    output_args(p)
    p.set_defaults(func=run)


def mermaid_renderer() -> Callable[[Any], str] | None:
    """The Mermaid sequence diagram renderer of checker.formats.markdown, where it exists."""
    try:
        from checker.formats.markdown import mermaid
    except ImportError:
        return None
    return mermaid  # type: ignore[no-any-return]


def write_text(path: str, text: str) -> None:
    p = Path(path)
    try:
        p.write_text(text)
    except OSError as e:
        raise MemhpError(f"{p}: cannot write the report ({e.strerror})") from None


def run(args: Any) -> int:
    from checker.review.diff import diff_models
    from checker.model import SpecModel
    from checker.review.report import diff_json, diff_markdown

    pa, pb = get_profile(args.a), get_profile(args.b)
    if args.depth < 1:
        raise MemhpError(f"--depth {args.depth}: expected at least 1 operation")
    w = resolve_world(args.world)
    r = diff_models(SpecModel(w, pa), SpecModel(w, pb), args.depth)
    code = EXIT_VIOLATION if r.differences else EXIT_OK
    md = diff_markdown(r, mermaid_renderer())
    if args.markdown and args.markdown != "-":
        write_text(args.markdown, md)
    doc = diff_json(r, code)
    announce(write_outputs(args, [doc]))
    if args.json:
        print(json.dumps(doc, indent=1))
    elif args.markdown == "-":
        print(md)
    else:
        print(_short(r))
        print(f"report: {args.markdown}" if args.markdown else
              "each difference with both traces: --markdown FILE (or --markdown - to print it here)")
    return code


def _short(r: Any) -> str:
    lines = [f"{r.a} vs {r.b} on world {r.world}: {len(r.differences)} differences "
             f"({r.pairs:,} pairs, {r.seconds:.1f} s)"]
    for t in r.tags():
        lines.append(f"  {t}")
    return "\n".join(lines)
