"""Mutant (v3.4, world ``one-section``): ``end_phys_index`` prints one past the block's end.

drivers/base/memory.c show_mem_end_phys_index with ``(mem->end_section_nr + 1) /
sections_per_block``: with one section per block every block claims its successor's section.
(In the default world, two sections per block, the division hides the error and 3.4's own
finding at boot covers the invariant; hence this mutant's world.) Breaks
**sysfs_end_phys_index** (end_phys_index reads the id of the block's last section).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def show_mem_end_phys_index(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_mem_end_phys_index: end_section_nr / sections_per_block."""
    phys_index = (mem.end_section_nr + 1) // k.sections_per_block  # MUTANT: + 1
    return "%08x\n" % phys_index
