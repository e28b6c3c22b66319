"""The HTML of each kind of document in the report: memhp-result/1 (verify, prove),
memhp-review/1, memhp-diff/1 and memhp-conform/1.

Each section opens with a header (the command, the profile, the world, the exit code and what it
means, the state-space figures and times, the notes), then what the document judged: the
invariants with their verdict per engine and bound and the sentence of memory-hotplug.txt each
checks; the findings grouped by root cause, each with its explanation and a step-through viewer
of its trace; for diff and review, the two sides' traces aligned step by step with the step
where they part marked. Every value from a document is quoted by :mod:`.quote`; the traces go
to the page's data through :class:`Page`, which also notices identical traces (one viewer, and
"same trace as" where it recurs).

Leaves out: the JSON of the traces (``memhp trace`` renders one), and anything a document does
not hold.
"""

from __future__ import annotations

import json
from itertools import zip_longest
from types import MappingProxyType
from typing import Any, Callable, Mapping

from checker.formats.html.quote import para, text
from checker.formats.html.viewer import viewer_data
from checker.formats.steps import action_text, ops
from checker.formats.traces import Trace, describe
from spec.errors import MemhpError

#: design.md section 4
EXIT_MEANING: Mapping[int, str] = MappingProxyType({
    0: "all hold, or the findings equal the baseline", 1: "a violation or a difference",
    2: "bad usage or input", 3: "inconclusive (unknown, cti)"})


