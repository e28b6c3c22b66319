"""Mutant (v6.1): try_offline_node() never takes a node offline.

mm/memory_hotplug.c try_remove_memory without its try_offline_node(nid) call: a CPU-less node
whose last memory was ejected stays online, with its ``node<N>`` directory, as the spec did
before it modelled try_offline_node (3.10+, 60a5a19e7419). No promise of the seed speaks of an
empty node, so no invariant breaks; the lockstep run against the v6.1 spec diverges (N_ONLINE
of the node) after the eject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def try_offline_node(k: "Kernel", nid: int) -> None:
    """mm/memory_hotplug.c try_offline_node."""
    return  # MUTANT: the node is never offlined
