"""The mirror of Linux 3.4's memory hotplug: drivers/base/memory.c, drivers/base/node.c,
mm/memory_hotplug.c, mm/slub.c's memory callback and drivers/acpi/acpi_memhotplug.c."""

from spec.kernel.v3_4 import acpi_memhotplug, memory, memory_hotplug, node, slub

MODULES = (node, memory, memory_hotplug, slub, acpi_memhotplug)

#: the write(2) entry (fs/sysfs/file.c), the firmware entries (ACPI notify handlers).
WRITE_ENTRY = "sysfs_write_file"
HOTADD_ENTRY: tuple[str, tuple[int, ...]] = ("acpi_memory_device_add", ())
HOTREMOVE_ENTRY: tuple[str, tuple[int, ...]] = (
    "acpi_memory_device_notify", (acpi_memhotplug.ACPI_NOTIFY_EJECT_REQUEST,))
#: memoryN/ attributes (name -> (show, store)) and node mask files (name -> node state).
MEMORY_ATTRS = memory.MEMORY_ATTRS
NODE_STATE_ATTRS = node.NODE_STATE_ATTRS
#: the boot-time registration of a node (its device and memory links).
REGISTER_NODE = "register_one_node"
SLUB_NODES_STATE = "N_HIGH_MEMORY"
BLOCK_SIZE_SHOW = "print_block_size"
