"""A patch that changes nothing observable: show_mem_removable written differently (3.4)."""

from __future__ import annotations

from typing import Any


def show_mem_removable(k: Any, mem: Any) -> str:
    """drivers/base/memory.c show_mem_removable, as an all() over the present sections."""
    sections = [k.mem_sections.get(mem.start_section_nr + i) for i in range(k.sections_per_block)]
    ok = all(k.fn.is_mem_section_removable(k, ms) for ms in sections if ms is not None)
    return "%d\n" % int(ok)
