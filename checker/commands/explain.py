"""``memhp explain NAME``: what one invariant means, what makes it non-vacuous, and how it breaks.

"How it breaks" is what the project knows: the findings the packaged baseline pins on unmodified
profiles, each with the C code path that produces it (checker.review.explanations). A patch can
break it in other ways; ``memhp review`` finds those.
"""

from __future__ import annotations

import textwrap
from typing import Any

from checker.commands.common import UsageError
from checker.formats.results import EXIT_OK


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("explain", help="what an invariant means and how kernels break it")
    p.add_argument("name", help="an invariant (memhp invariants lists them)")
    p.set_defaults(func=run)


def _fill(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, 96, initial_indent=indent, subsequent_indent=indent)


def run(args: Any) -> int:
    import difflib

    from checker.review.baseline import load_baseline
    from checker.review.explanations import explain
    from spec.invariants import BY_NAME

    inv = BY_NAME.get(args.name)
    if inv is None:
        near = difflib.get_close_matches(args.name, list(BY_NAME), n=1)
        hint = f"; did you mean {near[0]}?" if near else "; memhp invariants lists them"
        raise UsageError(f"no invariant {args.name!r}{hint}")
    judged = ("in every quiescent state (no operation in flight)" if inv.kind == "state"
              else "on every observation, as each step happens")
    out = [f"{inv.name}: memory-hotplug.txt section {inv.seed_section}", "",
           "The document says:", _fill(f"\u201c{inv.quote}\u201d"), "",
           "The checker's reading:", _fill(f"{inv.text}; judged {judged}."), "",
           "Its premise (the sometimes twin, which a complete search must reach, or the invariant "
           "is vacuous on that world):", _fill(inv.twin + "."), ""]
    pinned = [f for f in load_baseline(None)["findings"] if f["invariant"] == inv.name]
    if pinned:
        out.append("Known findings on unmodified profiles (the packaged baseline):")
        for f in pinned:
            why, known = explain(f["profile"], f["invariant"], f["cause"])
            out += ["", f"  {f['profile']}, world {f['world']}, {f['cause']} "
                        f"(shortest trace {f['length']} steps):", _fill(why, "    ")]
    else:
        out.append("No unmodified profile breaks it on the worlds the packaged baseline covers.")
    out += ["", f"To see a trace: memhp explore --traces traces, then memhp trace "
                f"traces/{inv.name}--CAUSE.json. To check a patch: memhp review --impl PATCH.py."]
    print("\n".join(out))
    return EXIT_OK
