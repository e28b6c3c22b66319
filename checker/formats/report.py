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
from checker.formats.results import RunResult, combine_exit
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


def write_many(results: list[RunResult], out: str | Path, not_checked: list[str]) -> list[Path]:
    """Several profiles' runs of one verify: each profile's files under ``out/PROFILE/``, and at
    the top ``summary.md`` (what ran and what did not, then each profile's summary) and
    ``baseline.json`` (every profile's findings). A ``result.json`` left at the top by an
    earlier single-profile run is removed, so it cannot pass for this run's."""
    d = Path(out)
    files = []
    for r in results:
        files += write_reports(r, d / r.profile)
    head = ["# memhp verify", "",
            f"Exit {combine_exit([r.exit for r in results])}. Checked: "
            + ", ".join(f"{md_code(r.profile)} on {md_code(r.world)} (exit {r.exit}, "
                        f"[{r.profile}/summary.md]({r.profile}/summary.md))" for r in results) + "."]
    if not_checked:
        head += ["", "Not checked by this run:", ""] + [f"- {md_text(x)}" for x in not_checked]
    body = "\n".join(head) + "\n\n" + "\n".join(_demote(markdown(r)) for r in results)
    findings = [f for r in results for f in r.findings]
    try:
        for name, text in (("summary.md", body),
                           ("baseline.json", json.dumps(to_baseline(findings), indent=1) + "\n")):
            tmp = d / (name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(d / name)
            files.append(d / name)
        stale = d / "result.json"
        if stale.is_file() and '"memhp-result/1"' in stale.read_text(encoding="utf-8", errors="replace")[:200]:
            stale.unlink()
    except OSError as e:
        raise MemhpError(f"{d}: cannot write the reports ({e.strerror})") from None
    return files


def _demote(text: str) -> str:
    """Every heading one level down, outside fenced code blocks (md_fence's fences may be longer
    than three backticks; a fence closes on a line of at least as many)."""
    out, fence = [], 0
    for line in text.split("\n"):
        run = len(line) - len(line.lstrip("`"))
        if run >= 3 and (not fence or (run >= fence and not line.strip("`"))):
            fence = 0 if fence else run
        elif not fence and line.startswith("#"):
            line = "#" + line
        out.append(line)
    return "\n".join(out)


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
