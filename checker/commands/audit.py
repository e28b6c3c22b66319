"""``memhp audit [SYSFS_ROOT|SNAPSHOT | --world W | --trace FILE] [--profile P] [--json] [--graph FILE]``.

Audits a live sysfs tree (default ``/sys``, read-only), a copied tree or a snapshot archive
against the structural invariants of :mod:`spec.audit`, under the profile given or detected
from the files present. Prints one line per finding (invariant, rule, files, expected, found,
seed section) or the ``memhp-audit/1`` JSON; ``--graph`` draws the link graph (.svg, .png,
.dot, .mmd). ``--world`` and ``--trace`` audit (and draw) a spec state instead: a world's
initial state or the state a trace ends in. Exit 1 on a violated rule, 0 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("audit", help="check a live sysfs tree or a snapshot against the spec's structure")
    p.add_argument("source", nargs="?", default="/sys",
                   help="a sysfs root (default /sys) or a snapshot archive (.tar.gz)")
    from spec.audit import AUDIT_PROFILES

    p.add_argument("--profile", choices=sorted(AUDIT_PROFILES),
                   help="kernel profile (default: detected from the files present)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (memhp-audit/1)")
    p.add_argument("--graph", help="draw the link graph into FILE (.svg, .png, .dot or .mmd)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--world", help="audit the view the spec renders for this world's initial state")
    g.add_argument("--trace", help="audit the view the spec renders after this trace (memhp-trace/1)")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from checker.audit.run import audit_source, audit_state

    if args.world or args.trace:
        rep = audit_state(args.world, args.profile, args.trace)
    else:
        rep = audit_source(args.source, args.profile)
    out = rep.to_json()
    if args.graph:
        from checker.audit.graph import build, write_picture  # networkx: only for pictures

        g = build(rep.view, rep.findings)
        title = rep.source if rep.kind == "spec" else Path(rep.source).name
        fmt = write_picture(g, args.graph, f"{title} ({rep.profile})")
        out["graph"] = {"file": args.graph, "format": fmt, "vertices": g.number_of_nodes(),
                        "edges": g.number_of_edges()}
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(rep.text())
        if args.graph:
            print(f"graph: {args.graph} ({out['graph']['format']})")
    return rep.exit
