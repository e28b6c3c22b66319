"""Mutant (v6.1): try_offline_node() takes a node offline while a CPU is still on it.

mm/memory_hotplug.c try_offline_node without check_cpu_on_node(): ejecting the only memory of
a node that has a CPU unregisters the node (its ``node<N>`` directory and N_CPU go). The
sysfs tree it leaves is consistent (has_cpu within online), so no invariant breaks; the
lockstep run against the v6.1 spec diverges (N_ONLINE of the node) after the eject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def try_offline_node(k: "Kernel", nid: int) -> None:
    """mm/memory_hotplug.c try_offline_node."""
    for ms in k.mem_sections.values():
        if ms.present and any(r.nid == nid and r.zone is not None for r in ms.runs):
            return  # node_spanned_pages(nid)
    if any(m.nid == nid for m in k.memory_blocks.values()):
        return
    # MUTANT: check_cpu_on_node(nid) dropped
    k.fn.node_set_offline(k, nid)
    k.fn.unregister_one_node(k, nid)
