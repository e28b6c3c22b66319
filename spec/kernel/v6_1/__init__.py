"""The mirror of Linux 6.1's memory hotplug: drivers/base/memory.c, core.c, node.c,
mm/memory_hotplug.c, mm/slub.c's memory callback, drivers/acpi/scan.c and acpi_memhotplug.c."""

from spec.kernel.v6_1 import acpi, core, memory, memory_hotplug, node, slub

MODULES = (core, node, memory, memory_hotplug, slub, acpi)

#: the write(2) entry (kernfs), the firmware entries (ACPI hotplug work).
WRITE_ENTRY = "kernfs_fop_write_iter"
HOTADD_ENTRY: tuple[str, tuple[int, ...]] = ("acpi_device_hotplug", (acpi.ACPI_NOTIFY_DEVICE_CHECK,))
HOTREMOVE_ENTRY: tuple[str, tuple[int, ...]] = ("acpi_device_hotplug",
                                                (acpi.ACPI_NOTIFY_EJECT_REQUEST,))
MEMORY_ATTRS = memory.MEMORY_ATTRS
NODE_STATE_ATTRS = node.NODE_STATE_ATTRS
REGISTER_NODE = "register_one_node"
SLUB_NODES_STATE = "N_NORMAL_MEMORY"
BLOCK_SIZE_SHOW = "block_size_bytes_show"
