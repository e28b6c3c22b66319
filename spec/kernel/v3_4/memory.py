"""drivers/base/memory.c (3.4) and the sysfs write path of fs/sysfs/file.c (3.4).

Models: the memory block devices (init_memory_block, add_memory_section, register_new_memory),
the ``state`` store path (store_mem_state -> memory_block_change_state under the block's
state_mutex -> memory_block_action -> pages_correctly_reserved / online_pages / remove_memory),
the show methods of memoryN/ (phys_index, end_phys_index, state, phys_device, removable) and
block_size_bytes, and ``sysfs_write_file`` (a zero-length write never reaches the store method;
at most PAGE_SIZE - 1 bytes are passed).

Leaves out: kobject uevents (KOBJ_ONLINE/OFFLINE), the probe file (x86 has none in 3.4),
mem_sysfs_mutex (taken only under a modelled lock), remove_memory_block (3.4 never removes one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import (EBUSY, EINVAL, MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_ONLINE, PAGE_SHIFT,
                          PAGE_SIZE)
from spec.kernel.lib import strncmp
from spec.kernel.structs import Gen, MemoryBlock, MemSection, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

BOOT = "BOOT"
HOTPLUG = "HOTPLUG"

#: memoryN/ attributes: name -> (show, store) mirror function names.
MEMORY_ATTRS: dict[str, tuple[str, str | None]] = {
    "phys_index": ("show_mem_start_phys_index", None),
    "end_phys_index": ("show_mem_end_phys_index", None),
    "state": ("show_mem_state", "store_mem_state"),
    "phys_device": ("show_phys_device", None),
    "removable": ("show_mem_removable", None),
}


# --- fs/sysfs/file.c -----------------------------------------------------------------------

def sysfs_write_file(k: "Kernel", mem: MemoryBlock, attr: str, buf: bytes) -> Gen:
    """fs/sysfs/file.c sysfs_write_file: fill_write_buffer (count < PAGE_SIZE, NUL-terminated),
    then flush_write_buffer -> the store method, only for a write of at least one byte."""
    count = min(len(buf), PAGE_SIZE - 1)
    if count <= 0:
        return 0
    store = MEMORY_ATTRS[attr][1]
    assert store is not None
    ret = yield from getattr(k.fn, store)(k, mem, buf[:count], count)
    return ret


# --- the state file ----------------------------------------------------------------------------

def store_mem_state(k: "Kernel", mem: MemoryBlock, buf: bytes, count: int) -> Gen:
    """drivers/base/memory.c store_mem_state: prefix parsing, so 'o' and 'online_movable' mean
    online; anything else -EINVAL."""
    ret = -EINVAL
    if not strncmp(buf, b"online", min(count, 6)):
        ret = yield from k.fn.memory_block_change_state(k, mem, MEM_ONLINE, MEM_OFFLINE)
    elif not strncmp(buf, b"offline", min(count, 7)):
        ret = yield from k.fn.memory_block_change_state(k, mem, MEM_OFFLINE, MEM_ONLINE)
    if ret:
        return ret
    return count


def memory_block_change_state(k: "Kernel", mem: MemoryBlock, to_state: int,
                              from_state_req: int) -> Gen:
    """drivers/base/memory.c memory_block_change_state: under mem->state_mutex."""
    yield from k.fn.mutex_lock(k, mem.state_mutex)
    if mem.state != from_state_req:
        ret = -EINVAL
    else:
        if to_state == MEM_OFFLINE:
            mem.state = MEM_GOING_OFFLINE
            yield Point("going_offline")
        ret = yield from k.fn.memory_block_action(k, mem.start_section_nr, to_state)
        if ret:
            mem.state = from_state_req
        else:
            mem.state = to_state  # kobject_uevent(KOBJ_ONLINE / KOBJ_OFFLINE) not modelled
    yield from k.fn.mutex_unlock(k, mem.state_mutex, point=False)  # the op only returns now
    return ret


def memory_block_action(k: "Kernel", phys_index: int, action: int) -> Gen:
    """drivers/base/memory.c memory_block_action (3.4: takes the first section number)."""
    start_pfn = k.fn.section_nr_to_pfn(k, phys_index)
    nr_pages = k.PAGES_PER_SECTION * k.sections_per_block
    if action == MEM_ONLINE:
        if not k.fn.pages_correctly_reserved(k, start_pfn, nr_pages):
            return -EBUSY
        ret = yield from k.fn.online_pages(k, start_pfn, nr_pages)
    elif action == MEM_OFFLINE:
        start_paddr = start_pfn << PAGE_SHIFT
        ret = yield from k.fn.remove_memory(k, start_paddr, nr_pages << PAGE_SHIFT)
    else:
        ret = -EINVAL
    return ret


def pages_correctly_reserved(k: "Kernel", start_pfn: int, nr_pages: int) -> bool:
    """drivers/base/memory.c pages_correctly_reserved: every section valid (WARN_ON_ONCE
    otherwise) and every page of it PG_reserved (memory holes are reserved pages)."""
    pfn = start_pfn
    for _ in range(k.sections_per_block):
        if not k.fn.pfn_valid(k, pfn):
            return False
        ms = k.mem_sections[k.fn.pfn_to_section_nr(k, pfn)]
        if not ms.reserved and k.fn.section_ram_pages(k, ms) > 0:
            return False
        pfn += k.PAGES_PER_SECTION
    return True


# --- show methods -------------------------------------------------------------------------------

def show_mem_start_phys_index(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_mem_start_phys_index: the *block* id, %08lx."""
    phys_index = mem.start_section_nr // k.sections_per_block
    return "%08x\n" % phys_index


