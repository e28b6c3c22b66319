"""A trace as Markdown for a mail or a pull request: the violation, a Mermaid sequence diagram,
a plain-text step table, and the ``memhp-trace/1`` JSON it reads back from.

API: :func:`render` (the whole document) and :func:`mermaid` (the diagram source alone, starting
with ``sequenceDiagram``, without the fence), both from a :class:`checker.formats.traces.Trace`;
:func:`parse` reads the embedded JSON back.

The diagram's participants: one ``userspace`` per writer thread (and one for reads and debugfs
when the trace has them), ``sysfs``, the hotplug core, each notifier callback in chain order,
the node state, and the firmware (ACPI hot-add and eject). Each step is numbered as in the
table; the violating step is shaded.

Leaves out: pictures (GitHub, GitLab and most Markdown viewers draw Mermaid themselves), and the
sysfs tree of each state (``memhp trace --format itf`` has the states).
"""

from __future__ import annotations

import re

from checker.formats.embed import embedded_json, from_embedded
from checker.formats.steps import action_text, answer, returned, shown, step_changes, visible
from checker.formats.traces import SCHEMA, Trace, TraceStep

MARK = f"<!-- {SCHEMA} -->"
# the embedded JSON: the MARK line at the start of a line, then a json fence (nothing a trace
# holds can start a line of the document, so only the JSON memhp wrote matches)
_BLOCK = re.compile(r"^" + re.escape(MARK) + r"\s*```json[ \t]*\r?\n(.*?)\r?\n```", re.DOTALL | re.MULTILINE)

# --- quoting ----------------------------------------------------------------------------------
# Every value a trace holds (the world's and the callbacks' names, the bytes written, a file
# name or a choice, the violation, the recorded node changes) is data from outside. Each place
# it lands in the document has its own quoting: Mermaid entity codes, Markdown escapes, a code
# span or fence longer than any run of backticks in it. Nothing is dropped: the trace's JSON
# at the end keeps every value exactly.

_MERMAID_ENTITY = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "&": "#amp;",
                   "%": "#37;", "`": "#96;"}
