"""Trace steps in a kernel reviewer's words.

An action becomes what a person or the firmware did (``echo offline >
/sys/devices/system/memory/memory1/state``, an ACPI hot-add or eject); an observation becomes what
the kernel did at that step: the lock it waits for, each notifier call with its struct
memory_notify and the callback's answer decoded (``NOTIFY_BAD``, ``notifier_from_errno(-ENOMEM)``),
the value a write or read returned. Memory block directories are named by block id, as both the
3.4 and the 6.1 drivers/base/memory.c name them.

Leaves out: escaping. The callers put every line through checker.formats.steps.visible, so no
text from a trace can forge a line.
"""

from __future__ import annotations

import shlex

from spec.actions import (ERRNO_BY_VALUE, FIRMWARE_THREAD, NOTIFY_NAMES, NOTIFY_STOP_MASK, Action,
                          NotifierCall, Observation, errno_name)

SYSFS_MEMORY = "/sys/devices/system/memory"

_POINTS = {"ret": "returns", "commit": "commits the new state",
           "going_offline": "sets state going-offline", "migrate_failed": "page migration fails"}


def notify_name(ret: int) -> str:
    """A callback's return value as the kernel spells it."""
    for name, value in NOTIFY_NAMES.items():
        if ret == value:
            return name
    if ret & NOTIFY_STOP_MASK:
        err = 0x0001 - (ret & ~NOTIFY_STOP_MASK)  # notifier_to_errno(): NOTIFY_OK - (ret & ~MASK)
        if err < 0 and -err in ERRNO_BY_VALUE:
            return f"notifier_from_errno({errno_name(err)})"
    return f"{ret:#x}"


def action_words(a: Action) -> str:
    """What started the step, as a shell line or the firmware event."""
    if a.kind == "write":
        text = (a.text or b"").decode("utf-8", "backslashreplace")
        return f"{a.thread}$ echo {shlex.quote(text)} > {SYSFS_MEMORY}/memory{a.block}/{a.file}"
    if a.kind == "read":
        return f"cat {SYSFS_MEMORY}/memory{a.block}/{a.file}"
    if a.kind == "hotadd":
        return f"ACPI: hot-add of memory{a.block} (acpi_memory_device_add)"
    if a.kind == "hotremove":
        return f"ACPI: eject of memory{a.block} (acpi_memory_device_remove)"
    if a.kind == "step":
        if not a.choice:
            return step_who(a)
        what = "callback answers" if a.choice.startswith("NOTIFY_") else "page migration:"
        return f"{step_who(a)} [{what} {a.choice}]"
    return f"inject: {a.choice} fails with {a.text!r}"


def step_who(a: Action) -> str:
    """Who runs a ``step`` action: a writer thread or the firmware's hotplug work."""
    return "firmware" if a.thread == FIRMWARE_THREAD else str(a.thread)


def step_line(a: Action, o: Observation) -> str:
    """One line for a step: who ran on and what the kernel did (``w0: waits for mem_hotplug_mutex``);
    an action that starts something (a write, an ACPI event) shows the action, then the result."""
    if a.kind == "step":
        return f"{action_words(a)}: {obs_words(o)}"
    return f"{action_words(a)}  -> {obs_words(o)}"


def call_words(c: NotifierCall) -> str:
    nid = f"status_change_nid={c.status_change_nid}"
    if c.status_change_nid_normal is not None:
        nid += f", status_change_nid_normal={c.status_change_nid_normal}"
    pages = "pages allocatable" if c.allocatable else "pages not allocatable"
    return (f"{c.callback}({c.event}, {{start_pfn={c.start_pfn:#x}, nr_pages={c.nr_pages}, {nid}}})"
            f" = {notify_name(c.ret)}; {pages}")


def obs_words(o: Observation) -> str:
    """What the kernel did at the step."""
    parts = []
    kind, _, arg = o.point.partition(":")
    if kind == "wait":
        parts.append(f"waits for {arg}")
    elif kind == "unlock":
        parts.append(f"releases {arg}")
    elif kind == "BUG":  # a kernel mirror reached a modelled BUG() (checker.model.MirrorModel)
        what = dict(o.extra).get("bug")
        parts.append(f"hits BUG() in {arg}" + (f" ({what})" if what else "")
                     + ": the kernel would oops")
    elif kind != "call":
        parts.append(_POINTS.get(o.point, o.point))
    parts += [call_words(c) for c in o.calls]
    if o.read is not None:
        parts.append(f"reads {o.read!r}")
    elif o.ret is not None:
        parts[-1 if parts and parts[-1] == "returns" else len(parts):] = [f"returns {errno_name(o.ret)}"]
    return "; ".join(parts)


__all__ = ["SYSFS_MEMORY", "action_words", "call_words", "notify_name", "obs_words", "step_line", "step_who"]
