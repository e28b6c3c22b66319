"""Mutant (v6.1): hot-added memory block devices are registered MEM_ONLINE.

drivers/base/memory.c create_memory_block_devices calling init_memory_block(..., MEM_ONLINE)
instead of MEM_OFFLINE: a new block reads ``online`` while its pages are still reserved (not in
the allocator). Breaks **state_matches_memory** (a block reads online exactly when its memory is
in the page allocator), which 6.1 keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import MEM_ONLINE

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def create_memory_block_devices(k: "Kernel", start_pfn: int, size_pages: int) -> int:
    """drivers/base/memory.c create_memory_block_devices: offline blocks for a hot-added range."""
    first = k.fn.pfn_to_section_nr(k, start_pfn) // k.sections_per_block
    last = k.fn.pfn_to_section_nr(k, start_pfn + size_pages - 1) // k.sections_per_block
    for block_id in range(first, last + 1):
        mem = k.fn.init_memory_block(k, block_id, MEM_ONLINE)  # MUTANT: was MEM_OFFLINE
        mem.section_count = k.sections_per_block
    return 0
