"""Mutant (v3.4): hot-add counts the new, still reserved, pages as present in the node.

mm/memory_hotplug.c __add_zone with the pgdat's span grown *and*
``pgdat->node_present_pages += PAGES_PER_SECTION`` (the zone's present count, correctly, waits
for online_pages): right after hot-add node 1 claims 256 MiB of present memory that no online
block holds. Breaks **page_accounting** (a node's present pages are the System RAM pages of its
online blocks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import Zone

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def __add_zone(k: "Kernel", zone: Zone, phys_start_pfn: int) -> int:
    """mm/memory_hotplug.c __add_zone: grow the zone and pgdat spans, memmap_init_zone
    (MEMMAP_HOTPLUG: pages PG_reserved, pageblocks MIGRATE_MOVABLE)."""
    k.fn.set_page_links(k, phys_start_pfn, k.PAGES_PER_SECTION, zone.nid, zone.name)
    k.node_data[zone.nid].node_present_pages += k.PAGES_PER_SECTION  # MUTANT: added
    ms = k.mem_sections[k.fn.pfn_to_section_nr(k, phys_start_pfn)]
    ms.reserved = True
    ms.isolate = False
    return 0
