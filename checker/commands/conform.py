"""``memhp conform``: run the model's traces on Linux 6.1 under QEMU and compare step by step.

Builds the kit once (checker.conform.kit), generates the suite from the v6.1 spec (or reads
traces given with ``--trace``), boots one guest per world, replays every trace with a restore
between them, and writes reports/conformance.md and conformance.json. Exit 0 when every trace
agrees, 1 on a divergence, 2 on bad input or a missing package, 3 when a guest failed (error
verdicts are inconclusive, never agreement).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from checker.commands.outputs import output_args, write_outputs
from spec.errors import MemhpError
from spec.profiles import PROFILES, get_profile

QEMU_WORLDS = ("qemu-2node", "qemu-3node")


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("conform", help="replay the model's traces on a real 6.1 kernel under QEMU")
    p.add_argument("--short", action="store_true", help="the CI subset (one world, every action kind and errno)")
    p.add_argument("--world", action="append", choices=QEMU_WORLDS,
                   help="run the suite of this world only (repeatable; default both)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="v6.1",
                   help="the spec profile that predicts (default v6.1; v3.4 shows a divergence)")
    p.add_argument("--trace", action="append", default=[], metavar="FILE",
                   help="replay this memhp-trace/1 file (on a qemu world) instead of the suite")
    p.add_argument("--limit", type=int, help="run only the first N traces")
    p.add_argument("--list", action="store_true", help="list the suite and exit (no QEMU)")
    p.add_argument("--out", default="reports", help="where to write conformance.md/json (default ./reports)")
    p.add_argument("--json", action="store_true", help="print the JSON report to stdout")
    p.add_argument("--tap", action="store_true",
                   help="print TAP version 13 to stdout, one test per trace, instead of the "
                        "summary (docs/ci.md)")
    output_args(p)
    p.set_defaults(func=run)


def _suite(args: argparse.Namespace) -> list[tuple[str, Any, str]]:
    from checker.conform.suite import generate, short
    from checker.formats.traces import Trace
    from spec.worlds import builtin_world

    if args.trace:
        out = []
        for f in args.trace:
            t = Trace.load(f)
            if t.world.name not in QEMU_WORLDS:
                raise MemhpError(f"{f}: world {t.world.name!r} is not a QEMU world "
                                 f"(conform runs {', '.join(QEMU_WORLDS)})")
            out.append((Path(f).stem, t, "given trace"))
        return out
    names = args.world or (["qemu-2node"] if args.short else list(QEMU_WORLDS))
    suite = generate([builtin_world(n) for n in QEMU_WORLDS if n in names])
    if args.short:
        suite = short(suite, names[0])
    return suite[: args.limit] if args.limit else suite


def _first_world(args: argparse.Namespace) -> str | None:
    if args.trace:
        return None
    return (args.world or ["qemu-2node"])[0]


class _EarlyBoot:
    """Boots the first world's guest on a thread while the suite is generated; hands it to the
    first ``boot`` of that world, later boots start fresh guests. ``close`` reaps an unused one."""

    def __init__(self, kit: Any, world: str | None, progress: Any) -> None:
        import threading

        from checker.conform.machine import Guest
        from spec.worlds import builtin_world

        self.kit, self.progress, self.guest, self.error = kit, progress, None, None
        self.thread = None
        self.world = world
        if world is not None:
            self.guest = Guest(kit, builtin_world(world), progress)
            self.guest.launch()  # on this thread: QEMU dies with the thread that forked it
            self.thread = threading.Thread(target=self._start, daemon=True)
            self.thread.start()

    def _start(self) -> None:
        try:
            self.guest.wait_ready()  # type: ignore[union-attr]
        except BaseException as e:  # reported when the guest is wanted
            self.error = e

    def boot(self, world: Any) -> Any:
        from checker.conform.machine import Guest

        if self.guest is not None and world.name == self.world:
            g, self.guest = self.guest, None
            self.thread.join()  # type: ignore[union-attr]
            if self.error is not None:
                g.close()
                raise self.error
            return g
        g = Guest(self.kit, world, self.progress)
        return g.__enter__()

    def close(self) -> None:
        if self.guest is not None:
            self.guest.close()  # kills QEMU; the booting thread then fails and ends
            self.thread.join(timeout=10)  # type: ignore[union-attr]
            self.guest = None


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds through the guests' context managers, which reap QEMU


def run(args: argparse.Namespace) -> int:
    from checker.conform import report
    from checker.conform.kit import build_kit
    from checker.conform.predict import operations
    from checker.conform.run import run_suite

    t0 = time.monotonic()

    def progress(msg: str) -> None:
        print(f"[{time.monotonic() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    if args.limit is not None and args.limit < 1:
        raise MemhpError("--limit must be at least 1")
    if args.tap and (args.json or args.list):
        from checker.commands.common import UsageError

        raise UsageError(f"conform: --tap and --{'json' if args.json else 'list'} both print to "
                         f"stdout; give one of them")
    if args.list:
        suite = _suite(args)
        for name, t, purpose in suite:
            print(f"{name}\t{len(operations(t))} ops\t{purpose}")
        return 0
    kit = build_kit(progress)
    progress(f"kit ready ({kit.kernel_release})")
    old = signal.signal(signal.SIGTERM, _terminate)
    early = _EarlyBoot(kit, _first_world(args), progress)
    try:
        suite = _suite(args)  # generated while the first guest boots
        for name, t, _ in suite:
            operations(t)  # refuses interleaved traces before any runs
        progress(f"suite: {len(suite)} traces")
        result = run_suite(suite, get_profile(args.profile), early.boot, progress)
    finally:
        early.close()
        signal.signal(signal.SIGTERM, old)
    meta = {"kernel": kit.kernel_release, "profile": args.profile,
            "suite": "given traces" if args.trace else ("short" if args.short else "full"),
            "machine": "QEMU 7.2 q35 TCG"}
    md, js = report.write(result, meta, Path(args.out))
    s = report.summary(result)
    doc = report.to_json(result, meta)
    if args.tap:
        from checker.conform.tap import tap

        progress(f"wrote {md} and {js}")
        print(tap(doc), end="", flush=True)
    else:
        progress(f"agreement {s['agreement']} ({s['diverged']} diverged, {s['error']} errors) in "
                 f"{time.monotonic() - t0:.0f} s; wrote {md} and {js}")
    for path in write_outputs(args, [doc]):
        progress(f"wrote {path}")
    if args.json:
        print(json.dumps(doc, indent=1))
    if s["error"]:
        return 3
    return 1 if s["diverged"] else 0
