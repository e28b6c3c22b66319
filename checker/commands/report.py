"""``memhp report``: the HTML page, JUnit XML and SARIF of results written earlier.

It reads the JSON documents that verify (reports/result.json), prove, review, diff and conform
(``--json``) wrote, validates each against its schema, and writes what --html, --junit and --sarif
ask for, all documents in one page or one file (docs/reports.md).
"""

from __future__ import annotations

from typing import Any

from checker.commands.common import UsageError
from checker.commands.outputs import load_document, output_args, wanted, write_outputs
from checker.formats.results import EXIT_OK


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser(
        "report", help="write the HTML page, JUnit XML or SARIF of JSON results memhp wrote")
    p.add_argument("documents", nargs="+", metavar="JSON",
                   help="memhp-result/1, memhp-review/1, memhp-diff/1 or memhp-conform/1 files")
    output_args(p)
    p.set_defaults(func=run)


def run(args: Any) -> int:
    if not wanted(args):
        raise UsageError("report: say what to write (--html DIR, --junit FILE or --sarif FILE)")
    docs = [load_document(path) for path in args.documents]
    for path in write_outputs(args, docs):
        print(f"wrote {path}")
    return EXIT_OK
