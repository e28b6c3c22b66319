"""The data of one trace's step-through viewer: the sequence diagram's lanes and messages, and
the state panel of every step.

A Trace records actions and observations; the states come from replaying its actions through
the spec of its profile (:class:`checker.model.SpecModel`), step by step, comparing each
observation as :func:`checker.formats.states.spec_states` does. Where the replay stops (a trace
taken on a patched kernel mirror, a profile memhp does not know) the steps after it keep their
observations and the state panel says why it is unavailable (``replay.why``).

For each step: who acted and how (in words, see :mod:`checker.formats.steps`), the point it
stopped at and the C function it stopped in, the notifier calls with their ``struct
memory_notify`` arguments and the callbacks' answers, the return value or the text read, what
changed in the machine; and, where the replay reached it, the machine after the step (every
block's state, zone, pages and whether they are allocatable; every node's masks and present
pages; held locks; operations in flight), the sysfs view as what changed since the step before
(the viewer rebuilds the whole tree), and the link graph of that view laid out in two columns
(nodes, blocks) when it changed.

Leaves out: the invariant monitor's bookkeeping, and per-page state (the spec has none).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from checker.formats.steps import action_text, answer, machine_changes, returned, shown, visible
from checker.formats.traces import Trace
from checker.formats.words import step_line
from spec.actions import STATE_TEXT
from spec.state import PAGES_ONLINE, thread_names

#: the C function a spec handler (``Op.pc``, or ``Op.next`` while waiting or calling a chain)
#: stands for (spec/steps/*.py docstrings)
FUNCTIONS: Mapping[str, str] = MappingProxyType({
    "ha_add": "add_memory() (mm/memory_hotplug.c)",
    "dev_op": "device_online() / device_offline() (drivers/base/core.c)",
    "ws_check": "memory_block_change_state() (drivers/base/memory.c)",
    "ws_finish": "memory_block_change_state() (drivers/base/memory.c)",
    "on61_ok_tail": "memory_block_online() (drivers/base/memory.c)",
    "on61_fail_tail": "memory_block_online() (drivers/base/memory.c)",
    "off61_ok_tail": "memory_block_offline() (drivers/base/memory.c)",
    "off61_fail_tail": "memory_block_offline() (drivers/base/memory.c)",
    **{pc: "online_pages() (mm/memory_hotplug.c)" for pc in (
        "on_going", "on_after_going", "on_after_commit", "on_unlock_hp", "on_node_going",
        "on_node_cancel", "on_mem_online")},
    **{pc: "offline_pages() (mm/memory_hotplug.c)" for pc in (
        "off_entry", "off_isolate", "off_after_going", "off_failed", "off_after_commit",
        "off_undo_unlock", "off_unlock_hp", "off_node_going", "off_node_cancel",
        "off_mem_offline", "off61_entry", "off61_undo_tail")},
})

_RETURNED: Mapping[str, str] = MappingProxyType({
    "write": "returned from write(2)", "hotadd": "returned to the ACPI driver (add)",
    "hotremove": "returned to the ACPI driver (eject)", "read": "read(2) returned",
    "inject": "debugfs write returned"})


def function_of(op: Any) -> str:
    """Where an operation in flight stands, as the C function (or the spec handler's name)."""
    pc = op.next if op.pc in ("wait", "chain") else op.pc
    if pc == "off_finish":
        fn = ("memory_block_change_state() (drivers/base/memory.c)" if op.kind == "write"
              else "remove_memory() (mm/memory_hotplug.c), ACPI eject")
    else:
        fn = FUNCTIONS.get(pc, f"spec step {pc}")
    if op.pc == "wait":
        return f"{fn}, waiting for {op.lock}"
    if op.pc == "chain":
        return f"{fn}, in memory_notify({op.event})"
    return fn


# --- lanes and messages --------------------------------------------------------------------

def lanes(trace: Trace) -> list[tuple[str, str]]:
    """The diagram's lanes as (key, title): the firmware, a userspace lane per writer thread
    the trace uses, one for reads and debugfs if it has them, sysfs, the hotplug core, each
    callback in chain order and the node state: the participants of
    :func:`checker.formats.markdown.mermaid`, with the firmware first, beside userspace (the
    two start operations)."""
    w = trace.world
    used = {s.action.thread for s in trace.steps} | {s.obs.thread for s in trace.steps}
    writers = [t for t in w.writer_threads() if t in used] or ["w0"]
    out = [("fw", "firmware")] + [(f"t:{t}", f"userspace {t}") for t in writers]
    if any(s.action.kind in ("read", "inject") for s in trace.steps):
        out.append(("user", "userspace (reads, debugfs)"))
    out += [("sysfs", "sysfs"), ("core", "hotplug core")]
    out += [(f"cb:{cb.name}", f"{cb.name} (priority {int(cb.priority)})") for cb in w.chain()]
    out.append(("node", "node state"))
    return out


def messages(trace: Trace, index: dict[str, int], k: int, changes: list[str]) -> list[list[Any]]:
    """The arrows of step ``k`` (1-based): ``[from lane, to lane, label, style]``, style
    ``call``, ``ret`` (dashed) or ``note`` (a note over the from lane)."""
    st = trace.steps[k - 1]
    a, o = st.action, st.obs
    who = o.thread or a.thread or "user"
    me = index.get(f"t:{who}", index["fw"] if who == "fw" else index.get("user", 0))
    sysfs, core, fw, node = index["sysfs"], index["core"], index["fw"], index["node"]
    out: list[list[Any]] = []
    if a.kind == "write":
        out.append([me, sysfs, action_text(a), "call"])
        if o.ret is None:
            out.append([sysfs, core, f"store ({o.point})", "call"])
    elif a.kind in ("hotadd", "hotremove"):
        out.append([fw, core, f"{action_text(a)} ({o.point})", "call"])
    elif a.kind == "read":
        u = index.get("user", me)
        return [[u, sysfs, action_text(a), "call"],
                [sysfs, u, shown(_bytes(o.read or "")), "ret"]]
    elif a.kind == "inject":
        return [[index.get("user", me), core, "debugfs: " + action_text(a), "call"]]
    elif not o.calls and o.ret is None:
        out.append([core, core, f"{who}: {o.point}" + (f" [{a.choice}]" if a.choice else ""), "note"])
    for c in o.calls:
        cb = index.get(f"cb:{c.callback}", core)
        nid = f"nid={c.status_change_nid}"
        if c.status_change_nid_normal is not None:
            nid += f" nid_normal={c.status_change_nid_normal}"
        out.append([core, cb, f"{c.event} {nid}", "call"])
        out.append([cb, core, answer(c.ret) + (f" (choice {a.choice})" if a.choice else ""), "ret"])
    for ch in changes:
        if ch.endswith((" present", " gone")):
            out.append([fw, fw, ch, "note"])
        else:
            out.append([core, node if ch.startswith("node") else sysfs, ch, "call"])
    if o.ret is not None:
        if who == "fw":
            out.append([core, fw, f"returns {returned(o.ret)}", "ret"])
        else:
            out.append([sysfs, me, f"write returns {returned(o.ret)}", "ret"])
    return out


def _bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


# --- states --------------------------------------------------------------------------------

def replay_states(trace: Trace) -> tuple[list[Any], list[Any], str]:
    """The spec states and models of ``trace`` as far as it replays: (states, [model], why),
    ``states[0]`` the state after boot; ``why`` is empty when every step replayed, else says
    where and why the replay stopped (checker.formats.states.replay_spec)."""
    from checker.formats.states import replay_spec

    states, model, stop = replay_spec(trace)
    if stop is None:
        return states, [model], ""
    if stop.why == "profile":
        return [], [], visible(f"the profile {trace.profile!r} is not one the spec models "
                               f"({stop.detail}); a trace of a patched kernel mirror has no spec states")
    if stop.why == "not possible":
        return states, [model], visible(f"step {stop.step} ({stop.label}) is not possible on "
                                        f"{model.name}: {stop.detail}")
    return states, [model], visible(
        f"from step {stop.step} on, the trace shows what another rendering did: {model.name} "
        f"shows {stop.got}, the trace says {stop.want} (a trace taken on a patched kernel "
        f"mirror; the states of that mirror are not in the report)")


def machine_data(trace: Trace, model: Any, state: Any) -> dict[str, Any]:
    """The state panel's machine: blocks, nodes, locks and the operations in flight."""
    w, m = trace.world, state.machine
    blocks = []
    for spec, b in zip(w.blocks, m.blocks):
        blocks.append({
            "name": f"memory{spec.id}", "present": b.present, "dir": b.registered,
            "state": STATE_TEXT.get(b.state, f"ERROR-UNKNOWN-{b.state}"),
            "pages": b.pages, "alloc": b.present and b.pages == PAGES_ONLINE,
            "zones": " ".join(b.zones) or "-", "online_type": b.online_type,
            "node": ",".join(str(n) for n in spec.nodes),
        })
    nodes = []
    for i, n in enumerate(m.nodes):
        nodes.append({"name": f"node{i}", "online": n.online, "present": n.present_pages,
                      "flags": [f in n.flags for f in model.profile.node_flags],
                      "slub": i in m.slub_nodes})
    threads = []
    for name, op in zip(thread_names(w), state.threads):
        if op is None:
            threads.append([name, "idle"])
        else:
            what = f"{op.kind} {op.req}".strip() + f" memory{w.blocks[op.block].id}"
            threads.append([name, f"{what}: {function_of(op)}"])
    return {"blocks": blocks, "nodes": nodes, "locks": [list(x) for x in m.locks],
            "threads": threads}


def sysfs_entries(view: dict[str, Any]) -> dict[str, str]:
    """A sysfs view as path -> what the panel shows (a file's text on one line, ``-> target``
    for a link, ``(directory)``)."""
    out = {}
    for path, v in view.items():
        if isinstance(v, tuple):
            out[path] = f"-> {v[1]}"
        elif path.endswith("/"):
            out[path] = "(directory)"
        else:
            out[path] = visible(v)
    return out


def graph_data(trace: Trace, view: dict[str, Any]) -> dict[str, Any]:
    """The link graph of ``view`` (checker.audit.graph), laid out: node boxes on the left,
    block boxes (runs of alike blocks folded) on the right; edges ``both`` (link and
    backlink), ``link`` (no backlink) and ``back`` (backlink only)."""
    from checker.audit.graph import build, fold

    boxes, edges = fold(build(view, sections_per_block=trace.world.sections_per_block))
    out_boxes = []
    ys = {"node": 8, "block": 8}
    for b in boxes:
        col = "node" if b.kind == "node" else "block"
        lines = list(b.lines)
        h = 14 * len(lines) + 10
        out_boxes.append({"key": b.key, "lines": lines, "kind": b.kind, "bad": b.bad,
                          "x": 8 if col == "node" else 250, "y": ys[col], "h": h})
        ys[col] += h + 14
    links = {(a, c) for a, c, k in edges if k == "link"}
    backs = {(c, a) for a, c, k in edges if k == "backlink"}  # as node -> block
    out_edges = [[a, c, "both" if (a, c) in backs else "link"] for a, c in sorted(links)]
    out_edges += [[a, c, "back"] for a, c in sorted(backs - links)]
    return {"boxes": out_boxes, "edges": out_edges, "h": max(ys.values())}


# --- the whole viewer -------------------------------------------------------------------------

def viewer_data(trace: Trace, graph: bool = True) -> dict[str, Any]:
    """Everything the page's script needs to show ``trace`` step by step."""
    lane_list = lanes(trace)
    index = {k: i for i, (k, _) in enumerate(lane_list)}
    states, models, why = replay_states(trace)
    model = models[0] if models else None
    out: dict[str, Any] = {
        "profile": trace.profile, "world": trace.world.name,
        "lanes": [t for _, t in lane_list],
        "flags": list(model.profile.node_flags) if model else [],
        "online_type": bool(model and model.profile.online_file),
        "replay": {"upto": max(len(states) - 1, -1), "why": why},
        "violation": ({"invariant": trace.invariant, "cause": trace.cause or "",
                       "message": trace.message or ""} if trace.invariant else None),
    }
    prev_view: dict[str, str] = {}
    boot: dict[str, Any] = {"i": 0, "who": "", "action": "boot", "point": "", "msgs": [],
                            "calls": [], "changes": [], "fn": "the machine as booted"}
    if states and model:
        view = model.view(states[0])
        prev_view = sysfs_entries(view)
        boot.update(state=machine_data(trace, model, states[0]), sysfs=prev_view,
                    graph=graph_data(trace, view) if graph else None)
    steps = [boot]
    for k, st in enumerate(trace.steps, 1):
        a, o = st.action, st.obs
        have = k < len(states)
        if have:
            changes = machine_changes(trace, states[k - 1].machine, states[k].machine)
        else:
            nc = st.notes.get("node_changes", [])
            changes = [visible(x) for x in nc] if isinstance(nc, list) else []
        who = o.thread or a.thread or "user"
        d: dict[str, Any] = {
            "i": k, "who": who, "action": action_text(a), "point": o.point,
            "words": visible(step_line(a, o)),
            "msgs": messages(trace, index, k, changes), "changes": changes,
            "calls": [{"event": c.event, "callback": c.callback, "start_pfn": c.start_pfn,
                       "nr_pages": c.nr_pages, "nid": c.status_change_nid,
                       "nid_normal": c.status_change_nid_normal, "ret": answer(c.ret),
                       "alloc": c.allocatable} for c in o.calls],
            "ret": returned(o.ret) if o.ret is not None and o.read is None else None,
            "read": shown(_bytes(o.read)) if o.read is not None else None,
        }
        if have and model:
            s = states[k]
            t = thread_names(trace.world)
            op = s.threads[t.index(who)] if who in t else None
            before = states[k - 1].threads[t.index(who)] if who in t else None
            kind = a.kind if before is None else before.kind
            d["fn"] = function_of(op) if op is not None else _RETURNED.get(kind, "returned")
            view_now = sysfs_entries(model.view(s))
            delta = {p: v for p, v in view_now.items() if prev_view.get(p) != v}
            delta.update({p: None for p in prev_view if p not in view_now})
            d["state"] = machine_data(trace, model, s)
            d["sysfs"] = delta
            d["graph"] = graph_data(trace, model.view(s)) if graph and delta else None
            prev_view = view_now
        else:
            d["fn"] = ""
        steps.append(d)
    out["steps"] = steps
    return out


__all__ = ["FUNCTIONS", "function_of", "graph_data", "lanes", "machine_data", "messages",
           "replay_states", "sysfs_entries", "viewer_data"]
