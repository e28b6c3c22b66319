"""Mutant (v3.4): register_mem_sect_under_node makes the node's link but not the backlink.

drivers/base/node.c register_mem_sect_under_node without the second
``sysfs_create_link_nowarn(&mem_blk->dev.kobj, &node_devices[nid]->dev.kobj, ...)``: nodeN/memoryX
exists, memoryX/nodeN does not. Breaks **sysfs_links** (link and backlink for each block of a
node).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def register_mem_sect_under_node(k: "Kernel", mem_blk: MemoryBlock, nid: int) -> int:
    """drivers/base/node.c register_mem_sect_under_node (3.4)."""
    if not k.fn.node_online(k, nid):
        return 0
    start = k.fn.section_nr_to_pfn(k, mem_blk.start_section_nr)
    end = k.fn.section_nr_to_pfn(k, mem_blk.end_section_nr) + k.PAGES_PER_SECTION
    for ms in k.fn.present_sections(k, start, end):
        for r in ms.runs:
            if r.nid != nid:
                continue
            k.node_mem_links.add((nid, mem_blk.id))  # nodeN/memoryX
            # MUTANT: memoryX/nodeN (k.mem_node_links) never created
            return 0
    return 0
