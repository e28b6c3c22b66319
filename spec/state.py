"""Frozen states of the model.

Models: the kernel-visible machine (:class:`Machine`: memory blocks, nodes, what SLUB's callback
knows, the error injector's settings, who holds which lock) and, for the spec only, the
in-flight operation of each thread (:class:`Op`). The kernel mirror is abstracted to a
:class:`Machine` (``spec.kernel.abstraction``); its threads are its own generators.

Leaves out: per-page state (a block's System RAM pages move together: ``reserved`` = not in the
page allocator, ``isolated`` = in the allocator but isolated (MIGRATE_ISOLATE), ``online`` =
allocatable), per-zone counters (derived from the blocks), kswapd/kcompactd, zonelists, uevents.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

from spec.actions import MEM_OFFLINE, MEM_ONLINE
from spec.config import World
from spec.profiles import Profile

PAGES_RESERVED = "reserved"
PAGES_ISOLATED = "isolated"
PAGES_ONLINE = "online"
KERNEL_ZONES = ("DMA", "DMA32", "Normal")

T = TypeVar("T", bound=tuple)  # type: ignore[type-arg]


def evolve(obj: T, **changes: Any) -> T:
    """A copy of a record with some fields changed (records are NamedTuples: hashed and
    compared in C, which the explorer does millions of times)."""
    return obj._replace(**changes)  # type: ignore[attr-defined, no-any-return]


class Block(NamedTuple):
    """One memory block of the world (index = position in ``World.blocks``).

    ``present``: the firmware range is physically there. ``registered``: the memory block device
    (the sysfs directory) exists. ``state``: ``mem->state``. ``pages``: where its System RAM pages
    are. ``zones``: the zone(s) its pages belong to (empty while a 6.1 block is offline).
    ``online_type``: 6.1 ``mem->online_type``. ``resource``: its iomem resource is registered.
    ``links``: nodes N with ``nodeN/memoryX``; ``backlinks``: nodes N with ``memoryX/nodeN``.
    """

    present: bool
    registered: bool
    state: int
    pages: str
    zones: tuple[str, ...]
    online_type: str
    resource: bool
    links: frozenset[int]
    backlinks: frozenset[int]


class Node(NamedTuple):
    """``online``: N_ONLINE (the node is registered in sysfs). ``present_pages``:
    ``node_present_pages()``. ``flags``: the node-state bits hotplug maintains."""

    online: bool
    present_pages: int
    flags: frozenset[str]


class Machine(NamedTuple):
    blocks: tuple[Block, ...]
    nodes: tuple[Node, ...]
    #: nodes for which SLUB keeps per-node structures (kmem_cache_node / slab_nodes).
    slub_nodes: frozenset[int]
    #: the error injector's debugfs settings: (event, errno), sorted.
    inject: tuple[tuple[str, int], ...]
    #: held locks: (lock name, holder thread), sorted.
    locks: tuple[tuple[str, str], ...]

    def holder(self, lock: str) -> str | None:
        for name, who in self.locks:
            if name == lock:
                return who
        return None


class Op(NamedTuple):
    """The spec's record of an operation in flight on one thread (spec-internal).

    ``kind``: write / hotadd / hotremove; ``req``: online or offline; ``via``: state, online or
    eject; ``pc``: where the operation stands (a handler of spec.steps); ``event``/``cb``/
    ``chain_ret``: the notifier chain being delivered; ``arg``: (start_pfn, nr_pages,
    status_change_nid, status_change_nid_normal), -1 for a nid that is not set (and for
    status_change_nid_normal where the profile's struct has no such field);
    ``ret``: the pending return value; ``count``: bytes written; ``zone``: 6.1 target zone;
    ``lock``/``next``: the lock waited for and where to go on after a wait or a chain;
    ``stale``: the write's device was removed while it waited (its kernfs node is dead).
    """

    kind: str
    block: int
    req: str = ""
    via: str = ""
    pc: str = ""
    online_type: str = ""
    event: str = ""
    cb: int = 0
    chain_ret: int = 0
    arg: tuple[int, int, int, int] = (0, 0, -1, -1)
    ret: int = 0
    count: int = 0
    zone: str = ""
    lock: str = ""
    next: str = ""
    stale: bool = False


#: the record of a thread with no operation in flight (what reading its fields gives)
IDLE_OP = Op("", 0)


class State(NamedTuple):
    machine: Machine
    #: one entry per thread in ``thread_names`` order: the op in flight, or None when idle.
    threads: tuple[Op | None, ...] = ()

    @property
    def quiescent(self) -> bool:
        for t in self.threads:
            if t is not None:
                return False
        return True


def thread_names(world: World) -> tuple[str, ...]:
    return world.writer_threads() + ("fw",)


def node_flags_for(profile: Profile, present: int, normal: int) -> frozenset[str]:
    """The node-state bits a node with these present pages should carry (64-bit x86)."""
    if profile.node_flags == ("N_HIGH_MEMORY",):
        return frozenset({"N_HIGH_MEMORY"}) if present else frozenset()
    out = set()
    if present:
        out.add("N_MEMORY")
    if normal:
        out.add("N_NORMAL_MEMORY")
    return frozenset(out)


def initial_machine(world: World, profile: Profile) -> Machine:
    """The machine after boot: boot blocks registered with their links, hot-pluggable ones absent."""
    blocks = []
    present_pages = [0] * len(world.nodes)
    normal_pages = [0] * len(world.nodes)
    for spec in world.blocks:
        if spec.boot == "absent":
            blocks.append(Block(False, False, MEM_OFFLINE, PAGES_RESERVED, (), "offline", False,
                                frozenset(), frozenset()))
            continue
        online = spec.boot == "online"
        if online:
            present_pages[spec.node] += world.ram_pages(spec.id)
            if any(z in KERNEL_ZONES for z in spec.zones):
                normal_pages[spec.node] += world.ram_pages(spec.id)
        nodes = frozenset(spec.nodes)
        blocks.append(Block(True, True, MEM_ONLINE if online else MEM_OFFLINE,
                            PAGES_ONLINE if online else PAGES_RESERVED, spec.zones, "offline",
                            True, nodes, nodes))
    nodes_out = []
    for n in world.nodes:
        has_mem = present_pages[n.id] > 0
        online = has_mem or (profile.memoryless_online_at_boot and n.cpus)
        nodes_out.append(Node(online, present_pages[n.id],
                              node_flags_for(profile, present_pages[n.id], normal_pages[n.id])))
    slub = frozenset(n.id for n in world.nodes
                     if (normal_pages[n.id] if profile.nid_normal else present_pages[n.id]))
    inject = dict.fromkeys(("MEM_GOING_OFFLINE", "MEM_GOING_ONLINE"), 0)
    inject.update(dict(world.inject_errors))
    return Machine(tuple(blocks), tuple(nodes_out), slub, tuple(sorted(inject.items())), ())


def initial_state(world: World, profile: Profile) -> State:
    return State(initial_machine(world, profile), tuple(None for _ in thread_names(world)))
