"""``--html DIR``, ``--junit FILE`` and ``--sarif FILE``: the reports for people and for CI.

Every command that judges something (verify, prove, review, diff, conform) has one JSON document
(memhp-result/1, memhp-review/1, memhp-diff/1, memhp-conform/1). The three writers read only those
documents, so a command writes them after it ran, and ``memhp report`` writes them later from the
JSON files (docs/reports.md). Each file is written whole: to a temporary name, then renamed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spec.errors import MemhpError

#: The documents the writers read, by their ``schema`` key.
KINDS = ("memhp-result/1", "memhp-review/1", "memhp-diff/1", "memhp-conform/1")


def output_args(p: Any) -> None:
    """Add --html, --junit and --sarif to a command's parser."""
    p.add_argument("--html", metavar="DIR",
                   help="write DIR/index.html: the results and a step-through viewer of every "
                        "trace, one self-contained page (docs/reports.md)")
    p.add_argument("--junit", metavar="FILE",
                   help="write JUnit XML: one testcase per invariant and engine, a new finding as "
                        "a failure with its trace (one the baseline pins passes; docs/ci.md)")
    p.add_argument("--sarif", metavar="FILE",
                   help="write SARIF 2.1.0: each new finding a result at the mirror function, the "
                        "trace as its code flow (docs/ci.md)")


def wanted(args: Any) -> bool:
    return any(getattr(args, k, None) for k in ("html", "junit", "sarif"))


def write_outputs(args: Any, docs: list[dict[str, Any]]) -> list[Path]:
    """Write what --html, --junit and --sarif ask for, from ``docs``; the paths written."""
    written: list[Path] = []
    if getattr(args, "junit", None):
        from checker.formats.junit import junit_xml

        written.append(write_whole(Path(args.junit), junit_xml(docs)))
    if getattr(args, "sarif", None):
        from checker.formats.sarif import sarif_log

        written.append(write_whole(Path(args.sarif), json.dumps(sarif_log(docs), indent=1) + "\n"))
    if getattr(args, "html", None):
        from checker.formats.html import html_page

        d = Path(args.html)
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise MemhpError(f"{d}: cannot create the report directory ({e.strerror})") from None
        written.append(write_whole(d / "index.html", html_page(docs)))
    return written


def announce(paths: list[Path]) -> None:
    """Name the files written, on stderr (stdout may carry --json)."""
    import sys

    for path in paths:
        print(f"wrote {path}", file=sys.stderr)


def write_whole(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same directory, so that a
    reader never sees half a report."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise MemhpError(f"{path}: cannot write the report ({e.strerror})") from None
    return path


def load_document(path: str) -> dict[str, Any]:
    """One JSON document a command wrote, validated against its schema; one-line errors."""
    from checker.formats.schemas import validate

    from spec.files import read_text_input

    p = Path(path)
    # a regular file of bounded size, UTF-8 (a FIFO or a device is refused, never read)
    text = read_text_input(p, "JSON document", MemhpError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise MemhpError(f"{p}: not JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except (ValueError, RecursionError) as e:  # an integer too long to convert, deep nesting
        raise MemhpError(f"{p}: not a JSON document memhp wrote ({e})") from None
    kind = data.get("schema") if isinstance(data, dict) else None
    if kind not in KINDS:
        raise MemhpError(f"{p}: its 'schema' is {kind!r}; expected one of {', '.join(KINDS)} "
                         f"(the --json output of verify, prove, review, diff or conform)")
    validate(data, kind, str(p))
    return data  # type: ignore[no-any-return]


__all__ = ["KINDS", "announce", "load_document", "output_args", "wanted", "write_outputs", "write_whole"]
