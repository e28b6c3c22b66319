"""spec.kernel: the kernel mirror, a mutable Python rendering of the C code of each profile.

Models: per profile (``v3_4``, ``v6_1``) the functions of drivers/base/memory.c, node.c, core.c,
mm/memory_hotplug.c, mm/slub.c's callback and the ACPI memory hotplug paths, one Python function
per C function (same names, argument order after the leading kernel object ``k``, same negative
errnos), shared kernel/notifier.c, locking and mm helpers, and the driver (:class:`Kernel`) that
boots a World and runs actions step by step. The abstraction to spec.state.Machine lives in
``spec.kernel.abstraction``. It never imports spec.model, spec.invariants or the checker.

Leaves out: whatever each module's docstring says it leaves out, and the profiles v3.8, v4.15,
v5.6 and v6.17, which only the spec renders (:func:`has_mirror`).
"""

from spec.kernel.driver import Kernel, has_mirror

__all__ = ["Kernel", "has_mirror"]
