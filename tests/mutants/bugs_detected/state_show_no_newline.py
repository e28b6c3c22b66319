"""Mutant (v3.4): ``show_mem_state`` prints "offline" without its newline.

drivers/base/memory.c show_mem_state with ``len = sprintf(buf, "offline")`` for MEM_OFFLINE:
a hot-added block's ``state`` reads ``'offline'``. Breaks **state_strings** (the seed's state file
reads ``online`` or ``offline``, one line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE
from spec.kernel.structs import MemoryBlock

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel


def show_mem_state(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_mem_state (reads mem->state without a lock)."""
    if mem.state == MEM_ONLINE:
        return "online\n"
    if mem.state == MEM_OFFLINE:
        return "offline"  # MUTANT: was "offline\n"
    if mem.state == MEM_GOING_OFFLINE:
        return "going-offline\n"
    return "ERROR-UNKNOWN-%d\n" % mem.state