_MERMAID_SYNTAX = re.compile(r"[#;<>&%`]")
_MERMAID_ID = re.compile(r"[A-Za-z0-9_]+")
_MD_SYNTAX = re.compile(r"[\\`*\[\]#|~$<>&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_BACKTICKS = re.compile(r"`+")


def mermaid_text(text: object) -> str:
    """Text for a Mermaid message, note or participant description: on one line (see
    :func:`checker.formats.steps.visible`), and what Mermaid reads as syntax as entity codes:
    ``#`` (entity codes, comments), ``;`` (the end of a statement), ``%`` (comments and
    ``%%{init}%%`` directives), ``<``, ``>``, ``&`` (HTML) and backticks."""
    return _MERMAID_SYNTAX.sub(lambda m: _MERMAID_ENTITY[m.group(0)], visible(text))


def mermaid_id(prefix: str, name: object) -> str:
    """A Mermaid participant id for ``name``: ``prefix_name`` when the name is letters, digits
    and underscores, else ``prefixx_`` and the hex of its UTF-8 bytes (two names never share
    an id, and nothing in an id is Mermaid syntax)."""
    s = name if isinstance(name, str) else str(name)
    if _MERMAID_ID.fullmatch(s):
        return f"{prefix}_{s}"
    return f"{prefix}x_" + s.encode("utf-8", "surrogatepass").hex()


def md_text(text: object) -> str:
    """Text for a line of Markdown (a heading, a paragraph, a table cell): on one line, with
    backslashes, backticks, ``*``, ``_`` (outside a word), brackets, ``#``, ``|``, ``~`` and ``$``
    backslash-escaped and ``<``, ``>``, ``&`` as HTML entities, so that it shows as written and
    starts nothing: no heading, table column, code span, emphasis, link or HTML tag."""
    return _MD_SYNTAX.sub(lambda m: _MD_ENTITY.get(m.group(0), "\\" + m.group(0)), visible(text))


def md_code(text: object) -> str:
    """``text`` as a Markdown code span, on one line, delimited by one backtick more than its
    longest run of backticks (padded with a space where it starts or ends with one)."""
    v = visible(text)
    if not v:
        return "` `"
    fence = "`" * (max((len(r) for r in _BACKTICKS.findall(v)), default=0) + 1)
    if v[0] == "`" or v[-1] == "`" or (v[0] == " " and v[-1] == " " and v.strip(" ")):
        v = f" {v} "
    return fence + v + fence


def md_fence(body: str, info: str = "") -> list[str]:
    """``body`` as the lines of a fenced code block: each line as by
    :func:`checker.formats.steps.visible`, the fence one backtick longer than the longest run of
    backticks in it (at least three), so that no line of the body closes it."""
    lines = [visible(line) for line in body.split("\n")]
    longest = max((len(r) for line in lines for r in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *lines, fence]


def _seed(trace: Trace) -> str:
    from spec.invariants import BY_NAME

    inv = BY_NAME.get(trace.invariant or "")
    return inv.seed_section if inv else "?"


def _actor(name: str) -> str:
    """A thread as a Mermaid participant id (a world's threads are ``w0``.. and ``fw``)."""
    return name if _MERMAID_ID.fullmatch(name) else mermaid_id("t", name)


def _bytes(text: str) -> bytes:
    """What a read returned, as bytes again (a lone surrogate as the byte it stands for)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def mermaid(trace: Trace) -> str:
    """The Mermaid ``sequenceDiagram`` of ``trace`` (no fence around it). Every line is a
    participant, a message, a note, or the ``rect``/``end`` around the violating step; every
    value in it is quoted by :func:`mermaid_text` or :func:`mermaid_id`."""
    w = trace.world
    writers = [t for t in w.writer_threads()
               if any(s.action.thread == t or s.obs.thread == t for s in trace.steps)] or ["w0"]
    user = any(s.action.kind in ("read", "inject") for s in trace.steps)
    lines = ["sequenceDiagram"]
    for t in writers:
        lines.append(f"    participant {_actor(t)} as userspace {mermaid_text(t)}")
    if user:
        lines.append("    participant user as userspace (reads, debugfs)")
    lines.append("    participant sysfs")
    lines.append("    participant core as hotplug core")
    for cb in w.chain():
        lines.append(f"    participant {mermaid_id('cb', cb.name)} as {mermaid_text(cb.name)} "
                     f"(priority {int(cb.priority)})")
    lines.append("    participant node as node state")
    lines.append("    participant fw as firmware")
    changes = step_changes(trace)
    last = len(trace.steps)
    violation = f"{mermaid_text(trace.invariant)} [{mermaid_text(trace.cause or '')}]"
    for i, (st, ch) in enumerate(zip(trace.steps, changes), 1):
        body = _step_lines(i, st, ch)
        if i == last and trace.invariant:
            lines.append("    rect rgb(255, 228, 228)")
            lines += ["    " + b for b in body]
            lines.append(f"        Note over core: violates {violation}")
            lines.append("    end")
        else:
            lines += body
    if trace.invariant and not trace.steps:
        lines.append(f"    Note over sysfs: violated after boot: {violation}")
    return "\n".join(lines) + "\n"


def _step_lines(i: int, st: TraceStep, changes: list[str]) -> list[str]:
    a, o = st.action, st.obs
    who = _actor(o.thread or a.thread or "user")
    fw = who == "fw"
    out = []
    if a.kind == "write":
        out.append(f"    {who}->>sysfs: {i}. {mermaid_text(action_text(a))}")
        if o.ret is None:
            out.append(f"    sysfs->>core: store ({mermaid_text(o.point)})")
    elif a.kind in ("hotadd", "hotremove"):
        out.append(f"    fw->>core: {i}. {mermaid_text(action_text(a))} ({mermaid_text(o.point)})")
    elif a.kind == "read":
        out.append(f"    user->>sysfs: {i}. {mermaid_text(action_text(a))}")
        out.append(f"    sysfs-->>user: {mermaid_text(shown(_bytes(o.read or '')))}")
        return out
    elif a.kind == "inject":
        out.append(f"    user->>core: {i}. debugfs: {mermaid_text(action_text(a))}")
        return out
    else:
        choice = f" [{a.choice}]" if a.choice else ""
        if not o.calls and o.ret is None:
            out.append(f"    Note over core: {i}. {who}: {mermaid_text(o.point)}{mermaid_text(choice)}")
    for c in o.calls:
        nid = f"nid={c.status_change_nid}"
        if c.status_change_nid_normal is not None:
            nid += f" nid_normal={c.status_change_nid_normal}"
        cb = mermaid_id("cb", c.callback)
        out.append(f"    core->>{cb}: {i}. {mermaid_text(c.event)} {mermaid_text(nid)}")
        out.append(f"    {cb}-->>core: {answer(c.ret)}"
                   + (f" (choice {mermaid_text(a.choice)})" if a.choice else ""))
    for ch in changes:
        if ch.endswith((" present", " gone")):
            out.append(f"    Note over fw: {mermaid_text(ch)}")
        else:
            out.append(f"    core->>{'node' if ch.startswith('node') else 'sysfs'}: {mermaid_text(ch)}")
    if o.ret is not None:
        if fw:
            out.append(f"    core-->>fw: {i}. returns {mermaid_text(returned(o.ret))}")
        else:
            out.append(f"    sysfs-->>{who}: {i}. write returns {mermaid_text(returned(o.ret))}")
    return out


def table(trace: Trace) -> str:
    """The steps as a fixed-width plain-text table (readable in a mail), one line per step:
    every cell as by :func:`checker.formats.steps.visible`."""
    rows = [("#", "thread", "action", "what it showed")]
    for i, (st, ch) in enumerate(zip(trace.steps, step_changes(trace)), 1):
        a, o = st.action, st.obs
        shows = [o.point] if o.ret is None or o.point != "ret" else []
        for c in o.calls:
            shows.append(f"{c.event} -> {c.callback}: {answer(c.ret)} (nid {c.status_change_nid})")
        if o.read is not None:
            shows.append(f"read {shown(_bytes(o.read))}")
        elif o.ret is not None:
            shows.append(f"returns {returned(o.ret)}")
        shows += ch
        rows.append((str(i), visible(o.thread or a.thread or "-"), action_text(a),
                     "; ".join(visible(x) for x in shows)))
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    return "\n".join(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
                     for r in rows) + "\n"


def render(trace: Trace) -> str:
    """The whole Markdown document of ``trace``: every value quoted as its place needs
    (:func:`md_text`, :func:`md_code`, :func:`md_fence`, the diagram by :func:`mermaid`)."""
    w = trace.world
    profile, world = md_text(trace.profile), md_text(w.name)
    head = [f"# memhp-check trace: {md_text(trace.invariant or 'no violation')} "
            f"({profile}, world {world})", ""]
    if trace.invariant:
        head += [f"**Violated invariant:** {md_code(trace.invariant)}, memory-hotplug.txt section "
                 f"{_seed(trace)}  ",
                 f"**Cause:** {md_code(trace.cause)}  ",
                 f"**Message:** {md_text(trace.message)}  "]
    head += [f"**Profile:** {profile}, **world:** {world}, **steps:** {len(trace)}", "",
             "Replay it with `memhp replay FILE.md`; `memhp trace FILE.md --format json` prints the "
             "trace it embeds.", ""]
    body = ["## Sequence", "", *md_fence(mermaid(trace).rstrip("\n"), "mermaid"), "",
            "## Steps", "", *md_fence(table(trace).rstrip("\n"), "text"), ""]
    tail = ["<details><summary>memhp-trace/1 JSON</summary>", "", MARK, "```json",
            embedded_json(trace), "```", "", "</details>", ""]
    return "\n".join(head + body + tail)


def parse(text: str, source: str = "<markdown>") -> Trace:
    """The Trace embedded in a Markdown document written by :func:`render`."""
    m = _BLOCK.search(text)
    if m is None:
        from spec.errors import TraceError

        raise TraceError(f"{source}: no embedded {SCHEMA} JSON after {MARK} (was it written by "
                         f"memhp trace --format markdown?)")
    return from_embedded(m.group(1), source)
