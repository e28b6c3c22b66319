"""Mutant (v3.4): ``phys_index`` prints the first section number, not the block's number.

drivers/base/memory.c show_mem_start_phys_index with ``phys_index = mem->start_section_nr``
(the ``/ sections_per_block`` forgotten): memory1/phys_index reads 00000002 while its directory
is memory1, so a tool that goes from phys_index to the directory finds the wrong block.
Breaks **sysfs_names** (phys_index reads the XXX of memoryXXX).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def show_mem_start_phys_index(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_mem_start_phys_index: the *block* id, %08lx."""
    phys_index = mem.start_section_nr  # MUTANT: was mem->start_section_nr / sections_per_block
    return "%08x\n" % phys_index
