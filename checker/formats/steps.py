"""Words for one step of a trace, shared by the Markdown and shell renderings, and the quoting
every rendering shares: :func:`visible` (one line, printable) and :func:`dot_string` (a
Graphviz DOT string).

What a step means to a reader: the bytes a write carried (escaped, quoted), a callback's answer
by name (``NOTIFY_STOP``, ``-ENOMEM``), a return value by errno name, and what changed in the
machine (node states, block states, hot-added or removed blocks), from the spec states the trace
replays through; a trace that does not replay falls back to the node changes it recorded.
"""

from __future__ import annotations

import json
from typing import Any

from checker.formats.states import spec_states
from checker.formats.traces import Trace, visible
from spec.actions import (
    NOTIFY_DONE, NOTIFY_NAMES, NOTIFY_STOP_MASK, STATE_TEXT, errno_name, notifier_to_errno,
)
from spec.errors import TraceError

_NOTIFY_BY_VALUE = {v: k for k, v in NOTIFY_NAMES.items()}


def dot_string(text: object) -> str:
    """A quoted Graphviz DOT string for a label or a name, whatever ``text`` holds: backslashes
    and quotes escaped, ``&`` as ``&amp;`` (Graphviz reads HTML entities in labels), line
    breaks as DOT's ``\\n``, every other character that is not printable as by
    :func:`visible`."""
    lines = (text if isinstance(text, str) else str(text)).split("\n")
    return '"' + "\\n".join(visible(line).replace("\\", "\\\\").replace('"', '\\"')
                             .replace("&", "&amp;") for line in lines) + '"'


def shown(text: bytes | None) -> str:
    """Written bytes as a quoted string with C-like escapes: ``"offline\\n"``, ``"\\xff"``."""
    if text is None:
        return '""'
    out = []
    for b in text:
        c = chr(b)
        if c == "\\" or c == '"':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7f:
            out.append(c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'


def answer(ret: int) -> str:
    """A callback's return value by name: ``NOTIFY_OK``, ``NOTIFY_BAD``, ``NOTIFY_STOP``, or
    ``notifier_from_errno(-ENOMEM)``."""
    if ret in _NOTIFY_BY_VALUE:
        return _NOTIFY_BY_VALUE[ret]
    if ret & NOTIFY_STOP_MASK:
        return f"notifier_from_errno({errno_name(notifier_to_errno(ret))})"
    return f"{ret:#x}" if ret != NOTIFY_DONE else "NOTIFY_DONE"


def returned(ret: int) -> str:
    return errno_name(ret) if ret < 0 else str(ret)


def machine_changes(trace: Trace, pre: Any, post: Any) -> list[str]:
    """What changed between two Machines: block presence and state, node online and flags."""
    out = []
    for spec, a, b in zip(trace.world.blocks, pre.blocks, post.blocks):
        name = f"memory{spec.id}"
        if a.present != b.present:
            out.append(f"{name} {'present' if b.present else 'gone'}")
        if a.registered != b.registered:
            out.append(f"{name} directory {'created' if b.registered else 'removed'}")
        if a.state != b.state and b.registered:
            out.append(f"{name}/state {STATE_TEXT.get(a.state, a.state)} -> "
                       f"{STATE_TEXT.get(b.state, b.state)}")
    for n, (a, b) in enumerate(zip(pre.nodes, post.nodes)):
        if a.online != b.online:
            out.append(f"node{n} {'online' if b.online else 'offline'}")
        for flag in sorted(a.flags ^ b.flags):
            out.append(f"node{n} {'+' if flag in b.flags else '-'}{flag}")
    return out


def step_changes(trace: Trace) -> list[list[str]]:
    """For each step, what it changed in the machine (see :func:`machine_changes`)."""
    try:
        states = spec_states(trace)
    except TraceError:
        out = []
        for st in trace.steps:
            nc = st.notes.get("node_changes", [])
            out.append([visible(x) for x in nc] if isinstance(nc, list) else [json.dumps(nc)])
        return out
    return [machine_changes(trace, a.machine, b.machine) for a, b in zip(states, states[1:])]


def action_text(a: Any) -> str:
    """The action in words (without its thread), on one line: the bytes written quoted as by
    :func:`shown`, a file name or a choice as by :func:`visible`."""
    if a.kind == "write":
        return f"write {shown(a.text)} to memory{a.block}/{visible(a.file)}"
    if a.kind == "step":
        return "step" + (f" [{visible(a.choice)}]" if a.choice else "")
    if a.kind == "hotadd":
        return f"hot-add memory{a.block} (ACPI)"
    if a.kind == "hotremove":
        return f"eject memory{a.block} (ACPI)"
    if a.kind == "read":
        return f"read memory{a.block}/{visible(a.file)}"
    return f"inject {visible(a.choice)} error {shown(a.text)}"


def ops(trace: Trace) -> list[tuple[int, int | None]]:
    """The operations of a trace as (index of the starting step, index of the step that returned
    it, or None if it is still running at the end). Reads and injects are operations of one step."""
    out: list[tuple[int, int | None]] = []
    open_: dict[str, int] = {}
    for i, st in enumerate(trace.steps):
        a, o = st.action, st.obs
        if a.kind in ("write", "hotadd", "hotremove"):
            open_[o.thread or a.thread or ""] = len(out)
            out.append((i, None))
        elif a.kind in ("read", "inject"):
            out.append((i, i))
            continue
        if o.ret is not None and (o.thread or a.thread) in open_:
            k = open_.pop(o.thread or a.thread or "")
            out[k] = (out[k][0], i)
    return out
