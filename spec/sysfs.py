"""The sysfs view of a machine: the files and links under /sys/devices/system that hotplug shows.

Models: ``memory/block_size_bytes``; per registered block ``memory<N>/`` with ``phys_index``,
``end_phys_index`` (v3.4), ``state``, ``phys_device``, ``removable``, ``online`` and
``valid_zones`` (v6.1) and the backlinks ``memory<N>/node<K>``; per online node ``node<K>/`` with
its links ``node<K>/memory<N>``; the node masks ``possible``, ``online``, ``has_cpu``,
``has_normal_memory`` and (v6.1) ``has_memory``.

Leaves out: ``probe``, ``auto_online_blocks``, ``soft_offline_page``/``hard_offline_page``,
``uevent``, ``power/``, per-node meminfo/numastat (live counters), cpu links.

A view is a dict from a path relative to ``/sys/devices/system`` to either the text a read
returns or a :data:`Link` tuple ``("link", target)``. The kernel mirror renders its own view with
its own show functions (``spec.kernel``); the lockstep test compares the two.

>>> from spec.config import World  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Union

from spec.actions import MEM_OFFLINE, MEM_ONLINE, STATE_TEXT
from spec.config import World
from spec.profiles import Profile
from spec.state import PAGES_RESERVED, Machine

Link = tuple[str, str]
View = dict[str, Union[str, Link]]


def nodelist(ids: list[int] | set[int] | frozenset[int]) -> str:
    """The kernel's ``%*pbl`` node-list format: ``0-2,4`` and a newline."""
    out: list[str] = []
    sorted_ids = sorted(ids)
    i = 0
    while i < len(sorted_ids):
        j = i
        while j + 1 < len(sorted_ids) and sorted_ids[j + 1] == sorted_ids[j] + 1:
            j += 1
        out.append(str(sorted_ids[i]) if i == j else f"{sorted_ids[i]}-{sorted_ids[j]}")
        i = j + 1
    return ",".join(out) + "\n"


def zone_for_online(world: World, m: Machine, node: int, block_id: int, online_type: str) -> str:
    """mm/memory_hotplug.c zone_for_pfn_range (6.1): the zone ``online_type`` would online
    ``memory<block_id>`` into (the steps' own definition, read on ``m``)."""
    from spec.reader import MachineReader
    from spec.steps.device import zone_for_online as zone_for

    return zone_for(world, MachineReader(m), node, world.block_index(block_id), online_type)  # type: ignore[no-any-return]


def valid_zones(world: World, m: Machine, index: int) -> str:
    spec, b = world.blocks[index], m.blocks[index]
    if b.state == MEM_ONLINE:
        return (b.zones[0] if len(b.zones) == 1 and len(spec.nodes) == 1 else "none") + "\n"
    default = zone_for_online(world, m, spec.node, spec.id, "online")
    out = [default]
    for t in ("online_kernel", "online_movable"):
        z = zone_for_online(world, m, spec.node, spec.id, t)
        if z != default:
            out.append(z)
    return " ".join(out) + "\n"


def render(world: World, profile: Profile, m: Machine) -> View:
    """The spec's sysfs view of ``m``."""
    view: View = {"memory/block_size_bytes": f"{world.block_size_bytes:x}\n"}
    for i, (spec, b) in enumerate(zip(world.blocks, m.blocks)):
        if not b.registered:
            continue
        d = f"memory/memory{spec.id}"
        # 3.4 and 6.1 print the block id: start_section_nr / sections_per_block.
        view[f"{d}/phys_index"] = f"{spec.id:08x}\n"
        if profile.end_phys_index:
            last = world.last_section(spec.id) // world.sections_per_block
            view[f"{d}/end_phys_index"] = f"{last:08x}\n"
        view[f"{d}/state"] = STATE_TEXT.get(b.state, f"ERROR-UNKNOWN-{b.state}") + "\n"
        view[f"{d}/phys_device"] = "0\n"
        if profile.removable_always_one:
            removable = 1
        else:
            removable = 0 if (spec.unmovable and b.pages != PAGES_RESERVED) else 1
        view[f"{d}/removable"] = f"{removable}\n"
        if profile.online_file:
            view[f"{d}/online"] = "0\n" if b.state == MEM_OFFLINE else "1\n"
            view[f"{d}/valid_zones"] = valid_zones(world, m, i)
        for n in b.backlinks:
            view[f"{d}/node{n}"] = ("link", f"../../node/node{n}")
        for n in b.links:
            if m.nodes[n].online:
                view[f"node/node{n}/memory{spec.id}"] = ("link", f"../../memory/memory{spec.id}")
    online = {i for i, n in enumerate(m.nodes) if n.online}
    for i in online:
        view.setdefault(f"node/node{i}/", "")  # the directory itself
    view["node/possible"] = nodelist(set(range(len(m.nodes))))
    view["node/online"] = nodelist(online)
    view["node/has_cpu"] = nodelist({n.id for n in world.nodes if n.cpus and n.id in online})
    normal_flag = "N_HIGH_MEMORY" if "N_HIGH_MEMORY" in profile.node_flags else "N_NORMAL_MEMORY"
    view["node/has_normal_memory"] = nodelist({i for i, n in enumerate(m.nodes) if normal_flag in n.flags})
    if "N_MEMORY" in profile.node_flags:
        view["node/has_memory"] = nodelist({i for i, n in enumerate(m.nodes) if "N_MEMORY" in n.flags})
    return view


def state_text(view: View, block_id: int) -> str | None:
    v = view.get(f"memory/memory{block_id}/state")
    return v if isinstance(v, str) else None


__all__ = ["Link", "View", "render", "nodelist", "zone_for_online", "valid_zones", "MEM_ONLINE"]
