"""kernel/notifier.c: notifier chains with priorities, and the memory chain of
drivers/base/memory.c (register_memory_notifier, memory_notify). Shared by every profile.

Models: ``notifier_chain_register`` (a new block goes before the first block of strictly lower
priority, so equal priorities run in registration order), ``notifier_call_chain`` (calls each
callback in turn, stops after one whose return value has NOTIFY_STOP_MASK, returns the last
return value, NOTIFY_DONE for an empty chain), ``blocking_notifier_call_chain``. Each callback
call is one step: the chain yields ``call`` after each call, never before the first.
``notifier_from_errno`` / ``notifier_to_errno`` and the NOTIFY_* values are those of
spec.actions (include/linux/notifier.h).

Leaves out: the chain's rwsem (every caller already holds a modelled lock or a reader only reads),
``notifier_call_chain_robust`` (memory hotplug does not use it: CANCEL goes to the whole chain),
unregistering, atomic/raw/SRCU chains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import NOTIFY_DONE, NOTIFY_OK, NOTIFY_STOP_MASK
from spec.kernel.structs import Gen, MemoryNotify, NotifierBlock, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def notifier_from_errno(err: int) -> int:
    """include/linux/notifier.h notifier_from_errno: an errno as a value that stops the chain."""
    if err:
        return NOTIFY_STOP_MASK | (NOTIFY_OK - err)
    return NOTIFY_OK


def notifier_to_errno(ret: int) -> int:
    """include/linux/notifier.h notifier_to_errno (NOTIFY_BAD -> -EPERM, NOTIFY_STOP -> 0)."""
    ret &= ~NOTIFY_STOP_MASK
    return NOTIFY_OK - ret if ret > NOTIFY_OK else 0


def notifier_chain_register(nl: list[NotifierBlock], n: NotifierBlock) -> int:
    """kernel/notifier.c notifier_chain_register: insert before the first lower priority."""
    i = 0
    while i < len(nl):
        if n.priority > nl[i].priority:
            break
        i += 1
    nl.insert(i, n)
    return 0


def blocking_notifier_chain_register(k: "Kernel", nh: list[NotifierBlock], n: NotifierBlock) -> int:
    """kernel/notifier.c blocking_notifier_chain_register (the rwsem is not modelled)."""
    return k.fn.notifier_chain_register(nh, n)


def notifier_call_chain(k: "Kernel", nl: list[NotifierBlock], val: int, v: MemoryNotify,
                        nr_to_call: int = -1) -> Gen:
    """kernel/notifier.c notifier_call_chain: one step per callback call."""
    ret = NOTIFY_DONE
    for nb in list(nl):
        if nr_to_call == 0:
            break
        allocatable = k.range_allocatable(v.start_pfn, v.nr_pages)
        ret = getattr(k.fn, nb.notifier_call)(k, nb, val, v)
        yield Point("call", k.trace_notifier_call(nb, val, v, ret, allocatable))
        nr_to_call -= 1
        if ret & NOTIFY_STOP_MASK:
            break
    return ret


def blocking_notifier_call_chain(k: "Kernel", nh: list[NotifierBlock], val: int,
                                 v: MemoryNotify) -> Gen:
    """kernel/notifier.c blocking_notifier_call_chain (down_read of the rwsem not modelled)."""
    ret = yield from k.fn.notifier_call_chain(k, nh, val, v, -1)
    return ret


def register_memory_notifier(k: "Kernel", nb: NotifierBlock) -> int:
    """drivers/base/memory.c register_memory_notifier (hotplug_memory_notifier)."""
    return k.fn.blocking_notifier_chain_register(k, k.memory_chain, nb)


def memory_notify(k: "Kernel", val: int, v: MemoryNotify) -> Gen:
    """drivers/base/memory.c memory_notify: blocking_notifier_call_chain(&memory_chain, ...)."""
    ret = yield from k.fn.blocking_notifier_call_chain(k, k.memory_chain, val, v)
    return ret
