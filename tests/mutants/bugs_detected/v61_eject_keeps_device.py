"""Mutant (v6.1): the eject unlinks a memory block but never unregisters its device.

drivers/base/memory.c remove_memory_block_devices without remove_memory_block() (the
device_unregister): after the firmware took the memory away, ``memoryXXX/`` is still there.
Breaks **sysfs_dirs** (no memoryXXX directory for absent memory), which 6.1 keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def remove_memory_block_devices(k: "Kernel", start_pfn: int, size_pages: int) -> None:
    """drivers/base/memory.c remove_memory_block_devices: unlink from the node, unregister."""
    first = k.fn.pfn_to_section_nr(k, start_pfn) // k.sections_per_block
    last = k.fn.pfn_to_section_nr(k, start_pfn + size_pages - 1) // k.sections_per_block
    for block_id in range(first, last + 1):
        mem = k.memory_blocks.get(block_id)
        if mem is None:
            continue
        k.fn.unregister_memory_block_under_nodes(k, mem)
        # MUTANT: remove_memory_block(mem) -> device_unregister dropped
