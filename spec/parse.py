"""How each profile parses what userspace writes (the store methods' string handling).

Models: 3.4 ``store_mem_state`` prefix matching (``strncmp(buf, "online", min(count, 6))``,
then ``"offline"`` with 7), 6.1 ``mhp_online_type_from_str`` (``sysfs_streq``: exact, one
trailing newline allowed, the buffer ends at its first NUL) and ``kstrtobool`` for ``online``.
"""

from __future__ import annotations

ONLINE_TYPES = ("offline", "online", "online_kernel", "online_movable")


def _cstr(buf: bytes) -> bytes:
    """The kernel sees the written buffer as a C string: it ends at the first NUL."""
    nul = buf.find(b"\0")
    return buf if nul < 0 else buf[:nul]


def prefix_request(buf: bytes) -> str | None:
    """3.4: ``online`` / ``offline`` by prefix of the written count, else None (-EINVAL)."""
    count = len(buf)
    s = _cstr(buf) + b"\0"
    n = min(count, 6)
    if s[:n] == b"online"[:n] and b"\0" not in s[:n]:
        return "online"
    n = min(count, 7)
    if s[:n] == b"offline"[:n] and b"\0" not in s[:n]:
        return "offline"
    return None


def sysfs_streq(s1: bytes, s2: bytes) -> bool:
    """lib/string.c sysfs_streq: equal, ignoring one trailing newline on either side."""
    a, b = _cstr(s1), _cstr(s2)
    if a.endswith(b"\n"):
        a = a[:-1]
    if b.endswith(b"\n"):
        b = b[:-1]
    return a == b


def mhp_online_type_from_str(buf: bytes) -> str | None:
    for name in ONLINE_TYPES:
        if sysfs_streq(buf, name.encode()):
            return name
    return None


def kstrtobool(buf: bytes) -> bool | None:
    """lib/kstrtox.c kstrtobool (6.1): looks at the first one or two characters only."""
    s = _cstr(buf)
    if not s:
        return None
    c = chr(s[0])
    if c in "yYtT1":
        return True
    if c in "nNfF0":
        return False
    if c in "oO" and len(s) > 1:
        c2 = chr(s[1])
        if c2 in "nN":
            return True
        if c2 in "fF":
            return False
    return None


def prefix_request_38(buf: bytes) -> str | None:
    """3.8 store_mem_state: strncmp with min(count, len) against online_kernel (13),
    online_movable (14), online (6), offline (7), in that order; so a write of exactly
    ``online`` (6 bytes) or ``o`` matches online_kernel, and ``online\\n`` matches online."""
    count = len(buf)
    s = _cstr(buf) + b"\0"
    for name in ("online_kernel", "online_movable", "online", "offline"):
        n = min(count, len(name))
        if s[:n] == name.encode()[:n] and b"\0" not in s[:n]:
            return name
    return None
