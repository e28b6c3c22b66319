"""reports/conformance.md and reports/conformance.json: one line per trace with its verdict.

Verdicts per trace: ``agree`` (every operation's real observation was one the spec predicted),
``diverged`` (the first operation where it was not: both sides, the differing keys, the trace up
to it) and ``error`` (the guest failed; never counted as agreement). The agreement figure is
agree / all traces run. Leaves out: the console logs (kept only while the guest runs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from checker.conform.run import SuiteRun

SCHEMA = "memhp-conform/1"


def summary(run: SuiteRun) -> dict[str, Any]:
    n = len(run.results)
    agree = sum(r.verdict == "agree" for r in run.results)
    return {"traces": n, "agree": agree, "diverged": sum(r.verdict == "diverged" for r in run.results),
            "error": sum(r.verdict == "error" for r in run.results),
            "agreement": f"{agree}/{n}", "seconds": round(run.seconds, 1),
            "boot_seconds": [round(b, 1) for b in run.boots], "reboots": run.reboots,
            "reverts": run.reverts}


def to_json(run: SuiteRun, meta: dict[str, Any]) -> dict[str, Any]:
    return {"schema": SCHEMA, **meta, "summary": summary(run), "traces": [r.to_json() for r in run.results]}


def markdown(run: SuiteRun, meta: dict[str, Any]) -> str:
    s = summary(run)
    lines = ["# Conformance on a real kernel", "",
             f"Kernel {meta.get('kernel', '?')} under QEMU (TCG), predictions from the "
             f"{meta.get('profile', '?')} spec; suite `{meta.get('suite', '?')}`.", "",
             f"**Agreement: {s['agree']}/{s['traces']} traces** ({s['diverged']} diverged, "
             f"{s['error']} errors); {s['seconds']} s in all, boots {s['boot_seconds']} s, "
             f"{s['reverts']} reverts to the boot checkpoint and {s['reboots']} reboots after a "
             "restore that could not undo a trace.", "",
             "| trace | world | ops | verdict | s | what it shows |", "| --- | --- | --- | --- | --- | --- |"]
    for r in run.results:
        lines.append(f"| {r.name} | {r.world} | {r.done}/{r.operations} | {r.verdict} | "
                     f"{r.seconds:.1f} | {r.purpose.replace('|', '/')} |")
    retried = [r for r in run.results if r.first_attempt]
    if retried:
        lines += ["", "## Guest failures, run again on a fresh boot", ""]
        for r in retried:
            lines.append(f"- {r.name}: first attempt failed ({(r.first_attempt or {}).get('error')}); "
                         f"second attempt: {r.verdict}")
    bad = [r for r in run.results if r.verdict != "agree"]
    if bad:
        lines += ["", "## Divergences and errors", ""]
    for r in bad:
        lines.append(f"### {r.name} ({r.verdict})")
        if r.error:
            lines += ["", f"- {r.error}", ""]
            if r.console:
                lines += ["Guest console (end):", "", "```"] + r.console[-40:] + ["```", ""]
            continue
        d = r.divergence or {}
        lines += ["", f"At operation {d.get('operation')}: `{d.get('action')}`", "", "Differences "
                  "(real kernel vs the nearest prediction):", ""]
        lines += [f"- {x}" for x in d.get("differences", [])]
        lines += ["", "Trace up to it:", ""]
        lines += [f"{i}. `{a}`" for i, a in enumerate(d.get("trace_up_to", []), 1)]
        lines.append("")
    return "\n".join(lines) + "\n"


def write(run: SuiteRun, meta: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "conformance.md", out / "conformance.json"
    md.write_text(markdown(run, meta))
    js.write_text(json.dumps(to_json(run, meta), indent=1) + "\n")
    return md, js
