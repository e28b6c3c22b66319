"""memhp-check's executable specification of Linux memory hotplug.

The spec is pure: frozen states and a side-effect-free ``step``. It never imports the checker,
z3, hypothesis or networkx. ``spec.kernel`` holds the reference implementation, a mutable mirror
of the kernel's C code, which is checked against the spec in lockstep.
"""

from spec.errors import MemhpError

__all__ = ["MemhpError"]