def show_mem_end_phys_index(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_mem_end_phys_index: end_section_nr / sections_per_block."""
    phys_index = mem.end_section_nr // k.sections_per_block
    return "%08x\n" % phys_index


def show_mem_state(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_mem_state (reads mem->state without a lock)."""
    if mem.state == MEM_ONLINE:
        return "online\n"
    if mem.state == MEM_OFFLINE:
        return "offline\n"
    if mem.state == MEM_GOING_OFFLINE:
        return "going-offline\n"
    return "ERROR-UNKNOWN-%d\n" % mem.state


def show_phys_device(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_phys_device (arch_get_memory_phys_device() is 0 on x86)."""
    return "%d\n" % mem.phys_device


def is_mem_section_removable(k: "Kernel", ms: MemSection) -> bool:
    """mm/memory_hotplug.c is_mem_section_removable: every pageblock free or movable
    (a section whose pages are in use and include unmovable ones is not)."""
    return not (ms.present and ms.unmovable and not ms.reserved)


def show_mem_removable(k: "Kernel", mem: MemoryBlock) -> str:
    """drivers/base/memory.c show_mem_removable: AND over all sections of the block."""
    ret = 1
    for i in range(k.sections_per_block):
        ms = k.mem_sections.get(mem.start_section_nr + i)
        if ms is not None:
            ret &= int(k.fn.is_mem_section_removable(k, ms))
    return "%d\n" % ret


def print_block_size(k: "Kernel") -> str:
    """drivers/base/memory.c print_block_size: %lx, no 0x."""
    return "%x\n" % k.world.block_size_bytes


# --- memory block devices -------------------------------------------------------------------------

def find_memory_block(k: "Kernel", section_nr: int) -> MemoryBlock | None:
    """drivers/base/memory.c find_memory_block."""
    return k.memory_blocks.get(section_nr // k.sections_per_block)


def init_memory_block(k: "Kernel", section_nr: int, state: int) -> MemoryBlock:
    """drivers/base/memory.c init_memory_block + register_memory (device memory<block id>)."""
    start = (section_nr // k.sections_per_block) * k.sections_per_block
    mem = MemoryBlock(id=start // k.sections_per_block, start_section_nr=start,
                      end_section_nr=start + k.sections_per_block - 1, state=state,
                      section_count=1, state_mutex=f"state_mutex:memory{start // k.sections_per_block}")
    mem.phys_device = 0  # arch_get_memory_phys_device(start_pfn)
    k.memory_blocks[mem.id] = mem
    return mem


def add_memory_section(k: "Kernel", nid: int, section_nr: int, state: int, context: str) -> int:
    """drivers/base/memory.c add_memory_section: the block's first section creates the device,
    later ones count; on hot-add the node link is made once the block is complete."""
    mem = k.fn.find_memory_block(k, section_nr)
    if mem is not None:
        mem.section_count += 1
    else:
        mem = k.fn.init_memory_block(k, section_nr, state)
    ret = 0
    if context == HOTPLUG and mem.section_count == k.sections_per_block:
        ret = k.fn.register_mem_sect_under_node(k, mem, nid)
    return ret


def register_new_memory(k: "Kernel", nid: int, section_nr: int) -> int:
    """drivers/base/memory.c register_new_memory: a hot-added section, offline."""
    return k.fn.add_memory_section(k, nid, section_nr, MEM_OFFLINE, HOTPLUG)


def memory_dev_init(k: "Kernel") -> int:
    """drivers/base/memory.c memory_dev_init: a block device per present boot section group.
    3.4 registers every boot block MEM_ONLINE; a world's block that boots offline (its pages
    still PG_reserved) is registered MEM_OFFLINE."""
    ret = 0
    for nr in sorted(k.mem_sections):
        ms = k.mem_sections[nr]
        if not ms.present:
            continue
        state = MEM_ONLINE if k.boot_block_online(nr // k.sections_per_block) else MEM_OFFLINE
        err = k.fn.add_memory_section(k, 0, nr, state, BOOT)
        if not ret:
            ret = err
    return ret
