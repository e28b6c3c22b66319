"""lib/string.c and lib/kstrtox.c: the string helpers the sysfs store methods parse with.

Models: C strings (a write's bytes, NUL-terminated at ``count`` by the sysfs/kernfs buffer; an
embedded NUL ends the string), ``strncmp``, ``sysfs_streq`` and ``kstrtobool``.

Also ``BUG()`` and ``BUG_ON()`` (include/asm-generic/bug.h): they raise
spec.errors.KernelBug naming the mirror function they fired in, which the explorer reports as a
``kernel_bug`` finding.

Leaves out: locale, ``strcmp`` variants not used by the hotplug paths.
"""

from __future__ import annotations

import sys


def _c(s: bytes, i: int) -> int:
    """The i-th char of a NUL-terminated C string (0 past its end or at an embedded NUL)."""
    if i >= len(s):
        return 0
    end = s.find(b"\0")
    if end != -1 and i >= end:
        return 0
    return s[i]


def strncmp(cs: bytes, ct: bytes, count: int) -> int:
    """lib/string.c strncmp."""
    i = 0
    while count:
        c1, c2 = _c(cs, i), _c(ct, i)
        if c1 != c2:
            return -1 if c1 < c2 else 1
        if not c1:
            break
        i += 1
        count -= 1
    return 0


def sysfs_streq(s1: bytes, s2: bytes) -> bool:
    """lib/string.c sysfs_streq: equal, except that one trailing newline is allowed."""
    i = 0
    while _c(s1, i) and _c(s1, i) == _c(s2, i):
        i += 1
    if _c(s1, i) == _c(s2, i):
        return True
    if not _c(s1, i) and _c(s2, i) == 0x0A and not _c(s2, i + 1):
        return True
    if _c(s1, i) == 0x0A and not _c(s1, i + 1) and not _c(s2, i):
        return True
    return False


def kstrtobool(s: bytes) -> tuple[int, bool]:
    """lib/kstrtox.c kstrtobool: (0, value) or (-EINVAL, False); looks at the first chars only."""
    from spec.actions import EINVAL

    c0 = chr(_c(s, 0))
    if c0 in "yYtT1":
        return 0, True
    if c0 in "nNfF0":
        return 0, False
    if c0 in "oO":
        c1 = chr(_c(s, 1))
        if c1 in "nN" and c1:
            return 0, True
        if c1 in "fF" and c1:
            return 0, False
    return -EINVAL, False


def BUG(what: str) -> None:
    """include/asm-generic/bug.h BUG(): the kernel oopses here. ``what``: why the code
    considers this unreachable (the kernel prints file and line; the mirror names the
    function)."""
    from spec.errors import KernelBug

    raise KernelBug(sys._getframe(1).f_code.co_name, what)


def BUG_ON(cond: object, what: str) -> None:
    """include/asm-generic/bug.h BUG_ON(cond): BUG() if ``cond`` holds."""
    if cond:
        from spec.errors import KernelBug

        raise KernelBug(sys._getframe(1).f_code.co_name, what)
