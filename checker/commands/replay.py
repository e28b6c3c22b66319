"""``memhp replay``: replay a trace through the spec or a (patched) kernel mirror."""

from __future__ import annotations

import json
from typing import Any

from checker.commands.common import UsageError
from checker.model import Model
from checker.formats.results import EXIT_OK, EXIT_VIOLATION
from spec.profiles import PROFILES


def register(sub: Any, common: Any) -> None:
    r = sub.add_parser("replay", help="replay a trace through the spec or a kernel mirror")
    r.add_argument("file", help="a trace: memhp-trace/1 or ITF JSON, or a Markdown or shell file memhp wrote")
    r.add_argument("--profile", choices=sorted(PROFILES),
                   help="replay under this profile instead of the trace's own")
    r.add_argument("--impl", help="replay through this patched kernel mirror (or 'mirror' for the base one)")
    r.add_argument("--json", action="store_true", help="print the result as JSON (memhp-replay/1)")
    r.set_defaults(func=run)


def run(args: Any) -> int:
    from checker.formats import load
    from checker.model import MirrorModel, SpecModel, load_impl
    from checker.formats.traces import finding_status, replay, visible

    trace = load(args.file)
    if (args.profile or trace.profile) not in PROFILES:
        raise UsageError(f"{args.file}: unknown profile {trace.profile!r} (expected one of {', '.join(PROFILES)})")
    w = trace.world.with_profile(args.profile or trace.profile)
    if args.impl:
        model: Model = MirrorModel(w, None if args.impl == "mirror" else load_impl(args.impl))
    else:
        model = SpecModel(w)
    rr = replay(trace, model)
    status = finding_status(trace, model)
    out = {"schema": "memhp-replay/1", "file": args.file, "model": model.name, "ok": rr.ok,
           "steps": rr.steps, "of": len(trace), "divergence": rr.divergence}
    if status is not None:
        out["finding"] = {"invariant": trace.invariant, "cause": trace.cause,
                          "status": status[0], "text": status[1]}
    if args.json:
        print(json.dumps(out, indent=1))
        return EXIT_OK if rr.ok else EXIT_VIOLATION
    if rr.ok:
        print(f"{visible(args.file)}: replays through {model.name}: {rr.steps} steps, every observation as recorded")
    else:
        print(f"{visible(args.file)}: diverges on {model.name} after {rr.steps} steps: {rr.divergence}")
    if status is not None:
        print(f"{visible(args.file)}: on {model.name} the trace {status[1]}")
    return EXIT_OK if rr.ok else EXIT_VIOLATION
