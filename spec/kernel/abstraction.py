"""The refinement mapping: kernel mirror -> spec.state.Machine, and the mirror's sysfs view.

Models: per world block, ``present`` (boot memory, or the ACPI device reports it), ``registered``
(the memory block device exists), ``state`` (mem->state), ``pages`` (where the System RAM pages
of its present sections are: PG_reserved / free but MIGRATE_ISOLATE / allocatable), ``zones``
(the zones its struct pages link to, in pfn order), ``online_type`` (6.1 mem->online_type),
``resource`` (a System RAM iomem resource overlaps it), ``links``/``backlinks``; per node
N_ONLINE, node_present_pages and the node-state bits of the profile; SLUB's nodes; the
injector's debugfs values; the held locks. The sysfs view is rendered by the mirror's own show
functions in the layout of spec/sysfs.py.

Leaves out: nothing it reads is changed; it never computes a transition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import MEM_OFFLINE
from spec.state import PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED, Block, Machine, Node

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

MMOP_NAMES = ("offline", "online", "online_kernel", "online_movable")


def _block(k: "Kernel", block_id: int) -> Block:
    w = k.world
    spec = w.block(block_id)
    mem = k.memory_blocks.get(block_id)
    adev = k.acpi_devices.get(block_id)
    present = adev.present if adev is not None else spec.boot != "absent"
    first = w.first_section(block_id)
    sections = [k.mem_sections[nr] for nr in range(first, first + w.sections_per_block)
                if nr in k.mem_sections and k.mem_sections[nr].present]
    pages = PAGES_RESERVED
    for ms in sections:
        if k.fn.section_ram_pages(k, ms) > 0:
            pages = (PAGES_RESERVED if ms.reserved else
                     PAGES_ISOLATED if ms.isolate else PAGES_ONLINE)
            break
    zones: list[str] = []
    for ms in sections:
        for r in ms.runs:
            if r.zone is not None and r.zone not in zones:
                zones.append(r.zone)
    online_type = "offline"
    if mem is not None and k.profile.online_types:
        online_type = MMOP_NAMES[mem.online_type]
    start = w.start_pfn(block_id)
    end = start + w.pages_per_block
    resource = any(r.start < end and start < r.end for r in k.iomem)
    links = frozenset(n for n, b in k.node_mem_links if b == block_id)
    backlinks = frozenset(n for b, n in k.mem_node_links if b == block_id)
    return Block(present, mem is not None, mem.state if mem is not None else MEM_OFFLINE, pages,
                 tuple(zones), online_type, resource, links, backlinks)


def abstract(k: "Kernel") -> Machine:
    blocks = tuple(_block(k, b.id) for b in k.world.blocks)
    nodes = []
    for n in k.world.nodes:
        flags = frozenset(f for f in k.profile.node_flags if n.id in k.node_states[f])
        nodes.append(Node(n.id in k.node_states["N_ONLINE"], k.fn.node_present_pages(k, n.id),
                          flags))
    inject = {"MEM_GOING_OFFLINE": 0, "MEM_GOING_ONLINE": 0}
    inject.update(k.inject_errors)
    locks = tuple(sorted((name, who) for name, who in k.locks.items() if who is not None))
    return Machine(blocks, tuple(nodes), frozenset(k.slub_nodes), tuple(sorted(inject.items())),
                   locks)


def sysfs_view(k: "Kernel") -> dict[str, str | tuple[str, str]]:
    """/sys/devices/system as the mirror's show functions print it."""
    view: dict[str, str | tuple[str, str]] = {
        "memory/block_size_bytes": getattr(k.fn, k.version.BLOCK_SIZE_SHOW)(k)}
    for spec in k.world.blocks:
        mem = k.memory_blocks.get(spec.id)
        if mem is None:
            continue
        d = f"memory/memory{mem.id}"
        for name, (show, _store) in k.version.MEMORY_ATTRS.items():
            view[f"{d}/{name}"] = getattr(k.fn, show)(k, mem)
    for b, n in k.mem_node_links:
        view[f"memory/memory{b}/node{n}"] = ("link", f"../../node/node{n}")
    for n, b in k.node_mem_links:
        if n in k.node_devices:
            view[f"node/node{n}/memory{b}"] = ("link", f"../../memory/memory{b}")
    for n in k.node_devices:
        view[f"node/node{n}/"] = ""
    for name, state in k.version.NODE_STATE_ATTRS.items():
        view[f"node/{name}"] = k.fn.print_nodes_state(k, state)
    return view
