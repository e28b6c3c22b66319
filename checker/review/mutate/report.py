"""The results of ``memhp mutate``: the counts and score, the ``memhp-mutation/1`` document, the
summary a terminal gets and the Markdown report.

Models: score = killed / (total - equivalent), where total counts every mutant chosen (timed
out and crashed ones included: they are not killed); the survivors, crashed and timed-out
mutants listed with their ids and what each changes; the budget every mutant had.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any

from checker.review.mutate.run import STATUSES, Budget, Outcome, median_seconds

MUTATION_SCHEMA = "memhp-mutation/1"


@dataclass
class MutationRun:
    """One run of ``memhp mutate``: what was mutated, under which budget, and the outcomes."""

    profile: str
    modules: list[str]
    functions: list[str] | None
    budget: Budget
    outcomes: list[Outcome]
    generated: int
    seconds: float
    machine: str = ""
    #: mutants chosen but not started: the time budget was spent
    not_run: int = 0
    time_budget: float | None = None
    #: the sample of the generated mutants: every K-th, then the first N
    every: int = 1
    limit: int | None = None

    def sample_text(self) -> str:
        parts = ([f"one mutant in {self.every}, in id order"] if self.every > 1 else []) + \
            ([f"the first {self.limit}"] if self.limit is not None else [])
        return ", then ".join(parts) or "every mutant"

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for o in self.outcomes:
            out[o.status] += 1
        return out

    @property
    def score(self) -> float | None:
        c = self.counts()
        judged = len(self.outcomes) - c["equivalent"]
        return c["killed"] / judged if judged else None

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]


def machine_name() -> str:
    """The CPU's model name (/proc/cpuinfo), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def mutation_json(run: MutationRun) -> dict[str, Any]:
    c = run.counts()
    return {
        "schema": MUTATION_SCHEMA, "profile": run.profile, "modules": run.modules,
        "functions": run.functions, "budget": run.budget.to_json(),
        "generated": run.generated, "total": len(run.outcomes), "counts": c,
        "score": round(run.score, 4) if run.score is not None else None,
        "not_run": run.not_run, "time_budget": run.time_budget,
        "sample": {"every": run.every, "limit": run.limit},
        "seconds": round(run.seconds, 1),
        "median_seconds": round(median_seconds(run.outcomes), 2),
        "machine": run.machine,
        "mutants": [o.to_json() for o in run.outcomes],
    }


def _score_text(run: MutationRun) -> str:
    return "n/a" if run.score is None else f"{100 * run.score:.1f}%"


def summary(run: MutationRun) -> str:
    """Counts, score, and the survivors, crashed and timed-out mutants, one line each."""
    from checker.formats.traces import visible

    c = run.counts()
    lines = [f"profile {run.profile}, modules {', '.join(run.modules)}: {len(run.outcomes)} of "
             f"{run.generated} mutants ({run.sample_text()}); "
             + ", ".join(f"{c[s]} {s}" for s in STATUSES)
             + (f", {run.not_run} not run" if run.not_run else ""),
             f"score {_score_text(run)} (killed / (total - equivalent)); "
             f"{median_seconds(run.outcomes):.1f} s per mutant (median), {run.seconds:.0f} s in all",
             f"budget: {run.budget.text()}{_time_text(run)}"]
    for status in ("survived", "timeout", "crashed"):
        for o in run.of(status):
            extra = f": {o.how}" if o.how and status != "survived" else ""
            lines.append(f"  {status:8} {o.mutant.id}  {o.mutant.description}{extra}")
    return "\n".join(visible(line) for line in lines)


def _time_text(run: MutationRun) -> str:
    if run.time_budget is None:
        return ""
    return (f"; no mutant started after {run.time_budget:g} s ({run.not_run} chosen mutants not "
            f"run)")


def _md(text: str) -> str:
    from checker.formats.markdown import md_text

    return md_text(text)


def markdown(run: MutationRun) -> str:
    """The report for reports/: figures, budget, then survivors, crashes, timeouts, kills."""
    from checker.formats.markdown import md_code

    c = run.counts()
    fns = f", functions {', '.join(run.functions)}" if run.functions else ""
    lines = [f"# Mutation analysis of the {run.profile} kernel mirror", "",
             f"`memhp mutate --profile {run.profile}` on modules "
             f"{', '.join(md_code(m) for m in run.modules)}{fns}: each mutant reviewed as a patch "
             f"against the unpatched {run.profile} (docs/mutation.md).", "",
             "| figure | value |", "| --- | --- |",
             f"| mutants generated | {run.generated} |",
             f"| sample | {run.sample_text()} |",
             f"| mutants in this run (run or marked equivalent) | {len(run.outcomes)} |",
             f"| not run (the time budget was spent) | {run.not_run} |"]
    lines += [f"| {s} | {c[s]} |" for s in STATUSES]
    lines += [f"| score = killed / (total - equivalent) | {_score_text(run)} |",
              f"| seconds per mutant (median) | {median_seconds(run.outcomes):.1f} |",
              f"| wall-clock seconds | {run.seconds:.0f} |",
              f"| machine | {_md(run.machine)} |", "",
              f"Budget: {_md(run.budget.text() + _time_text(run))}.", ""]
    sections = (("survived", "Survivors",
                 "Each survivor is a change of the mirror that no review at these bounds tells "
                 "from the unpatched kernel: a world, a depth or a check that is missing, or an "
                 "equivalent mutant not yet marked."),
                ("timeout", "Timed out", ""),
                ("crashed", "Crashed",
                 "The patched mirror raised: review stops with an error (exit 2), not a finding."),
                ("equivalent", "Marked equivalent", ""))
    for status, title, note in sections:
        got = run.of(status)
        if not got:
            continue
        lines += [f"## {title} ({len(got)})", ""] + ([note, ""] if note else [])
        lines += ["| id | change | detail |", "| --- | --- | --- |"]
        lines += [f"| {md_code(o.mutant.id)} | {_md(o.mutant.description)} | {_md(o.how)} |"
                  for o in got]
        lines.append("")
    killed = run.of("killed")
    if killed:
        lines += [f"## Killed ({len(killed)})", "", "| id | change | bound | how |",
                  "| --- | --- | --- | --- |"]
        for o in killed:
            b = f"depth {o.bound[0]}, ops {o.bound[1]}" if o.bound else ""
            lines.append(f"| {md_code(o.mutant.id)} | {_md(o.mutant.description)} | {b} | "
                         f"{_md(o.how)} |")
        lines.append("")
    return "\n".join(lines)
