"""Boot: the machine as the world describes it after start_kernel (both profiles).

Models, in the kernel's order: memblock and sparse_init (present sections with their memmap:
each block's pages are split into runs, one per zone/node it spans, in order), the iomem
"System RAM" resources (a block's last ``hole_pages`` pages are a memory hole), free_area_init
(pgdats, zones and their present pages, counting the System RAM of blocks that boot online),
the node masks (N_POSSIBLE, N_ONLINE, N_CPU and the memory states of the profile), the ACPI
memory devices of hot-pluggable blocks, memory_dev_init, node_dev_init (register_one_node for
each online node), kmem_cache_init (SLUB's per-node structures for nodes with normal memory),
and the memory notifier registrations in the world's order.

Leaves out: memblock reservations (a boot block's pages are all free), early ioremap, the
real order of initcalls beyond what changes the modelled state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.config import BlockSpec
from spec.kernel.structs import AcpiMemoryDevice, MemSection, NotifierBlock, PageRun, PglistData, Resource, Zone

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

ZONE_NAMES = ("DMA", "DMA32", "Normal", "Movable")
KERNEL_ZONES = ("DMA", "DMA32", "Normal")
CALLBACK_FUNCTIONS = {"slub": "slab_memory_callback", "choice": "choice_callback",
                      "injector": "notifier_err_inject_callback", "ok": "ok_callback"}


def block_runs(k: "Kernel", spec: BlockSpec) -> list[PageRun]:
    """The block's pages split evenly into one run per zone/node it spans, in order."""
    start = k.world.start_pfn(spec.id)
    n = max(len(spec.zones), len(spec.nodes), 1)
    size = k.world.pages_per_block
    runs = []
    for j in range(n):
        zone = spec.zones[min(j, len(spec.zones) - 1)] if spec.zones else None
        nid = spec.nodes[min(j, len(spec.nodes) - 1)]
        runs.append(PageRun(start + j * size // n, start + (j + 1) * size // n, nid, zone))
    return runs


def block_ram_ranges(k: "Kernel", spec: BlockSpec) -> list[tuple[int, int]]:
    """System RAM of a block: its sections (minus missing ones) before the hole, merged."""
    pps = k.PAGES_PER_SECTION
    start = k.world.start_pfn(spec.id)
    ram_end = start + k.world.pages_per_block - spec.hole_pages
    out: list[tuple[int, int]] = []
    for i in range(k.sections_per_block):
        if i in spec.missing_sections:
            continue
        lo, hi = start + i * pps, min(start + (i + 1) * pps, ram_end)
        if lo >= hi:
            continue
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def boot(k: "Kernel") -> None:
    w = k.world
    pps = k.PAGES_PER_SECTION
    present = [0] * len(w.nodes)
    normal = [0] * len(w.nodes)
    k.node_states["N_POSSIBLE"] = {n.id for n in w.nodes}
    for spec in w.blocks:
        first = w.first_section(spec.id)
        booted = spec.boot != "absent"
        runs = block_runs(k, spec) if booted else []
        ram = block_ram_ranges(k, spec)
        for i in range(k.sections_per_block):
            if i in spec.missing_sections:
                continue
            nr = first + i
            ms = MemSection(nr, unmovable=spec.unmovable)
            if booted:
                lo, hi = nr * pps, (nr + 1) * pps
                ms.present = True
                ms.runs = [PageRun(max(r.start, lo), min(r.end, hi), r.nid, r.zone)
                           for r in runs if r.start < hi and lo < r.end]
                ms.reserved = spec.boot != "online"
            k.mem_sections[nr] = ms
        if booted:
            for lo, hi in ram:
                k.iomem.append(Resource(lo, hi, "System RAM"))
            if spec.boot == "online":
                for r in runs:
                    pages = sum(max(0, min(r.end, hi) - max(r.start, lo)) for lo, hi in ram)
                    present[r.nid] += pages
                    if r.zone in KERNEL_ZONES:
                        normal[r.nid] += pages
        if spec.hotplug:
            length = sum(hi - lo for lo, hi in ram)
            k.acpi_devices[spec.id] = AcpiMemoryDevice(
                spec.id, ram[0][0] << 12 if ram else w.start_pfn(spec.id) << 12, length << 12,
                spec.node, present=booted)
    # free_area_init: pgdats of online nodes with their zones' present pages
    for n in w.nodes:
        online = present[n.id] > 0 or (k.profile.memoryless_online_at_boot and n.cpus)
        if not online:
            continue
        k.node_states["N_ONLINE"].add(n.id)
        k.node_data[n.id] = PglistData(n.id, 0, {z: Zone(z, n.id) for z in ZONE_NAMES})
    for spec in w.blocks:
        if spec.boot != "online":
            continue
        ram = block_ram_ranges(k, spec)
        for r in block_runs(k, spec):
            pages = sum(max(0, min(r.end, hi) - max(r.start, lo)) for lo, hi in ram)
            if r.zone is not None and r.nid in k.node_data:
                k.node_data[r.nid].node_zones[r.zone].present_pages += pages
                k.node_data[r.nid].node_present_pages += pages
    for n in w.nodes:
        if present[n.id]:
            for flag in k.profile.node_flags:
                if flag != "N_NORMAL_MEMORY" or normal[n.id]:
                    k.node_states[flag].add(n.id)
    k.fn.memory_dev_init(k)
    for n in w.nodes:  # node_dev_init / topology_init
        if n.id in k.node_states["N_ONLINE"]:
            getattr(k.fn, k.version.REGISTER_NODE)(k, n.id)
    # kmem_cache_init: for_each_node_state(node, N_NORMAL_MEMORY)
    k.slub_nodes = set(k.node_states[k.version.SLUB_NODES_STATE])
    for cb in w.callbacks:
        k.fn.register_memory_notifier(k, NotifierBlock(cb.name, CALLBACK_FUNCTIONS[cb.kind],
                                                       cb.priority, cb.answers))
    k.inject_errors = {"MEM_GOING_ONLINE": 0, "MEM_GOING_OFFLINE": 0}
    k.inject_errors.update(dict(w.inject_errors))
