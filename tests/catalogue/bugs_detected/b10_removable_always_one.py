"""Catalogue B10 (facts.md section 7): ``removable`` always reads 1 (53cdc1cb29e8, v5.7).

David Hildenbrand's "drivers/base/memory.c: indicate all memory blocks as removable" replaced the
per-pageblock heuristic by a constant 1 (the heuristic was racy, costly and could crash on
uninitialised memmaps). Applied to the 3.4 mirror: a block with unmovable pages now reads 1, which
breaks the promise of seed section 4 that removable reads 1 only when every section of the block
is removable (invariant sysfs_removable): the admin guide of later kernels calls the file legacy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def show_mem_removable(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c removable_show (5.7+): 1 whenever CONFIG_MEMORY_HOTREMOVE is set."""
    return "%d\n" % 1  # CATALOGUE B10
