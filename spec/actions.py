"""The alphabet of the model: actions, observations and the kernel's constants.

Models: what a user, the firmware and the scheduler can do to a memory-hotplug machine
(design.md sections 1-3), and what each step shows: the point it ended at, the notifier calls it
made (with their ``struct memory_notify`` arguments), the value a finished operation returned, or
the text a read returned. Both renderings (``spec.model`` and the kernel mirror ``spec.kernel``)
produce these same values, so the lockstep test can compare them field by field.

Leaves out: file descriptors and partial writes (a write is one ``write(2)`` of the whole text),
and ``poll``/uevents. The 6.17 node notifier's events (``NODE_*``) are NotifierCalls too: their
``status_change_nid`` holds ``struct node_notify``'s nid.

The step contract (both renderings must agree on it):

* A thread's step runs to the next *point*. Points are ``wait:<lock>`` (about to take a lock: the
  thread's next step is enabled only while the lock is free, and ends at ``lock:<lock>``),
  ``lock:<lock>``, ``unlock:<lock>``, ``going_offline`` (``mem->state = MEM_GOING_OFFLINE``),
  ``call`` (one callback was called; a chain never calls two callbacks in one step),
  ``commit`` (pages onlined or offlined, counted, and node states updated), ``migrate_failed``
  (the offline loop gave up) and ``ret`` (the operation returned; ``Observation.ret`` holds it).
* A step that needs a nondeterministic outcome (a callback's answer to a GOING_* event, the
  outcome of page migration) takes it as ``Action.choice``; no step takes two.
* Locks: v3.4 has ``state_mutex:<block>`` (sysfs writers only) and ``mem_hotplug_mutex``;
  v6.1 has ``device_hotplug_lock`` (sysfs writers and firmware add/remove).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from spec.errors import ActionError

# --- include/linux/memory.h -------------------------------------------------------------
MEM_ONLINE = 1 << 0
MEM_GOING_OFFLINE = 1 << 1
MEM_OFFLINE = 1 << 2
MEM_GOING_ONLINE = 1 << 3
MEM_CANCEL_ONLINE = 1 << 4
MEM_CANCEL_OFFLINE = 1 << 5

EVENT_NAMES: dict[int, str] = {
    MEM_ONLINE: "MEM_ONLINE",
    MEM_GOING_OFFLINE: "MEM_GOING_OFFLINE",
    MEM_OFFLINE: "MEM_OFFLINE",
    MEM_GOING_ONLINE: "MEM_GOING_ONLINE",
    MEM_CANCEL_ONLINE: "MEM_CANCEL_ONLINE",
    MEM_CANCEL_OFFLINE: "MEM_CANCEL_OFFLINE",
}
EVENT_VALUES: dict[str, int] = {v: k for k, v in EVENT_NAMES.items()}
STATE_TEXT: dict[int, str] = {
    MEM_ONLINE: "online",
    MEM_OFFLINE: "offline",
    MEM_GOING_OFFLINE: "going-offline",
}

# --- include/linux/notifier.h -----------------------------------------------------------
NOTIFY_DONE = 0x0000
NOTIFY_OK = 0x0001
NOTIFY_STOP_MASK = 0x8000
NOTIFY_BAD = NOTIFY_STOP_MASK | 0x0002
NOTIFY_STOP = NOTIFY_OK | NOTIFY_STOP_MASK
NOTIFY_NAMES: dict[str, int] = {
    "NOTIFY_DONE": NOTIFY_DONE,
    "NOTIFY_OK": NOTIFY_OK,
    "NOTIFY_BAD": NOTIFY_BAD,
    "NOTIFY_STOP": NOTIFY_STOP,
}

# --- include/uapi/asm-generic/errno-base.h / errno.h ------------------------------------
EPERM = 1
ENOENT = 2
EINTR = 4
EIO = 5
EAGAIN = 11
ENOMEM = 12
EACCES = 13
EFAULT = 14
EBUSY = 16
EEXIST = 17
ENODEV = 19
EINVAL = 22
ENOSPC = 28
EHWPOISON = 133
MAX_ERRNO = 4095
ERRNO_NAMES: dict[str, int] = {
    "EPERM": EPERM, "ENOENT": ENOENT, "EINTR": EINTR, "EIO": EIO, "EAGAIN": EAGAIN,
    "ENOMEM": ENOMEM, "EACCES": EACCES, "EFAULT": EFAULT, "EBUSY": EBUSY, "EEXIST": EEXIST, "ENODEV": ENODEV,
    "EINVAL": EINVAL, "ENOSPC": ENOSPC, "EHWPOISON": EHWPOISON,
}
ERRNO_BY_VALUE: dict[int, str] = {v: k for k, v in ERRNO_NAMES.items()}

NUMA_NO_NODE = -1
PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT

#: Writer threads are ``w0``, ``w1``, ...; the firmware (ACPI hotplug work) runs on ``fw``.
FIRMWARE_THREAD = "fw"

ACTION_KINDS = ("write", "step", "hotadd", "hotremove", "read", "inject")


def errno_name(ret: int) -> str:
    """``-16`` -> ``"-EBUSY"``; other values print as numbers."""
    if ret < 0 and -ret in ERRNO_BY_VALUE:
        return "-" + ERRNO_BY_VALUE[-ret]
    return str(ret)


def parse_errno(text: str) -> int:
    """``"-EBUSY"`` or ``"-16"`` or ``"0"`` -> the int; raises ActionError otherwise."""
    t = text.strip()
    if t.lstrip("-").isdigit():
        return int(t)
    if t.startswith("-") and t[1:] in ERRNO_NAMES:
        return -ERRNO_NAMES[t[1:]]
    raise ActionError(f"not an errno: {text!r} (expected e.g. -EBUSY, -16 or 0)")


def notifier_from_errno(err: int) -> int:
    """include/linux/notifier.h: an errno as a notifier return value."""
    if err:
        return NOTIFY_STOP_MASK | (NOTIFY_OK - err)
    return NOTIFY_OK


def notifier_to_errno(ret: int) -> int:
    """include/linux/notifier.h: a notifier return value as an errno (NOTIFY_BAD -> -EPERM)."""
    ret &= ~NOTIFY_STOP_MASK
    return NOTIFY_OK - ret if ret > NOTIFY_OK else 0


def answer_value(answer: str) -> int:
    """A callback answer as written in a world or a choice: a NOTIFY_* name or an errno."""
    if answer in NOTIFY_NAMES:
        return NOTIFY_NAMES[answer]
    return notifier_from_errno(parse_errno(answer))


@dataclass(frozen=True, slots=True)
class Action:
    """One thing that happens to the machine.

    ``kind`` is one of :data:`ACTION_KINDS`:

    * ``write``: writer ``thread`` starts ``write(2)`` of ``text`` to ``memory<block>/<file>``;
    * ``step``: ``thread`` runs to its next point, taking ``choice`` where the step needs one;
    * ``hotadd`` / ``hotremove``: the firmware adds or ejects the ACPI memory device of ``block``;
    * ``read``: userspace reads ``memory<block>/<file>`` (no state change);
    * ``inject``: debugfs ``notifier-error-inject/memory/actions/<choice>/error`` <- ``text``.

    ``block`` is the block id as in the sysfs name (``memory16`` -> 16).
    """

    kind: str
    thread: str | None = None
    block: int | None = None
    file: str | None = None
    text: bytes | None = None
    choice: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.thread is not None:
            out["thread"] = self.thread
        if self.block is not None:
            out["block"] = f"memory{self.block}"
        if self.file is not None:
            out["file"] = self.file
        if self.text is not None:
            try:
                out["text"] = self.text.decode("utf-8")
            except UnicodeDecodeError:
                out["text_b64"] = base64.b64encode(self.text).decode("ascii")
        if self.choice is not None:
            out["choice"] = self.choice
        return out

    @staticmethod
    def from_json(data: Any) -> "Action":
        if not isinstance(data, dict) or data.get("kind") not in ACTION_KINDS:
            raise ActionError(f"an action needs a kind among {', '.join(ACTION_KINDS)}: {data!r}")
        block = data.get("block")
        if block is not None:
            if not (isinstance(block, str) and block.startswith("memory") and block[6:].isdigit()):
                raise ActionError(f"block must be a sysfs name like memory16, not {block!r}")
            block = int(block[6:])
        text: bytes | None = None
        if "text_b64" in data:
            text = base64.b64decode(str(data["text_b64"]), validate=True)
        elif "text" in data:
            if not isinstance(data["text"], str):
                raise ActionError(f"text must be a string: {data!r}")
            text = data["text"].encode("utf-8")
        for key in ("thread", "file", "choice"):
            if key in data and not isinstance(data[key], str):
                raise ActionError(f"{key} must be a string: {data!r}")
        present = {"block": block, "text": text, **{k: data.get(k) for k in ("thread", "file", "choice")}}
        lacking = [k for k in _NEEDS[data["kind"]] if present[k] is None]
        if lacking:
            raise ActionError(f"a {data['kind']} action needs {' and '.join(lacking)}")
        return Action(kind=data["kind"], thread=data.get("thread"), block=block,
                      file=data.get("file"), text=text, choice=data.get("choice"))

    def label(self) -> str:
        """One short line for terminals and Mermaid diagrams."""
        if self.kind == "write":
            return f"{self.thread}: echo {self.text!r} > memory{self.block}/{self.file}"
        if self.kind == "step":
            return f"{self.thread}: step" + (f" [{self.choice}]" if self.choice else "")
        if self.kind in ("hotadd", "hotremove"):
            return f"firmware: {self.kind} memory{self.block}"
        if self.kind == "read":
            return f"cat memory{self.block}/{self.file}"
        return f"inject {self.choice} error={self.text!r}"


#: what each kind of action must name (the constructors below give them all)
_NEEDS: dict[str, tuple[str, ...]] = {"write": ("thread", "block", "file", "text"), "step": ("thread",),
                                      "hotadd": ("block",), "hotremove": ("block",),
                                      "read": ("block", "file"), "inject": ("choice", "text")}


def write(thread: str, block: int, text: str | bytes, file: str = "state") -> Action:
    data = text.encode() if isinstance(text, str) else text
    return Action("write", thread=thread, block=block, file=file, text=data)


def step(thread: str, choice: str | None = None) -> Action:
    return Action("step", thread=thread, choice=choice)


def hotadd(block: int) -> Action:
    return Action("hotadd", thread=FIRMWARE_THREAD, block=block)


def hotremove(block: int) -> Action:
    return Action("hotremove", thread=FIRMWARE_THREAD, block=block)


def read(block: int, file: str = "state") -> Action:
    return Action("read", block=block, file=file)


def inject(event: str, error: str) -> Action:
    return Action("inject", choice=event, text=error.encode())


@dataclass(frozen=True, slots=True)
class NotifierCall:
    """One callback called with one event (``callback(nb, action, struct memory_notify *)``).

    ``allocatable`` says whether the page allocator could hand out a page of
    ``[start_pfn, start_pfn + nr_pages)`` at the moment of the call (the promises of seed
    section 8 are about exactly this). ``status_change_nid_normal`` is None where the profile's
    struct has no such field.
    """

    event: str
    callback: str
    start_pfn: int
    nr_pages: int
    status_change_nid: int
    status_change_nid_normal: int | None
    ret: int
    allocatable: bool

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "event": self.event, "callback": self.callback, "start_pfn": self.start_pfn,
            "nr_pages": self.nr_pages, "status_change_nid": self.status_change_nid,
            "ret": self.ret, "allocatable": self.allocatable,
        }
        if self.status_change_nid_normal is not None:
            out["status_change_nid_normal"] = self.status_change_nid_normal
        return out

    @staticmethod
    def from_json(d: dict[str, Any]) -> "NotifierCall":
        return NotifierCall(d["event"], d["callback"], int(d["start_pfn"]), int(d["nr_pages"]),
                            int(d["status_change_nid"]), d.get("status_change_nid_normal"),
                            int(d["ret"]), bool(d["allocatable"]))


@dataclass(frozen=True, slots=True)
class Observation:
    """What one step showed. ``ret`` is set on the step where an operation returns."""

    thread: str | None
    point: str
    calls: tuple[NotifierCall, ...] = ()
    ret: int | None = None
    read: str | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"point": self.point}
        if self.thread is not None:
            out["thread"] = self.thread
        if self.calls:
            out["calls"] = [c.to_json() for c in self.calls]
        if self.ret is not None:
            out["ret"] = self.ret
        if self.read is not None:
            out["read"] = self.read
        for k, v in self.extra:
            out[k] = v
        return out

    @staticmethod
    def from_json(d: dict[str, Any]) -> "Observation":
        known = {"point", "thread", "calls", "ret", "read"}
        extra = tuple(sorted((k, v) for k, v in d.items() if k not in known
                             and not isinstance(v, (dict, list))))
        return Observation(d.get("thread"), d["point"],
                           tuple(NotifierCall.from_json(c) for c in d.get("calls", [])),
                           d.get("ret"), d.get("read"), extra)

    def core(self) -> tuple[Any, ...]:
        """The fields both renderings must agree on (``extra`` is informational)."""
        return (self.thread, self.point, self.calls, self.ret, self.read)
