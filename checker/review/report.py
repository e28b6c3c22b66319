"""Reports of ``memhp diff`` and ``memhp review``: Markdown a reviewer can paste into a mail or a
pull request, and JSON (``memhp-diff/1``, ``memhp-review/1``).

The Markdown is one table per aspect (what differs, what each side shows, the operations of the
shortest distinguishing trace), then, for each documented change the diff shows, that trace step
by step on both sides, with a diagram when a renderer is given (``diagram(trace) -> str``, e.g.
a Mermaid sequence diagram). Leaves out: HTML, and traces of every entry (the JSON has them all).

Every value in it (a world's or a patch's name, what a side shows, a callback's name, a
message) is quoted for where it lands: table cells and text by
:func:`checker.formats.markdown.md_text`, code spans by ``md_code``, the ``<summary>`` of a
folded trace as HTML, traces and diagrams in fences no line of theirs can close.
"""

from __future__ import annotations

import html
from typing import Any, Callable

from checker.formats.markdown import md_code, md_fence, md_text
from checker.formats.steps import visible
from checker.review.diff import ASPECTS, DiffResult, Difference
from checker.formats.traces import Trace

DIFF_SCHEMA = "memhp-diff/1"
REVIEW_SCHEMA = "memhp-review/1"

ASPECT_TITLES = {
    "boot": "The machine as booted",
    "alphabet": "Operations possible on one side only",
    "outcome": "Outcomes possible on one side only",
    "ret": "Return values",
    "events": "Notifier events",
    "order": "Order of notifier events",
    "args": "Notifier arguments",
    "allocatable": "Whether the block's pages are allocatable at an event",
    "callback_ret": "Callback answers",
    "node_state": "Node states",
    "sysfs": "sysfs files",
}

Diagram = Callable[[Trace], str]


def _ops_cell(d: Difference) -> str:
    """The operations of ``d`` for a table cell: each quoted, one per line (``<br>``)."""
    out = []
    for i, (a, ca, cb) in enumerate(d.ops, 1):
        label = a.label()
        ch = ""
        if ca or cb:
            ch = f" [{', '.join(ca)}]" if ca == cb else f" [A: {', '.join(ca) or '-'}; B: {', '.join(cb) or '-'}]"
        out.append(_cell(f"{i}. {label}{ch}"))
    return "<br>".join(out) if out else "(at boot)"


def _cell(text: str) -> str:
    """A table cell: on one line, nothing in it a column break or Markdown syntax."""
    return md_text(text)


def _html(text: object) -> str:
    """Text inside an HTML element (``<summary>``), where Markdown escapes do not apply."""
    return html.escape(visible(text))


def diff_json(r: DiffResult, exit_code: int) -> dict[str, Any]:
    return {
        "schema": DIFF_SCHEMA, "a": r.a, "b": r.b, "world": r.world, "depth": r.depth,
        "complete": r.complete, "pairs": r.pairs, "runs": r.runs, "seconds": round(r.seconds, 2),
        "exit": exit_code, "documented": r.tags(),
        "differences": [d.to_json() for d in r.differences],
    }


