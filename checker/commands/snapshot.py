"""``memhp snapshot [SYSFS_ROOT] -o FILE.tar.gz``: a read-only copy of memory/ and node/.

Reads ``SYSFS_ROOT/devices/system/memory`` and ``.../node`` (default ``/sys``) with read-only
opens and writes them as a snapshot archive (:mod:`checker.audit.snapshot`), which
``memhp audit FILE`` and ``memhp explore --from-snapshot FILE`` read back.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable

from checker.formats.results import EXIT_OK


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("snapshot", help="copy /sys/devices/system/{memory,node} into a .tar.gz (read-only)")
    p.add_argument("root", nargs="?", default="/sys", help="the sysfs root to copy (default /sys)")
    p.add_argument("-o", "--output", required=True, help="the archive to write (FILE.tar.gz)")
    p.add_argument("--json", action="store_true", help="print what was written as JSON (memhp-snapshot/1)")
    p.set_defaults(func=run)


def run(args: Any) -> int:
    from checker.audit.run import count_view
    from checker.audit.snapshot import write_snapshot

    dest, view = write_snapshot(args.root, args.output)
    counts = count_view(view)
    blocks, nodes = counts["blocks"], counts["nodes"]
    if args.json:
        print(json.dumps({"schema": "memhp-snapshot/1", "output": str(dest), "root": args.root, "entries": len(view),
                          "blocks": blocks, "nodes": nodes}))
    else:
        print(f"{dest}: {len(view)} entries of {args.root}/devices/system "
              f"({blocks} memory blocks, {nodes} nodes)")
    return EXIT_OK