class Page:
    """What the sections share: the traces the page's script shows (each once) and the ids."""

    def __init__(self, graph: bool = True) -> None:
        self.traces: list[dict[str, Any]] = []
        self.seen: dict[str, tuple[str, str]] = {}  # canonical JSON -> (anchor, its label)
        self.graph = graph
        self.count = 0

    def anchor(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def trace(self, data: Any, label: str, summary: str = "", open_: bool = False) -> str:
        """A collapsible step-through viewer of ``data`` (a memhp-trace/1 object), or "same
        trace as" with a link when the page already shows that trace."""
        anchor, html = self.place(data, label, summary, open_)
        if html or anchor is None:
            return html
        return f'<p class="same">same trace as <a href="#{anchor}">{text(self.label(anchor))}</a></p>'

    def label(self, anchor: str) -> str:
        return next(lab for a, lab in self.seen.values() if a == anchor)

    def place(self, data: Any, label: str, summary: str = "", open_: bool = False
              ) -> tuple[str | None, str]:
        """(the anchor of ``data``'s viewer, its HTML); the HTML is empty when the page already
        has that trace (the anchor is then the first one's), both empty for no trace."""
        if not isinstance(data, dict):
            return None, ""
        key = json.dumps(data, sort_keys=True)
        if key in self.seen:
            return self.seen[key][0], ""
        anchor = self.anchor("trace")
        self.seen[key] = (anchor, label)
        try:
            trace = Trace.from_json(data, label)
            view = viewer_data(trace, self.graph)
        except MemhpError as e:
            return anchor, f'<p class="unavailable" id="{anchor}">trace cannot be shown: {text(e)}</p>'
        n = len(self.traces)
        self.traces.append(view)
        steps = len(trace.steps)
        head = summary or f"trace: {steps} step{'s' if steps != 1 else ''}"
        return anchor, (f'<details class="trace" id="{anchor}"{" open" if open_ else ""}><summary>'
                        f'{text(head)}</summary><div class="viewer" data-trace="{n}" '
                        f'tabindex="0"></div></details>')


def _meta(pairs: list[tuple[str, Any]]) -> str:
    cells = "".join(f"<div><b>{text(k)}</b>{v}</div>" for k, v in pairs if v is not None)
    return f'<div class="meta">{cells}</div>'


def _exit(code: Any) -> str:
    meaning = EXIT_MEANING.get(code, "unknown code") if isinstance(code, int) else "not given"
    cls = f"exit{code}" if code in EXIT_MEANING else "exit2"
    return f'<span class="exit {cls}">{text(code)}</span> {text(meaning)}'


def _num(v: Any) -> str:
    return text(f"{v:,}" if isinstance(v, int) else v)


def _notes(notes: Any) -> str:
    if not isinstance(notes, list) or not notes:
        return ""
    return '<ul class="notes">' + "".join(f"<li>{text(n)}</li>" for n in notes) + "</ul>"


def _secs(d: Any) -> str | None:
    if not isinstance(d, dict) or not d:
        return None
    return text(", ".join(f"{k} {v:.1f} s" if isinstance(v, (int, float)) else f"{k} {v}"
                          for k, v in d.items()))


def promise(name: str, seed_section: Any) -> str:
    """The sentence of memory-hotplug.txt an invariant checks (its ``quote``), the paraphrase
    (``text``) and the section, from spec.invariants."""
    from spec.invariants import BY_NAME

    inv = BY_NAME.get(name)
    quote = getattr(inv, "quote", None) if inv else None
    section = getattr(inv, "seed_section", None) or seed_section
    out = []
    if quote:
        out.append(f"<q>{text(quote)}</q>")
    if inv is not None:
        out.append(f"<div>checks: {text(inv.text)}</div>")
    if section:
        out.append(f'<div class="section">memory-hotplug.txt section {text(section)}</div>')
    return "".join(out)


# --- memhp-result/1 ----------------------------------------------------------------------------

def result_section(page: Page, doc: dict[str, Any], n: int) -> str:
    cmd = doc.get("command", "?")
    counts = doc.get("counts") or {}
    base = doc.get("baseline") or {}
    meta = [("command", text(cmd)), ("profile", text(doc.get("profile"))),
            ("world", text(doc.get("world"))), ("exit", _exit(doc.get("exit"))),
            ("times", _secs(doc.get("timings")))]
    if any(counts.get(k) for k in ("states", "transitions", "depth")):  # prove counts none
        meta[4:4] = [("states", _num(counts.get("states"))),
                     ("transitions", _num(counts.get("transitions"))),
                     ("depth", _num(counts.get("depth")))]
    if base:
        meta.append(("baseline", text(
            f"{base.get('pinned', 0)} pinned, {len(base.get('new') or [])} new, "
            f"{len(base.get('missing') or [])} missing, {len(base.get('not_checked') or [])} not "
            f"checked")))
    findings = doc.get("findings") or []
    body = [f'<h2>memhp {text(cmd)}: profile {text(doc.get("profile"))}, world '
            f'{text(doc.get("world"))}</h2>', _meta(meta), _notes(doc.get("notes"))]
    fhtml = _findings(page, findings, n)
    verdicts: dict[str, int] = {}
    for inv in doc.get("invariants") or []:
        verdicts[str(inv.get("verdict"))] = verdicts.get(str(inv.get("verdict")), 0) + 1
    status: dict[str, int] = {}
    for f in findings:
        status[str(f.get("status", "new"))] = status.get(str(f.get("status", "new")), 0) + 1
    body.append('<p class="summary">' + text(
        ", ".join(f"{v} {k}" for k, v in verdicts.items()) + f" (invariant x engine); "
        f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
        + (" (" + ", ".join(f"{v} {k}" for k, v in status.items()) + ")" if status else ""))
        + f' <a href="#findings{n}">to the findings</a></p>')
    body.append(_invariants(page, doc.get("invariants") or [], n))
    body.append(f'<h3 id="findings{n}">Findings ({len(findings)})</h3>' + (fhtml or "<p>none</p>"))
    return "".join(body)


def _invariants(page: Page, invs: list[dict[str, Any]], n: int) -> str:
    engines: list[str] = []
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for inv in invs:
        e, name = str(inv.get("engine")), str(inv.get("name"))
        if e not in engines:
            engines.append(e)
        rows.setdefault(name, {})[e] = inv
    below: list[str] = []  # the viewers of traces no finding has, after the table
    head = "".join(f"<th>{text(e)}</th>" for e in engines)
    out = [f'<h3>Invariants ({len(rows)})</h3><table class="grid invariants"><tr><th>invariant</th>'
           f'<th>what the document says</th>{head}</tr>']
    for name, by in rows.items():
        first = next(iter(by.values()))
        cells = []
        for e in engines:
            inv = by.get(e)
            if inv is None:
                cells.append("<td>-</td>")
                continue
            verdict = str(inv.get("verdict"))
            cell = (f'<span class="v v-{text(verdict)}">{text(verdict)}</span> '
                    f'{text(inv.get("bound"))}')
            if inv.get("message"):
                cell += f'<div class="vmsg">{text(inv["message"])}</div>'
            if inv.get("twin_reached") is False:  # a verdict about nothing: say so beside it
                why = (f'vacuous, as the world declares: {inv["vacuous"]}' if inv.get("vacuous")
                       else "vacuous: the premise (sometimes twin) was never reached")
                cell += f'<div class="vmsg vacuous">{text(why)}</div>'
            anchor, html = page.place(inv.get("trace"), f"{name} ({e})",
                                      f"trace of {name} ({e}, {verdict})")
            if anchor is not None:
                steps = len(inv["trace"].get("steps") or [])
                cell += (f'<div><a href="#{anchor}">{"trace" if html else "same trace as"} '
                         f'({steps} step{"s" if steps != 1 else ""})</a></div>')
                below.append(html)
            cells.append(f"<td>{cell}</td>")
        out.append(f"<tr><td><code>{text(name)}</code></td><td class=\"quote\">"
                   f"{promise(name, first.get('seed_section'))}</td>{''.join(cells)}</tr>")
    out.append("</table>")
    if any(below):
        out.append("<h4>Traces of the invariants</h4>" + "".join(below))
    return "".join(out)


def _findings(page: Page, findings: list[dict[str, Any]], n: int) -> str:
    """Findings grouped by (invariant, cause); groups whose traces are the same story follow
    each other."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    story: dict[tuple[str, str], str] = {}
    for f in findings:
        k = (str(f.get("invariant")), str(f.get("cause")))
        groups.setdefault(k, []).append(f)
        story.setdefault(k, json.dumps(f.get("trace"), sort_keys=True))
    stories = list(dict.fromkeys(story.values()))
    order = sorted(groups, key=lambda k: stories.index(story[k]))
    anchors = {id(f): page.anchor("finding") for k in order for f in groups[k]}
    told: dict[str, list[dict[str, Any]]] = {}  # the findings of each trace, in page order
    for k in order:
        for f in groups[k]:
            told.setdefault(json.dumps(f.get("trace"), sort_keys=True), []).append(f)
    out = []
    for inv, cause in order:
        out.append(f'<div class="group"><h4><code>{text(inv)}</code> [{text(cause)}]</h4>'
                   f'<div class="quote">{promise(inv, None)}</div>')
        for f in groups[(inv, cause)]:
            status = str(f.get("status", ""))
            cls = "finding new" if status == "new" else "finding"
            trace = f.get("trace")
            steps = len(trace.get("steps") or []) if isinstance(trace, dict) else 0
            out.append(f'<div class="{cls}" id="{anchors[id(f)]}"><div class="meta"><div><b>key</b><code>'
                       f'{text(f.get("key"))}</code></div><div><b>engine</b>{text(f.get("engine"))}'
                       f'</div><div><b>status</b>{text(status or "-")}</div><div><b>steps</b>'
                       f'{steps}</div></div>')
            if isinstance(trace, dict) and isinstance(trace.get("violation"), dict):
                out.append(f'<p class="violates">{text(trace["violation"].get("message"))}</p>')
            out.append(f'<p class="explanation">{para(f.get("explanation") or "")}</p>')
            same = told[json.dumps(trace, sort_keys=True)]
            if isinstance(trace, dict) and len(same) > 1 and same[0] is f:
                out.append('<p class="same">one story: this trace also shows ' + ", ".join(
                    f'<a href="#{anchors[id(g)]}">{text(g.get("key"))}</a>' for g in same[1:])
                    + "</p>")
            out.append(page.trace(trace, f"finding {f.get('key')}"))
            out.append("</div>")
        out.append("</div>")
    return "".join(out)


# --- memhp-review/1 ----------------------------------------------------------------------------

def review_section(page: Page, doc: dict[str, Any], n: int) -> str:
    meta = [("impl", text(doc.get("impl"))), ("against", text(doc.get("against"))),
            ("world", text(doc.get("world"))), ("verdict", text(doc.get("verdict"))),
            ("exit", _exit(doc.get("exit"))), ("depth", text(doc.get("depth"))),
            ("operations", text(doc.get("ops"))), ("states", text(doc.get("states"))),
            ("overrides", text(", ".join(map(str, doc.get("overrides") or [])))),
            ("lockstep", text(doc.get("lockstep")) if doc.get("lockstep") else None),
            ("times", _secs(doc.get("seconds")))]
    out = [f"<h2>memhp review: {text(doc.get('impl'))} against {text(doc.get('against'))}</h2>",
           _meta(meta)]
    broken = doc.get("broken") or []
    out.append(f"<h3>Promises it breaks ({len(broken)})</h3>")
    for b in broken:
        inv = str(b.get("invariant"))
        out.append(f'<div class="finding new"><h4><code>{text(inv)}</code> [{text(b.get("cause"))}]'
                   f'</h4><div class="quote">{promise(inv, None)}</div><div class="meta"><div><b>'
                   f'engine</b>{text(b.get("engine"))}</div><div><b>bound</b>{text(b.get("bound"))}'
                   f'</div></div><p class="violates">{text(b.get("message"))}</p>')
        out.append(page.trace(b.get("trace"), f"review: {inv}"))
        out.append("</div>")
    fixed = doc.get("fixed") or []
    if fixed:
        out.append("<h3>Findings of the base it no longer shows</h3><ul>" + "".join(
            f"<li><code>{text(x.get('invariant'))}</code> [{text(x.get('cause'))}]</li>"
            for x in fixed) + "</ul>")
    sooner = doc.get("sooner") or []
    if sooner:
        out.append("<h3>Findings it reaches sooner</h3>" + _rows(
            ["invariant", "cause", "steps", "base steps"],
            [[x.get("invariant"), x.get("cause"), x.get("steps"), x.get("base_steps")] for x in sooner]))
    if isinstance(doc.get("diff"), dict):
        out.append('<div class="nested">' + diff_section(page, doc["diff"], n, level=3) + "</div>")
    return "".join(out)


def _rows(head: list[str], rows: list[list[Any]]) -> str:
    h = "".join(f"<th>{text(x)}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{text(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="grid"><tr>{h}</tr>{body}</table>'


# --- memhp-diff/1 ------------------------------------------------------------------------------

def diff_section(page: Page, doc: dict[str, Any], n: int, level: int = 2) -> str:
    h, h2 = f"h{level}", f"h{level + 1}"
    meta = [("A", text(doc.get("a"))), ("B", text(doc.get("b"))), ("world", text(doc.get("world"))),
            ("depth", text(f"{doc.get('depth')} operations")),
            ("complete", "yes" if doc.get("complete") else "no (bounded)"),
            ("state pairs", text(doc.get("pairs"))), ("runs", text(doc.get("runs"))),
            ("time", text(f"{doc['seconds']:.1f} s") if isinstance(doc.get("seconds"), (int, float)) else None),
            ("exit", _exit(doc.get("exit")))]
    diffs = doc.get("differences") or []
    out = [f"<{h}>memhp diff: {text(doc.get('a'))} vs {text(doc.get('b'))}, world "
           f"{text(doc.get('world'))}</{h}>", _meta(meta)]
    if doc.get("documented"):
        out.append("<div>documented changes it found: " + ", ".join(
            f"<code>{text(x)}</code>" for x in doc["documented"]) + "</div>")
    out.append(f"<{h2}>Differences ({len(diffs)})</{h2}>")
    for d in diffs:
        out.append(_difference(page, doc, d))
    return "".join(out)


def _difference(page: Page, doc: dict[str, Any], d: dict[str, Any]) -> str:
    tags = ", ".join(map(str, d.get("tags") or []))
    where = "at boot" if not d.get("step") else f"operation {d.get('step')}"
    out = [f'<div class="finding"><h4>[{text(d.get("aspect"))}] {text(d.get("summary"))}</h4>'
           f'<div class="meta"><div><b>A</b><code>{text(d.get("a"))}</code></div><div><b>B</b>'
           f'<code>{text(d.get("b"))}</code></div><div><b>where</b>{text(where)}</div></div>']
    if tags:
        out.append(f'<div class="tags">documented as: {text(tags)}</div>')
    if d.get("also"):
        out.append(f'<details><summary>also seen ({len(d["also"])})</summary><ul>' + "".join(
            f"<li>{text(x)}</li>" for x in d["also"]) + "</ul></details>")
    ta, tb = d.get("trace_a"), d.get("trace_b")
    if isinstance(ta, dict) and isinstance(tb, dict):
        out.append(aligned(ta, tb, d.get("part_a"), d.get("part_b"), str(doc.get("a")),
                           str(doc.get("b"))))
        out.append(page.trace(ta, f"A ({doc.get('a')}): {d.get('summary')}",
                              f"A ({doc.get('a')}): step-through viewer"))
        out.append(page.trace(tb, f"B ({doc.get('b')}): {d.get('summary')}",
                              f"B ({doc.get('b')}): step-through viewer"))
    out.append("</div>")
    return "".join(out)


def aligned(ta: dict[str, Any], tb: dict[str, Any], part_a: Any, part_b: Any, a: str, b: str) -> str:
    """The two traces side by side, operation by operation (each operation's steps in order),
    with the step where they part marked on each side."""
    try:
        A, B = Trace.from_json(ta, "trace_a"), Trace.from_json(tb, "trace_b")
    except MemhpError as e:
        return f'<p class="unavailable">the traces cannot be aligned: {text(e)}</p>'
    oa, ob = _op_steps(A), _op_steps(B)
    if len(oa) != len(ob):  # not the same operations: side by side as they come
        oa, ob = [list(range(len(A.steps)))], [list(range(len(B.steps)))]
    rows = []
    for j, (xa, xb) in enumerate(zip(oa, ob), 1):
        first = A.steps[xa[0]] if xa else (B.steps[xb[0]] if xb else None)
        title = f"operation {j}: {action_text(first.action)}" if first else f"operation {j}"
        rows.append(f'<tr><td class="opsep" colspan="4">{text(title)}</td></tr>')
        for ia, ib in _pairs(A, xa, B, xb):
            rows.append("<tr>" + _side(A, ia, part_a) + _side(B, ib, part_b) + "</tr>")
    if part_a or part_b:
        parting = f"they part at step {text(part_a)} of A and step {text(part_b)} of B"
    else:
        parting = "no step of them parts the two: the difference is in what comes after"
    return (f'<details class="align" open><summary>the two traces aligned ({len(A.steps)} and '
            f'{len(B.steps)} steps; {parting})</summary><table class="grid align"><tr><th>#</th>'
            f'<th>A: {text(a)}</th><th>#</th><th>B: {text(b)}</th></tr>{"".join(rows)}</table>'
            f'</details>')


def _signature(t: Trace, i: int) -> tuple[Any, ...]:
    """What a step shows, without the values a difference may be about: the callbacks called
    with which events, a return, or the point."""
    o = t.steps[i].obs
    if o.calls:
        return tuple((c.event, c.callback) for c in o.calls)
    if o.ret is not None:
        return ("ret",)
    return (o.point.split(":", 1)[0],)


def _pairs(A: Trace, xa: list[int], B: Trace, xb: list[int]) -> list[tuple[int | None, int | None]]:
    """The steps of one operation on both sides, paired where they show the same kind of thing
    (difflib on :func:`_signature`), one side empty where the other has a step of its own."""
    from difflib import SequenceMatcher

    sm = SequenceMatcher(None, [_signature(A, i) for i in xa], [_signature(B, i) for i in xb],
                         autojunk=False)
    out: list[tuple[int | None, int | None]] = []
    for tag, a0, a1, b0, b1 in sm.get_opcodes():
        out += list(zip_longest(xa[a0:a1], xb[b0:b1]))
    return out


def _op_steps(t: Trace) -> list[list[int]]:
    """The step indices of each operation, in order of their start; steps of interleaved
    operations go with their thread's operation."""
    spans = ops(t)
    out: list[list[int]] = [[] for _ in spans]
    owner: dict[str, int] = {}
    starts = {s: k for k, (s, _) in enumerate(spans)}
    for i, st in enumerate(t.steps):
        who = st.obs.thread or st.action.thread or ""
        if i in starts:
            owner[who] = starts[i]
        k = owner.get(who)
        if k is None:
            out.append([i])
        else:
            out[k].append(i)
    return out


def _side(t: Trace, i: int | None, part: Any) -> str:
    if i is None:
        return "<td></td><td></td>"
    st = t.steps[i]
    cls = ' class="part"' if part == i + 1 else ""
    mark = " \u2190 parts here" if part == i + 1 else ""
    who = st.obs.thread or st.action.thread or "user"
    return (f"<td{cls}>{i + 1}</td><td{cls}>{text(f'{who}: {action_text(st.action)} -> ')}"
            f"{text(describe(st.obs))}{text(mark)}</td>")


# --- memhp-conform/1 ---------------------------------------------------------------------------

def conform_section(page: Page, doc: dict[str, Any], n: int) -> str:
    s = doc.get("summary") or {}
    meta = [("kernel", text(doc.get("kernel"))), ("profile", text(doc.get("profile"))),
            ("suite", text(doc.get("suite"))), ("machine", text(doc.get("machine")) if doc.get("machine") else None),
            ("agreement", text(s.get("agreement"))),
            ("traces", text(f"{s.get('traces')} ({s.get('agree')} agree, {s.get('diverged')} "
                            f"diverged, {s.get('error')} error)")),
            ("time", text(f"{s['seconds']:.1f} s") if isinstance(s.get("seconds"), (int, float)) else None)]
    out = [f"<h2>memhp conform: kernel {text(doc.get('kernel'))}, profile "
           f"{text(doc.get('profile'))}</h2>", _meta(meta)]
    rows = []
    for t in doc.get("traces") or []:
        detail = ""
        dv = t.get("divergence")
        if isinstance(dv, dict):
            detail = (f"<details><summary>diverged at operation {text(dv.get('operation'))}: "
                      f"{text(dv.get('action'))}</summary><ul>" + "".join(
                          f"<li>{text(x)}</li>" for x in dv.get("differences") or []) +
                      "</ul><div>the trace up to it:</div><ol>" + "".join(
                          f"<li><code>{text(x)}</code></li>" for x in dv.get("trace_up_to") or []) +
                      "</ol></details>")
        elif t.get("error"):
            detail = f'<div class="unavailable">{text(t["error"])}</div>'
        verdict = str(t.get("verdict"))
        vcls = {"agree": "passed", "diverged": "violated"}.get(verdict, "unknown")
        rows.append(f"<tr><td><code>{text(t.get('trace'))}</code></td><td>{text(t.get('world'))}</td>"
                    f'<td><span class="v v-{vcls}">{text(verdict)}</span>{detail}</td>'
                    f"<td>{text(t.get('agreed'))}/{text(t.get('operations'))}</td>"
                    f"<td>{text(t.get('purpose', ''))}</td></tr>")
    out.append('<h3>Traces</h3><table class="grid"><tr><th>trace</th><th>world</th><th>verdict</th>'
               '<th>operations agreed</th><th>purpose</th></tr>' + "".join(rows) + "</table>")
    return "".join(out)


SECTIONS: Mapping[str, Callable[[Page, dict[str, Any], int], str]] = MappingProxyType({
    "memhp-result/1": result_section, "memhp-review/1": review_section,
    "memhp-diff/1": diff_section, "memhp-conform/1": conform_section,
})

__all__ = ["EXIT_MEANING", "Page", "SECTIONS", "aligned", "promise"]
