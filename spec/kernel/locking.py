"""kernel/locking/mutex.c: mutex_lock / mutex_unlock as step points.

Models: a sleeping mutex with an owner. ``mutex_lock`` yields ``wait:<lock>`` (the thread's next
step is enabled only while the lock is free, which the driver checks); that step takes the lock
and goes on; ``mutex_unlock`` releases it and yields ``unlock:<lock>``, except at a release after
which the operation only returns (STEPS.md).

Leaves out: wait queues and fairness (any waiting thread may take a free lock), optimistic
spinning, lockdep, and the locks taken only under a modelled lock (zonelists_mutex,
lock_system_sleep, the device lock, mem_hotplug_lock in 6.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import Gen, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def mutex_lock(k: "Kernel", lock: str) -> Gen:
    """kernel/locking/mutex.c mutex_lock: sleep until free, then own it."""
    yield Point(f"wait:{lock}")
    if k.locks.get(lock) is not None:  # the driver never resumes a thread waiting on a held lock
        raise RuntimeError(f"{k.current}: {lock} is held by {k.locks[lock]}")
    k.locks[lock] = k.current  # taking the lock is a right mover: no point after it (STEPS.md)
    return 0


def mutex_unlock(k: "Kernel", lock: str, point: bool = True) -> Gen:
    """kernel/locking/mutex.c mutex_unlock.

    ``point=False`` at a release that is its operation's last shared action (STEPS.md): the step
    then goes on to ``ret``."""
    if k.locks.get(lock) != k.current:
        raise RuntimeError(f"{k.current}: unlock of {lock} held by {k.locks.get(lock)}")
    k.locks[lock] = None
    if point:
        yield Point(f"unlock:{lock}")
    return 0
