"""Branch coverage of the kernel mirror (spec/kernel/) under the worlds verify checks by default.

``python -m checker.engines.mirror_coverage [--out FILE] [--depth N] [--world W ...]`` runs the
mirror engine (checker/engines/mirror.py) of every profile with a mirror on each world under
coverage.py with branch measurement, and writes a Markdown report: per mirror module the
statements and branches reached, then every line and branch left unreached, with its source
line, so that each is either reached by a world added to the default sets or given its reason.

Leaves out: the Hypothesis lockstep (sampled; what it reaches beyond the mirror engine is
interleavings, not new code) and the unit tests (coverage by tests is not coverage by the
checker). Needs coverage.py (the ``test`` extra).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from spec.errors import MemhpError

#: what verify checks with no arguments (and review's default world)
DEFAULT_WORLDS = ("default",)


def measure(worlds: tuple[str, ...], depth: int | None) -> tuple[Any, list[str]]:
    """Run the mirror engine of each mirrored profile on ``worlds`` under coverage; returns the
    coverage data and one line per run."""
    try:
        import coverage
    except ImportError:
        raise MemhpError("coverage.py is not installed (pip install -e '.[test]')") from None
    if "spec.kernel" in sys.modules:  # its definitions ran unmeasured: they would count as missed
        raise MemhpError("the mirror was imported before coverage started: run "
                         "`python -m checker.engines.mirror_coverage` in a process of its own")
    mirror_dir = Path(__file__).resolve().parents[2] / "spec" / "kernel"
    cov = coverage.Coverage(branch=True, source=[str(mirror_dir)], data_file=None)
    cov.start()  # the mirror's modules are imported, and so measured, from here on
    try:
        from checker.commands.verify import mirrored
        from checker.engines.mirror import check_mirror
        from spec.worlds import resolve_world

        runs = []
        for name in worlds:
            base = resolve_world(name)
            for profile in mirrored():
                w = base.with_profile(profile)
                t0 = time.monotonic()
                mc = check_mirror(w, max_operations=depth)
                runs.append(f"{w.name} under {profile}: {mc.bound()}, {mc.pairs:,} pairs, "
                            f"{mc.runs:,} runs, {'agrees' if mc.agrees else 'DIFFERS'}, "
                            f"{time.monotonic() - t0:.0f} s under coverage")
    finally:
        cov.stop()
    return cov, runs


def report(cov: Any, runs: list[str]) -> str:
    """The Markdown report of a :func:`measure`."""
    root = Path(__file__).resolve().parents[2]
    data = cov.get_data()
    lines = ["# Branch coverage of the kernel mirror", "",
             "Measured by `python -m checker.engines.mirror_coverage` (coverage.py, branch mode) "
             "over the mirror engine's runs:", ""]
    lines += [f"- {r}" for r in runs]
    lines += ["", "| module | statements | missed | branches | partial or missed |",
              "| --- | --- | --- | --- | --- |"]
    detail: list[str] = []
    total = [0, 0, 0, 0]
    per_dir: dict[str, list[int]] = {}
    for f in sorted(data.measured_files()):
        rel = Path(f).resolve().relative_to(root).as_posix()
        an = cov._analyze(f)  # the public API prints; the analysis is what report() reads
        stmts, missed = len(an.statements), len(an.missing)
        nb = an.numbers
        branches, part = nb.n_branches, nb.n_missing_branches
        total = [total[0] + stmts, total[1] + missed, total[2] + branches, total[3] + part]
        d = per_dir.setdefault(Path(rel).parent.as_posix(), [0, 0, 0, 0])
        d[:] = [d[0] + stmts, d[1] + missed, d[2] + branches, d[3] + part]
        lines.append(f"| `{rel}` | {stmts} | {missed} | {branches} | {part} |")
        src = Path(f).read_text(encoding="utf-8").splitlines()
        gone = sorted(an.missing)
        arcs = sorted((a, b) for a, bs in an.missing_branch_arcs().items() for b in bs)
        if gone or arcs:
            detail += ["", f"## `{rel}`", ""]
            for n in gone:
                detail.append(f"- line {n} never runs: `{src[n - 1].strip()}`")
            for a, b in arcs:
                to = "the function's exit" if b < 0 else f"line {b}"
                detail.append(f"- branch {a} -> {to} never taken: `{src[a - 1].strip()}`")
    lines.append(f"| all | {total[0]} | {total[1]} | {total[2]} | {total[3]} |")
    lines += ["", "| folder | statements reached | branches taken |", "| --- | --- | --- |"]
    for name, (st, mi, br, pa) in sorted(per_dir.items()):
        lines.append(f"| `{name}/` | {_pct(st, mi)} | {_pct(br, pa)} |")
    lines += ["", f"Statements reached: {_pct(total[0], total[1])}. "
                  f"Branches taken: {_pct(total[2], total[3])}."]
    return "\n".join(lines + detail) + "\n"


def _pct(n: int, missed: int) -> str:
    return f"{100.0 * (n - missed) / n:.1f}%" if n else "-"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m checker.engines.mirror_coverage",
                                description=__doc__.splitlines()[0])
    p.add_argument("--out", default="reports/mirror-coverage.md", help="the Markdown report")
    p.add_argument("--depth", type=int, default=None,
                   help="bound each mirror engine run to N operations (default: to the end)")
    p.add_argument("--world", action="append", default=None,
                   help="a world to run (repeatable; default: the default world)")
    args = p.parse_args(argv)
    try:
        cov, runs = measure(tuple(args.world or DEFAULT_WORLDS), args.depth)
        text = report(cov, runs)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except MemhpError as e:
        print(f"memhp: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"memhp: error: {args.out}: cannot write ({e.strerror})", file=sys.stderr)
        return 2
    print(text.split("\n\n## ")[0].splitlines()[-1])
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
