"""Mutant (v3.4): a failed offline leaves the block in MEM_GOING_OFFLINE.

drivers/base/memory.c memory_block_change_state restoring ``mem->state = from_state_req`` only
for -EBUSY: an offline refused with -EINVAL (memory0 spans two zones) returns the error but the
block's state changed. Breaks **rejected_write** (a failed write leaves the state as it was).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import EBUSY, EINVAL, MEM_GOING_OFFLINE, MEM_OFFLINE
from spec.kernel.structs import Gen, MemoryBlock, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def memory_block_change_state(k: "Kernel", mem: MemoryBlock, to_state: int,
                              from_state_req: int) -> Gen:
    """drivers/base/memory.c memory_block_change_state: under mem->state_mutex."""
    yield from k.fn.mutex_lock(k, mem.state_mutex)
    if mem.state != from_state_req:
        ret = -EINVAL
    else:
        if to_state == MEM_OFFLINE:
            mem.state = MEM_GOING_OFFLINE
            yield Point("going_offline")
        ret = yield from k.fn.memory_block_action(k, mem.start_section_nr, to_state)
        if ret == -EBUSY:  # MUTANT: was if (ret)
            mem.state = from_state_req
        elif not ret:
            mem.state = to_state
    yield from k.fn.mutex_unlock(k, mem.state_mutex, point=False)
    return ret
