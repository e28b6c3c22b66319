"""drivers/base/node.c (3.4): node devices, the memory links, and the node mask files.

Models: register_one_node (the node device, its CPUs, link_mem_sections), link_mem_sections
(every block with pages of the node), register_mem_sect_under_node (nothing for an offline
node; at the first page of the node it makes nodeN/memoryX and memoryX/nodeN), and the
``possible``/``online``/``has_normal_memory``/``has_cpu`` files (print_nodes_state). Without
CONFIG_HIGHMEM, N_HIGH_MEMORY is N_NORMAL_MEMORY, so ``has_normal_memory`` shows it.

Leaves out: per-node meminfo/numastat/distance files, cpu links, unregistering (3.4 never
removes a memory block or a node), CPU hotplug (a node's CPUs count in N_CPU once it is online).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

#: /sys/devices/system/node/<file> -> node state (node_state_attr[]).
NODE_STATE_ATTRS: dict[str, str] = {
    "possible": "N_POSSIBLE",
    "online": "N_ONLINE",
    "has_normal_memory": "N_HIGH_MEMORY",  # N_HIGH_MEMORY == N_NORMAL_MEMORY on 64-bit
    "has_cpu": "N_CPU",
}


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
            k.mem_node_links.add((mem_blk.id, nid))  # memoryX/nodeN
            return 0
    return 0


def link_mem_sections(k: "Kernel", nid: int) -> int:
    """drivers/base/node.c link_mem_sections: each present section of the node's span."""
    err = 0
    for nr in sorted(k.mem_sections):
        ms = k.mem_sections[nr]
        if not ms.present or not any(r.nid == nid for r in ms.runs):
            continue
        mem_blk = k.fn.find_memory_block(k, nr)
        if mem_blk is None:
            continue
        ret = k.fn.register_mem_sect_under_node(k, mem_blk, nid)
        if not err:
            err = ret
    return err


def register_one_node(k: "Kernel", nid: int) -> int:
    """drivers/base/node.c register_one_node: the node device, its CPUs, its memory links."""
    if k.fn.node_online(k, nid):
        k.node_devices.add(nid)
        if k.world.nodes[nid].cpus:  # link cpu under this node (for_each_present_cpu)
            k.fn.node_set_state(k, nid, "N_CPU")
        return k.fn.link_mem_sections(k, nid)
    return 0


def bitmap_scnlistprintf(nodes: set[int]) -> str:
    """lib/bitmap.c bitmap_scnlistprintf: ``0-2,4``."""
    out: list[str] = []
    ids = sorted(nodes)
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(out)


def print_nodes_state(k: "Kernel", state: str) -> str:
    """drivers/base/node.c print_nodes_state: nodelist_scnprintf, then a newline."""
    return k.fn.bitmap_scnlistprintf(k.node_states[state]) + "\n"
