"""Memory-notifier callbacks that are not SLUB's: the error injector
(lib/memory-notifier-error-inject.c with lib/notifier-error-inject.c), a callback whose answer
to each GOING_* event is a nondeterministic choice, and one that always says NOTIFY_OK.

Models: the injector's debugfs ``actions/<EVENT>/error`` files (clamped to [-MAX_ERRNO, 0]) and
its callback, which answers the event of a matching action with notifier_from_errno(error) and
every other event with NOTIFY_OK; a ``choice`` callback answers GOING_ONLINE / GOING_OFFLINE with
one of its answers (``Kernel.decide``) and everything else with NOTIFY_OK.

Leaves out: module load/unload and the ``priority`` module parameter (the world gives it), the
"Injecting error" log line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import (MAX_ERRNO, MEM_GOING_OFFLINE, MEM_GOING_ONLINE, NOTIFY_OK,
                          answer_value)
from spec.kernel.structs import MemoryNotify, NotifierBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

#: lib/memory-notifier-error-inject.c memory_notifier_err_inject.actions
MEMORY_NOTIFIER_ERR_INJECT_ACTIONS: tuple[tuple[str, int], ...] = (
    ("MEM_GOING_ONLINE", MEM_GOING_ONLINE),
    ("MEM_GOING_OFFLINE", MEM_GOING_OFFLINE),
)


def debugfs_errno_set(k: "Kernel", action: str, val: int) -> int:
    """lib/notifier-error-inject.c debugfs_errno_set: clamp_t(int, val, -MAX_ERRNO, 0)."""
    k.inject_errors[action] = max(-MAX_ERRNO, min(0, val))
    return 0


def notifier_err_inject_callback(k: "Kernel", nb: NotifierBlock, val: int, p: MemoryNotify) -> int:
    """lib/notifier-error-inject.c notifier_err_inject_callback."""
    err = 0
    for name, action_val in MEMORY_NOTIFIER_ERR_INJECT_ACTIONS:
        if action_val == val:
            err = k.inject_errors.get(name, 0)
            break
    return k.fn.notifier_from_errno(err)


def choice_callback(k: "Kernel", nb: NotifierBlock, val: int, p: MemoryNotify) -> int:
    """A callback whose answer to GOING_* is not under the kernel's control (a choice)."""
    if val in (MEM_GOING_ONLINE, MEM_GOING_OFFLINE):
        return answer_value(k.decide(f"callback:{nb.name}", list(nb.answers)))
    return NOTIFY_OK


def ok_callback(k: "Kernel", nb: NotifierBlock, val: int, p: MemoryNotify) -> int:
    """A callback that accepts every event."""
    return NOTIFY_OK
