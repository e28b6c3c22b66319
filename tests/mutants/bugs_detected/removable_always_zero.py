"""Mutant (v3.4): ``removable`` always reads 0.

mm/memory_hotplug.c is_mem_section_removable returning false for every section (e.g. a
pageblock test inverted): userspace is told no block can be removed. Breaks **sysfs_removable**
(1 exactly when every section of the block is removable).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemSection

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def is_mem_section_removable(k: "Kernel", ms: MemSection) -> bool:
    """mm/memory_hotplug.c is_mem_section_removable."""
    return False  # MUTANT: was not (ms.present and ms.unmovable and not ms.reserved)
