"""drivers/base/node.c (6.1): node devices, memory block links and the node mask files.

Models: __register_one_node / register_one_node (node device, its CPUs, the links of its boot
memory blocks), unregister_one_node, register_memory_blocks_under_node (early: a block gets a
link for each node whose pages it holds, memory_block_add_nid; hotplug: the given node),
unregister_memory_block_under_nodes (by mem->nid), and the ``possible``, ``online``,
``has_normal_memory``, ``has_memory`` and ``has_cpu`` files.

Leaves out: per-node meminfo/numastat/distance/access files, the node notifier chain (6.17),
CPU hotplug (a node's CPUs count in N_CPU once it is registered).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.kernel.structs import MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

NODE_STATE_ATTRS: dict[str, str] = {
    "possible": "N_POSSIBLE",
    "online": "N_ONLINE",
    "has_normal_memory": "N_NORMAL_MEMORY",
    "has_memory": "N_MEMORY",
    "has_cpu": "N_CPU",
}


def do_register_memory_block_under_node(k: "Kernel", nid: int, mem_blk: MemoryBlock,
                                        context: str) -> int:
    """drivers/base/node.c do_register_memory_block_under_node."""
    k.fn.memory_block_add_nid(k, mem_blk, nid, context)
    k.node_mem_links.add((nid, mem_blk.id))
    k.mem_node_links.add((mem_blk.id, nid))
    return 0


def register_memory_blocks_under_node(k: "Kernel", nid: int, start_pfn: int, end_pfn: int,
                                      context: str) -> None:
    """drivers/base/node.c register_memory_blocks_under_node (early: only blocks with a page of
    the node, register_mem_block_under_node_early; hotplug: every block of the range)."""
    for block_id in sorted(k.memory_blocks):
        mem = k.memory_blocks[block_id]
        lo = mem.start_section_nr * k.PAGES_PER_SECTION
        hi = (mem.end_section_nr + 1) * k.PAGES_PER_SECTION
        if hi <= start_pfn or lo >= end_pfn:
            continue
        if context == "MEMINIT_EARLY":
            if not any(r.nid == nid for ms in k.fn.present_sections(k, lo, hi) for r in ms.runs):
                continue
        k.fn.do_register_memory_block_under_node(k, nid, mem, context)


def unregister_memory_block_under_nodes(k: "Kernel", mem_blk: MemoryBlock) -> None:
    """drivers/base/node.c unregister_memory_block_under_nodes: by mem->nid."""
    if mem_blk.nid < 0:
        return
    k.node_mem_links.discard((mem_blk.nid, mem_blk.id))
    k.mem_node_links.discard((mem_blk.id, mem_blk.nid))


def __register_one_node(k: "Kernel", nid: int) -> int:
    """drivers/base/node.c __register_one_node: the node device and its CPUs."""
    k.node_devices.add(nid)
    if k.world.nodes[nid].cpus:
        k.fn.node_set_state(k, nid, "N_CPU")
    return 0


def register_one_node(k: "Kernel", nid: int) -> int:
    """include/linux/node.h register_one_node (boot): device, then its memory blocks' links."""
    error = k.fn.__register_one_node(k, nid)
    if error:
        return error
    k.fn.register_memory_blocks_under_node(k, nid, 0, 1 << 62, "MEMINIT_EARLY")
    return 0


def unregister_one_node(k: "Kernel", nid: int) -> None:
    """drivers/base/node.c unregister_one_node."""
    k.node_devices.discard(nid)
    k.fn.node_clear_state(k, nid, "N_CPU")


def bitmap_scnlistprintf(nodes: set[int]) -> str:
    """lib/bitmap.c bitmap_print_to_pagebuf(list=true) / %*pbl: ``0-2,4``."""
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
    """drivers/base/node.c show_node_state / print_nodes_state: "%*pbl\\n"."""
    return k.fn.bitmap_scnlistprintf(k.node_states[state]) + "\n"
