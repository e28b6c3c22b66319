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
from checker.formats.steps import action_text, answer, returned, shown, step_changes
from checker.formats.traces import SCHEMA, Trace, TraceStep

MARK = f"<!-- {SCHEMA} -->"
_ENTITY = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;"}
_BLOCK = re.compile(re.escape(MARK) + r"\s*```json\n(.*?)\n```", re.DOTALL)


def _esc(text: str) -> str:
    """Mermaid message text: '#', ';', '<' and '>' as entity codes."""
    return re.sub(r"[#;<>]", lambda m: _ENTITY[m.group(0)], text)


def _pid(name: str) -> str:
    return "cb_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _seed(trace: Trace) -> str:
    from spec.invariants import BY_NAME

    inv = BY_NAME.get(trace.invariant or "")
    return inv.seed_section if inv else "?"


def mermaid(trace: Trace) -> str:
    """The Mermaid ``sequenceDiagram`` of ``trace`` (no fence around it)."""
    w = trace.world
    writers = [t for t in w.writer_threads()
               if any(s.action.thread == t or s.obs.thread == t for s in trace.steps)] or ["w0"]
    user = any(s.action.kind in ("read", "inject") for s in trace.steps)
    lines = ["sequenceDiagram"]
    for t in writers:
        lines.append(f"    participant {t} as userspace {t}")
    if user:
        lines.append("    participant user as userspace (reads, debugfs)")
    lines.append("    participant sysfs")
    lines.append("    participant core as hotplug core")
    for cb in w.chain():
        lines.append(f"    participant {_pid(cb.name)} as {_esc(cb.name)} (priority {cb.priority})")
    lines.append("    participant node as node state")
    lines.append("    participant fw as firmware")
    changes = step_changes(trace)
    last = len(trace.steps)
    for i, (st, ch) in enumerate(zip(trace.steps, changes), 1):
        body = _step_lines(i, st, ch)
        if i == last and trace.invariant:
            lines.append("    rect rgb(255, 228, 228)")
            lines += ["    " + b for b in body]
            lines.append(f"        Note over core: violates {_esc(trace.invariant)} [{_esc(trace.cause or '')}]")
            lines.append("    end")
        else:
            lines += body
    if trace.invariant and not trace.steps:
        lines.append(f"    Note over sysfs: violated after boot: {_esc(trace.invariant)} [{_esc(trace.cause or '')}]")
    return "\n".join(lines) + "\n"


def _step_lines(i: int, st: TraceStep, changes: list[str]) -> list[str]:
    a, o = st.action, st.obs
    who = o.thread or a.thread or "user"
    fw = who == "fw"
    out = []
    if a.kind == "write":
        out.append(f"    {who}->>sysfs: {i}. {_esc(action_text(a))}")
        if o.ret is None:
            out.append(f"    sysfs->>core: store ({_esc(o.point)})")
    elif a.kind in ("hotadd", "hotremove"):
        out.append(f"    fw->>core: {i}. {_esc(action_text(a))} ({_esc(o.point)})")
    elif a.kind == "read":
        out.append(f"    user->>sysfs: {i}. {_esc(action_text(a))}")
        out.append(f"    sysfs-->>user: {_esc(shown((o.read or '').encode()))}")
        return out
    elif a.kind == "inject":
        out.append(f"    user->>core: {i}. debugfs: {_esc(action_text(a))}")
        return out
    else:
        choice = f" [{a.choice}]" if a.choice else ""
        if not o.calls and o.ret is None:
            out.append(f"    Note over core: {i}. {who}: {_esc(o.point)}{_esc(choice)}")
    for c in o.calls:
        nid = f"nid={c.status_change_nid}"
        if c.status_change_nid_normal is not None:
            nid += f" nid_normal={c.status_change_nid_normal}"
        out.append(f"    core->>{_pid(c.callback)}: {i}. {c.event} {nid}")
        out.append(f"    {_pid(c.callback)}-->>core: {answer(c.ret)}"
                   + (f" (choice {_esc(a.choice)})" if a.choice else ""))
    for ch in changes:
        if ch.endswith((" present", " gone")):
            out.append(f"    Note over fw: {_esc(ch)}")
        else:
            out.append(f"    core->>{'node' if ch.startswith('node') else 'sysfs'}: {_esc(ch)}")
    if o.ret is not None:
        if fw:
            out.append(f"    core-->>fw: {i}. returns {_esc(returned(o.ret))}")
        else:
            out.append(f"    sysfs-->>{who}: {i}. write returns {_esc(returned(o.ret))}")
    return out


def table(trace: Trace) -> str:
    """The steps as a fixed-width plain-text table (readable in a mail)."""
    rows = [("#", "thread", "action", "what it showed")]
    for i, (st, ch) in enumerate(zip(trace.steps, step_changes(trace)), 1):
        a, o = st.action, st.obs
        shows = [o.point] if o.ret is None or o.point != "ret" else []
        for c in o.calls:
            shows.append(f"{c.event} -> {c.callback}: {answer(c.ret)} (nid {c.status_change_nid})")
        if o.read is not None:
            shows.append(f"read {shown(o.read.encode())}")
        elif o.ret is not None:
            shows.append(f"returns {returned(o.ret)}")
        shows += ch
        rows.append((str(i), o.thread or a.thread or "-", action_text(a), "; ".join(shows)))
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    return "\n".join(f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
                     for r in rows) + "\n"


def render(trace: Trace) -> str:
    """The whole Markdown document of ``trace``."""
    w = trace.world
    head = [f"# memhp-check trace: {trace.invariant or 'no violation'} "
            f"({trace.profile}, world {w.name})", ""]
    if trace.invariant:
        head += [f"**Violated invariant:** `{trace.invariant}`, memory-hotplug.txt section "
                 f"{_seed(trace)}  ",
                 f"**Cause:** `{trace.cause}`  ",
                 f"**Message:** {trace.message}  "]
    head += [f"**Profile:** {trace.profile}, **world:** {w.name}, **steps:** {len(trace)}", "",
             "Replay it with `memhp replay FILE.md`; `memhp trace FILE.md --format json` prints the "
             "trace it embeds.", ""]
    body = ["## Sequence", "", "```mermaid", mermaid(trace).rstrip("\n"), "```", "",
            "## Steps", "", "```text", table(trace).rstrip("\n"), "```", ""]
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
