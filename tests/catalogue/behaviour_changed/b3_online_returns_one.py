"""Catalogue B3 (facts.md section 7): ``state`` returned 1 for a block already in that state.

From the device-core conversion (about 3.12) until Reza Arbab's fix (about 4.9), store_mem_state
passed device_online()'s positive return value (1: already online) back to userspace, which took
it for a 1-byte write and re-sent the rest ("nline"). Applied to the 6.1 mirror's state_store:
the write returns 1 instead of -EINVAL. A write that succeeds promises nothing the seed checks,
so this changes behaviour only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import EINVAL
from spec.kernel.structs import Gen, MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

MMOP_OFFLINE, MMOP_ONLINE, MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE = 0, 1, 2, 3


def state_store(k: "Kernel", mem: MemoryBlock, buf: bytes, count: int) -> Gen:
    """drivers/base/memory.c state_store, without the ``if (ret) return -EINVAL`` of the fix."""
    online_type = k.fn.mhp_online_type_from_str(k, buf)
    if online_type < 0:
        return -EINVAL
    ret = yield from k.fn.lock_device_hotplug_sysfs(k)
    if ret:
        return ret
    if online_type in (MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE, MMOP_ONLINE):
        mem.online_type = online_type
        ret = yield from k.fn.device_online(k, mem)
    elif online_type == MMOP_OFFLINE:
        ret = yield from k.fn.device_offline(k, mem)
    else:
        ret = -EINVAL
    yield from k.fn.unlock_device_hotplug(k)
    if ret < 0:
        return ret
    if ret:
        return ret  # CATALOGUE B3: the positive value leaks out as a byte count
    return count
