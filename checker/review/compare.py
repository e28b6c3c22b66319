"""Comparing two runs of one operation aspect by aspect, and naming the documented change a
difference shows (checker.review.diff). Leaves out: the steps' internal points, which differ between
lock models and are not observable."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from checker.review.runs import OpRun
from checker.formats.traces import Trace
from spec.actions import Action, NotifierCall, errno_name


@dataclass
class Difference:
    aspect: str
    key: tuple[Any, ...]
    summary: str  # one line a reviewer reads
    a: str  # what A shows
    b: str  # what B shows
    #: the trace, in operations: (start action, A's choices, B's choices)
    ops: list[tuple[Action, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    step: int = 0  # the operation (1-based) where this aspect differs; 0: at boot
    where: list[str] = field(default_factory=list)  # other operations showing the same
    trace_a: Trace | None = None
    trace_b: Trace | None = None
    tags: list[str] = field(default_factory=list)  # documented changes (facts.md section 7)
    #: the same aspect and operation with other values (from other choices or states): (a, b)
    variants: list[tuple[str, str]] = field(default_factory=list)
    #: the step (1-based) of trace_a and of trace_b where the two first show something different
    #: to userspace or a callback (a call, its arguments, a return value); the operation's last
    #: step where only node states or sysfs differ; 0 at boot
    part_a: int = 0
    part_b: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "aspect": self.aspect, "summary": self.summary, "a": self.a, "b": self.b,
            "step": self.step, "part_a": self.part_a, "part_b": self.part_b,
            "tags": self.tags, "also": self.where[:20],
            "variants": [{"a": x, "b": y} for x, y in self.variants],
            "ops": [{"action": a.to_json(), "choices_a": list(ca), "choices_b": list(cb)}
                    for a, ca, cb in self.ops],
            "trace_a": self.trace_a.to_json() if self.trace_a is not None else None,
            "trace_b": self.trace_b.to_json() if self.trace_b is not None else None,
        }


def generic(text: str) -> str:
    return re.sub(r"memory\d+", "memory*", text)


def op_label(a: Action) -> str:
    if a.kind == "write":
        return f"echo {(a.text or b'').decode('utf-8', 'replace')!r} > memory*/{a.file}"
    if a.kind == "read":
        return f"cat memory*/{a.file}"
    return f"firmware {a.kind} memory*"


def _ret(r: int | None) -> str:
    return "-" if r is None else errno_name(r)


def _events(calls: tuple[NotifierCall, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for c in calls:
        if not out or out[-1] != c.event:
            out.append(c.event)
    return tuple(out)


def compare_runs(ra: OpRun, rb: OpRun) -> list[tuple[str, tuple[Any, ...], str, str, str]]:
    """The aspects in which two runs of the same operation differ:
    (aspect, key, summary, what A shows, what B shows)."""
    label = op_label(ra.start)
    out = []
    if ra.ret != rb.ret:
        out.append(("ret", (label, _ret(ra.ret), _ret(rb.ret)), f"{label} returns differently",
                    _ret(ra.ret), _ret(rb.ret)))
    ca = tuple((c.event, c.callback) for c in ra.calls)
    cb = tuple((c.event, c.callback) for c in rb.calls)
    if ca != cb:
        ea, eb = _events(ra.calls), _events(rb.calls)
        if sorted(ca) == sorted(cb):
            out.append(("order", (label, ea, eb), f"{label}: the same events in another order",
                        " ".join(ea), " ".join(eb)))
        else:
            if ea != eb:
                out.append(("events", (label, ea, eb), f"{label}: different notifier events",
                            " ".join(ea) or "(none)", " ".join(eb) or "(none)"))
            else:
                out.append(("events", (label, ea, "callbacks"), f"{label}: {' '.join(ea)} reach "
                            "other callbacks", ", ".join(f"{e}->{c}" for e, c in ca),
                            ", ".join(f"{e}->{c}" for e, c in cb)))
    for x, y in _common_calls(ra.calls, rb.calls):
        for fld in ("status_change_nid", "status_change_nid_normal", "start_pfn", "nr_pages"):
            vx, vy = getattr(x, fld), getattr(y, fld)
            if vx != vy:
                out.append(("args", (fld, x.event, vx is None, vy is None),
                            f"{x.event}: {fld} differs", f"{fld}={'absent' if vx is None else vx}",
                            f"{fld}={'absent' if vy is None else vy}"))
        if x.allocatable != y.allocatable:
            out.append(("allocatable", (x.event, x.allocatable, y.allocatable),
                        f"{x.event}: pages {'allocatable' if x.allocatable else 'not allocatable'}"
                        f" in A, {'allocatable' if y.allocatable else 'not allocatable'} in B",
                        f"alloc={'y' if x.allocatable else 'n'}", f"alloc={'y' if y.allocatable else 'n'}"))
        if x.ret != y.ret:
            out.append(("callback_ret", (x.event, x.callback, x.ret, y.ret),
                        f"{x.event}->{x.callback} answers differently", f"{x.ret:#x}", f"{y.ret:#x}"))
    if ra.node != rb.node:
        na, nb = " ".join(ra.node) or "(no change)", " ".join(rb.node) or "(no change)"
        out.append(("node_state", (label, na, nb), f"{label}: node states change differently", na, nb))
    da, db = dict(ra.sysfs), dict(rb.sysfs)
    for path in sorted(set(da) | set(db)):
        if da.get(path, "-") != db.get(path, "-"):
            g = generic(path)
            out.append(("sysfs", (g,), f"{g} changes differently",
                        show(da.get(path, "(unchanged)")), show(db.get(path, "(unchanged)"))))
    return out


def _common_calls(xs: tuple[NotifierCall, ...], ys: tuple[NotifierCall, ...]
                  ) -> list[tuple[NotifierCall, NotifierCall]]:
    """Calls of the same event to the same callback (the n-th such call on each side)."""
    def index(calls: tuple[NotifierCall, ...]) -> dict[tuple[str, str, int], NotifierCall]:
        seen: dict[tuple[str, str], int] = {}
        out = {}
        for c in calls:
            n = seen.get((c.event, c.callback), 0)
            seen[(c.event, c.callback)] = n + 1
            out[(c.event, c.callback, n)] = c
        return out
    ix, iy = index(xs), index(ys)
    return [(ix[k], iy[k]) for k in ix if k in iy]


def show(v: Any) -> str:
    if v is None:
        return "(removed)"
    if isinstance(v, tuple):
        return "-> " + str(v[1])
    return repr(v)


def tag(d: Difference, world: Any) -> list[str]:
    """Which change of facts.md section 7 a difference shows (a difference may show none)."""
    tags = []
    text = " ".join(str(x) for x in d.key) + " " + d.a + " " + d.b
    last = d.ops[-1][0] if d.ops else None
    if "N_HIGH_MEMORY" in text or "N_MEMORY" in text or "has_memory" in text or (
            d.aspect == "node_state"):
        tags.append("node-state flags (B1)")
    if "status_change_nid_normal" in text:
        tags.append("status_change_nid_normal (B1)")
    if ("online_kernel" in text or "online_movable" in text) and "NODE_" not in text:
        tags.append("online_kernel / online_movable (B1)")
    if d.aspect == "outcome" and "-EAGAIN" in text:
        tags.append("offline timeout (B5)")
    if d.aspect == "allocatable" and "MEM_CANCEL_OFFLINE" in text:
        tags.append("order of MEM_CANCEL_OFFLINE and undo_isolate_page_range (B16)")
    if last is not None and last.block is not None and d.aspect not in ("boot",):
        spec = next((b for b in world.blocks if b.id == last.block), None)
        if spec is not None and spec.hole_pages and (
                (last.kind == "write" and last.text and last.text.startswith(b"off"))
                or (last.kind == "write" and last.file == "online" and last.text == b"0")):
            tags.append("blocks with holes (B9)")
    if "NODE_" in text:
        tags.append("NUMA node notifier (B15)")
    if d.aspect == "ret" and {d.a, d.b} == {"1", "-EINVAL"}:
        tags.append("already in that state: 1 vs -EINVAL (B3)")
    if "removable" in text:
        tags.append("removable (B10)")
    if "end_phys_index" in text:
        tags.append("end_phys_index removed (3.16)")
    if d.aspect == "alphabet" and "/online" in text:
        tags.append("generic online attribute (B2)")
    if last is not None and last.kind == "write" and last.file == "state" and last.text in (
            b"o", b"bogus", b"online\n"):
        tags.append("parsing: strncmp prefix vs sysfs_streq (4.3)")
    if last is not None and last.kind == "hotremove" and d.aspect in ("ret", "events", "sysfs"):
        tags.append("ACPI eject: offline_pages only (3.4) vs offline and remove (3.9+)")
    return tags




def iter_aspects(ra: list[OpRun], rb: list[OpRun]) -> Iterator[set[tuple[Any, ...]]]:
    """For each operation of two replays, the difference keys it shows."""
    for x, y in zip(ra, rb):
        yield {(asp,) + k for asp, k, *_ in compare_runs(x, y)}
