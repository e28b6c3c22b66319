"""What ``memhp verify`` writes to reports/: a Markdown summary and a JSON result.

Every invariant is listed with its verdict and bound per engine; every finding about the kernel
with its explanation (the C code path) and its shortest trace.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

from checker.review.baseline import to_baseline
from checker.formats.markdown import md_code, md_fence, md_text
from checker.formats.results import RunResult
from spec.errors import MemhpError


def markdown(r: RunResult) -> str:
    lines = [f"# memhp verify: world {md_code(r.world)}, profile {md_code(r.profile)}", ""]
    c = r.counts
    lines.append(f"Exit {r.exit}. Explored {c['states']:,} states and {c['transitions']:,} "
                 f"transitions to depth {c['depth']}.")
    if r.timings:
        lines.append("Times: " + ", ".join(f"{k} {v:.1f} s" for k, v in r.timings.items())
                     + f" ({platform.machine()}, Python {platform.python_version()}).")
    for note in r.notes:
        lines.append(f"- {md_text(note)}")
    lines += ["", "## Invariants", "", "| invariant | memory-hotplug.txt section | engine | verdict | bound | twin reached |",
              "| --- | --- | --- | --- | --- | --- |"]
    for inv in r.invariants:
        twin = "" if inv.twin_reached is None else ("yes" if inv.twin_reached else "**no**")
        verdict = inv.verdict if inv.verdict != "violated" else f"**violated** ({md_text(inv.cause)})"
        lines.append(f"| {md_text(inv.name)} | {md_text(inv.seed_section)} | {inv.engine} | {verdict} "
                     f"| {md_text(inv.bound)} | {twin} |")
    b = r.baseline
    lines += ["", "## Findings about the kernel", ""]
    if b:
        lines.append(f"Baseline: {b.get('pinned', 0)} pinned; new: {len(b.get('new', []))}; "
                     f"disappeared: {len(b.get('missing', []))}; not checked: {len(b.get('not_checked', []))}.")
        for key in b.get("missing", []):
            lines.append(f"- **disappeared**: {md_code(key)}")
        for key in b.get("not_checked", []):
            lines.append(f"- not checked (deeper than this run): {md_code(key)}")
        lines.append("")
    if not r.findings:
        lines.append("None.")
    for f in r.findings:
        lines += [f"### {md_code(f.invariant)} \\[{md_text(f.cause)}\\] ({f.status})", "",
                  f"Profile {md_code(f.profile)} breaks memory-hotplug.txt section {md_text(_section(r, f.invariant))}. "
                  f"{f.explanation}", "",
                  f"Shortest trace ({len(f.trace)} steps, engine {f.engine}):", "",
                  *md_fence(f.trace.text()), ""]
    return "\n".join(lines) + "\n"


def _section(r: RunResult, name: str) -> str:
    for inv in r.invariants:
        if inv.name == name:
            return inv.seed_section
    return "?"


def write_reports(r: RunResult, out: str | Path) -> list[Path]:
    """Write summary.md, result.json and baseline.json (this run's findings) to ``out``."""
    d = Path(out)
    try:
        d.mkdir(parents=True, exist_ok=True)
        files = []
        for name, text in (("summary.md", markdown(r)),
                           ("result.json", json.dumps(r.to_json(), indent=1) + "\n"),
                           ("baseline.json", json.dumps(to_baseline(r.findings), indent=1) + "\n")):
            tmp = d / (name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(d / name)
            files.append(d / name)
        return files
    except OSError as e:
        raise MemhpError(f"{d}: cannot write the reports ({e.strerror})") from None
