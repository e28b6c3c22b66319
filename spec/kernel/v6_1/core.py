"""drivers/base/core.c (6.1): device_hotplug_lock, device_online / device_offline and the
generic ``online`` attribute of memory block devices; fs/sysfs + kernfs write path.

Models: lock_device_hotplug / lock_device_hotplug_sysfs (a trylock that restarts the syscall:
modelled as waiting for the lock), unlock_device_hotplug, device_online (1 if already online),
device_offline (1 if already offline), online_show (!dev->offline) and online_store (kstrtobool;
a positive device_online/offline result is success), kernfs_fop_write_iter / sysfs_kf_write (a
zero-length write never reaches the store method; at most PAGE_SIZE bytes).

Leaves out: the device lock (always taken under device_hotplug_lock here), offline_disabled,
children of the device, uevents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec.actions import ENODEV, PAGE_SIZE
from spec.kernel.structs import Gen, MemoryBlock, Point

if TYPE_CHECKING:
    from spec.kernel.driver import Kernel

DEVICE_HOTPLUG_LOCK = "device_hotplug_lock"


def lock_device_hotplug(k: "Kernel") -> Gen:
    """drivers/base/core.c lock_device_hotplug."""
    yield from k.fn.mutex_lock(k, DEVICE_HOTPLUG_LOCK)
    return 0


def lock_device_hotplug_sysfs(k: "Kernel") -> Gen:
    """drivers/base/core.c lock_device_hotplug_sysfs: mutex_trylock or restart_syscall(),
    i.e. the write is retried until the lock is free. Each restart goes through
    kernfs_fop_write_iter again, whose kernfs_get_active() fails once the device was removed
    meanwhile (an eject): the write then returns -ENODEV."""
    yield Point(f"wait:{DEVICE_HOTPLUG_LOCK}")
    dev = k.writing.get(k.current or "")
    if dev is not None and k.memory_blocks.get(dev.id) is not dev:
        return -ENODEV  # kernfs_fop_write_iter: !kernfs_get_active(of->kn)
    if k.locks.get(DEVICE_HOTPLUG_LOCK) is not None:
        raise RuntimeError(f"{k.current}: {DEVICE_HOTPLUG_LOCK} is held")
    k.locks[DEVICE_HOTPLUG_LOCK] = k.current
    return 0


def unlock_device_hotplug(k: "Kernel") -> Gen:
    """drivers/base/core.c unlock_device_hotplug: always the last shared action of its caller
    (state_store, online_store, the ACPI hotplug work), so not a point (STEPS.md)."""
    yield from k.fn.mutex_unlock(k, DEVICE_HOTPLUG_LOCK, point=False)
    return 0


def device_online(k: "Kernel", dev: MemoryBlock) -> Gen:
    """drivers/base/core.c device_online: bus->online (memory_subsys_online) if dev->offline."""
    if dev.dev_offline:
        ret = yield from k.fn.memory_subsys_online(k, dev)
        if not ret:
            dev.dev_offline = False  # kobject_uevent(KOBJ_ONLINE)
    else:
        ret = 1
    return ret


def device_offline(k: "Kernel", dev: MemoryBlock) -> Gen:
    """drivers/base/core.c device_offline: bus->offline (memory_subsys_offline)."""
    if dev.dev_offline:
        ret = 1
    else:
        ret = yield from k.fn.memory_subsys_offline(k, dev)
        if not ret:
            dev.dev_offline = True  # kobject_uevent(KOBJ_OFFLINE)
    return ret


def online_show(k: "Kernel", dev: MemoryBlock) -> str:
    """drivers/base/core.c online_show: !dev->offline."""
    return "%u\n" % (0 if dev.dev_offline else 1)


def online_store(k: "Kernel", dev: MemoryBlock, buf: bytes, count: int) -> Gen:
    """drivers/base/core.c online_store."""
    ret, val = k.fn.kstrtobool(buf)
    if ret < 0:
        return ret
    ret = yield from k.fn.lock_device_hotplug_sysfs(k)
    if ret:
        return ret
    if val:
        ret = yield from k.fn.device_online(k, dev)
    else:
        ret = yield from k.fn.device_offline(k, dev)
    yield from k.fn.unlock_device_hotplug(k)
    return ret if ret < 0 else count


def kernfs_fop_write_iter(k: "Kernel", mem: MemoryBlock, attr: str, buf: bytes) -> Gen:
    """fs/kernfs/file.c kernfs_fop_write_iter (len = min(len, PAGE_SIZE), NUL-terminated) ->
    fs/sysfs/file.c sysfs_kf_write (``if (!count) return 0``) -> dev_attr_store -> store."""
    count = min(len(buf), PAGE_SIZE)
    if not count:
        return 0
    store = k.version.MEMORY_ATTRS[attr][1]
    assert store is not None
    ret = yield from getattr(k.fn, store)(k, mem, buf[:count], count)
    return ret