def diff_markdown(r: DiffResult, diagram: Diagram | None = None, title: str | None = None,
                  level: int = 2) -> str:
    h = "#" * level
    lines = [f"{h} {title or f'memhp diff {md_text(r.a)} {md_text(r.b)}'} (world {md_code(r.world)})", ""]
    bound = ("every pair of states reachable" if r.complete else
             f"operations up to {r.depth} deep, one at a time")
    lines.append(f"A = {md_code(r.a)}, B = {md_code(r.b)}. {len(r.differences)} observable differences "
                 f"({bound}; {r.pairs:,} pairs of states, {r.runs:,} operation runs, "
                 f"{r.seconds:.1f} s). Each row gives the shortest sequence of operations "
                 f"(with the callback answers and migration outcomes taken, in brackets) after "
                 f"which the two differ; `op` is the operation where this aspect first differs.")
    lines.append("")
    tags = r.tags()
    if tags:
        lines.append("Documented changes (facts.md section 7) this diff shows:")
        lines.append("")
        for t in tags:
            n = sum(1 for d in r.differences if t in d.tags)
            lines.append(f"- {md_text(t)}: {n} difference{'s' if n != 1 else ''}")
        lines.append("")
    groups = r.by_aspect()
    for aspect in ASPECTS:
        ds = groups.get(aspect)
        if not ds:
            continue
        lines += [f"{h}# {ASPECT_TITLES[aspect]}", "", "| what | A | B | op | trace | change |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for d in ds:
            a, b = d.a, d.b
            if d.variants:
                more = "" if len(d.variants) <= 4 else f", +{len(d.variants) - 4} more"
                if all(vb == d.b for _, vb in d.variants):
                    a += " (or " + ", ".join(va for va, _ in d.variants[:4]) + more + ")"
                else:
                    b += " (other runs: " + "; ".join(f"{va} / {vb}" for va, vb in d.variants[:4]) + more + ")"
            lines.append(f"| {_cell(d.summary)} | {_cell(a)} | {_cell(b)} | {d.step} | "
                         f"{_ops_cell(d)} | {_cell(', '.join(d.tags))} |")
        lines.append("")
    shown: set[str] = set()
    details = []
    for d in r.differences:
        new = [t for t in d.tags if t not in shown]
        if not new or d.trace_a is None or d.step == 0:
            continue
        shown.update(new)
        details.append(_detail(d, r, new, diagram, level + 2))
    if details:
        lines += [f"{h}# Traces of the documented changes", ""] + details
    return "\n".join(lines).rstrip() + "\n"


def _detail(d: Difference, r: DiffResult, tags: list[str], diagram: Diagram | None,
            level: int) -> str:
    out = [f"{'#' * level} {md_text(', '.join(tags))}", "", f"{md_text(d.summary)}: A shows "
           f"{md_text(d.a)}, B shows {md_text(d.b)} (operation {d.step}; they part at step "
           f"{d.part_a} of A's trace and step {d.part_b} of B's).", ""]
    for side, name, tr, part in (("A", r.a, d.trace_a, d.part_a), ("B", r.b, d.trace_b, d.part_b)):
        assert tr is not None
        # folded, so that the page stays one page in a mail client or a pull request
        out += ["<details>", f"<summary>{side} ({_html(name)}): {len(tr)} steps, parting at step "
                f"{part}</summary>", ""]
        if diagram is not None:
            out += [*md_fence(diagram(tr).rstrip(), "mermaid"), ""]
        out += [*md_fence("\n".join(tr.text().splitlines()[1:])), "", "</details>", ""]
    return "\n".join(out)


def review_json(r: Any) -> dict[str, Any]:
    return {
        "schema": REVIEW_SCHEMA, "impl": r.impl, "against": r.against, "world": r.world,
        "verdict": r.verdict, "exit": r.exit, "depth": r.depth, "ops": r.ops,
        "overrides": r.overrides, "states": r.states,
        "broken": [b.to_json() for b in r.broken],
        "fixed": [{"invariant": i, "cause": c} for i, c in r.fixed],
        "lockstep": r.lockstep,
        "sooner": [{"invariant": k[0], "cause": k[1], "steps": n, "base_steps": m}
                   for k, n, m in r.sooner],
        "seconds": {k: round(v, 2) for k, v in r.seconds.items()},
        "diff": diff_json(r.diff, r.exit) if r.diff is not None else None,
    }


def review_markdown(r: Any, diagram: Diagram | None = None) -> str:
    against = md_text(r.against)
    lines = [f"## memhp review {md_code(r.impl)} against {against} (world {md_code(r.world)})", "",
             f"**Verdict: {r.verdict}.** Replaces: {', '.join(md_code(o) for o in r.overrides)}.",
             "",
             f"- Invariants: explored the patched mirror breadth first, every interleaving to "
             f"{r.depth} steps ({r.states:,} states), and operations one at a time {r.ops} deep; "
             f"compared with {against} to the same bounds.",
             f"- Lockstep (Hypothesis, patched mirror against the {against} spec): "
             f"{md_text(r.lockstep)}.",
             f"- Behaviour: operations up to {r.ops} deep, the {against} mirror against the "
             f"patched one.", ""]
    if r.broken:
        lines += ["### Promises the patch breaks", ""]
        for b in r.broken:
            n = f", {len(b.trace)} steps" if b.trace is not None else ""
            lines.append(f"- {md_code(b.invariant)} [{md_text(b.cause)}] ({md_text(b.engine)}, "
                         f"{md_text(b.bound)}{n}): {md_text(b.message)}")
        lines.append("")
        for b in r.broken:
            if b.trace is None:
                continue
            lines += [f"#### {md_code(b.invariant)} [{md_text(b.cause)}]", ""]
            if diagram is not None:
                lines += [*md_fence(diagram(b.trace).rstrip(), "mermaid"), ""]
            lines += [*md_fence(b.trace.text()), ""]
    if r.sooner:
        lines += ["### Findings of the base profile the patch reaches sooner", ""]
        lines += [f"- {md_code(k[0])} [{md_text(k[1])}]: {n} steps with the patch, {m} without "
                  f"(the lockstep's minimised example; the base's shortest trace)"
                  for k, n, m in r.sooner] + [""]
    if r.fixed:
        lines += ["### Findings of the base profile the patch no longer shows", ""]
        lines += [f"- {md_code(i)} [{md_text(c)}]" for i, c in r.fixed] + [""]
    if r.diff is not None:
        if r.diff.differences:
            lines.append(diff_markdown(r.diff, diagram, title=f"Behaviour: {against} vs the patch",
                                       level=3))
        else:
            lines += ["### Behaviour", "", f"No observable difference, operations up to {r.ops} deep.", ""]
    return "\n".join(lines).rstrip() + "\n"
