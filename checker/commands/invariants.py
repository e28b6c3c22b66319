"""``memhp invariants``: every promise the checker judges, with the seed's sentence behind it.

``memhp explain NAME`` (checker.commands.explain) says more about one of them.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from checker.formats.results import EXIT_OK


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("invariants", help="list every invariant with the sentence of memory-hotplug.txt it checks")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {name, seed_section, kind, text, quote}")
    p.set_defaults(func=run)


def rows() -> list[dict[str, str]]:
    from spec.invariants import INVARIANTS

    return [{"name": inv.name, "seed_section": inv.seed_section, "kind": inv.kind,
             "text": inv.text, "quote": inv.quote} for inv in INVARIANTS]


def run(args: Any) -> int:
    if args.json:
        print(json.dumps(rows(), indent=1))
        return EXIT_OK
    for r in rows():
        print(f"{r['name']}  (memory-hotplug.txt section {r['seed_section']}; {r['kind']})")
        print(textwrap.fill(f"\u201c{r['quote']}\u201d", 96, initial_indent="  ", subsequent_indent="   "))
        print(textwrap.fill(f"checks: {r['text']}", 96, initial_indent="  ", subsequent_indent="    "))
        print()
    print("memhp explain NAME says what an invariant means and how kernels break it.")
    return EXIT_OK
