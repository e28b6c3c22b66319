"""The names and links a kernel makes under /sys/devices/system (drivers/base/memory.c
``memory%u``, drivers/base/node.c ``node%u``, relative links made by sysfs_create_link), so that
the audit (:mod:`spec.audit`) and the snapshot readers tell a block, a node or a link the
kernel could have made from one it could not.

Leaves out: names of other subsystems (cpu, power): they are not memory hotplug's.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_NODES = 1 << 10  # x86-64 NODES_SHIFT is at most 10
MAX_BLOCK_ID = (1 << 32) - 1  # memory%u: the block id is an unsigned int
_LIMIT = {"memory": MAX_BLOCK_ID, "node": MAX_NODES - 1}
PREFIXES = tuple(_LIMIT)
_U = r"(0|[1-9][0-9]{0,9})"  # %u: decimal, no sign, no leading zero, at most 10 digits
_ID = {prefix: re.compile(prefix + _U) for prefix in _LIMIT}
_WORD = re.compile(r"_[a-z][a-z0-9_]*")  # memory_failure, memory_side_cache: words, not ids


@lru_cache(maxsize=1 << 14)
def id_of(name: str, prefix: str) -> int | None:
    """The id of a ``memory%u`` or ``node%u`` name (``prefix`` one of :data:`PREFIXES`), else None."""
    m = _ID[prefix].fullmatch(name)
    return None if m is None or int(m.group(1)) > _LIMIT[prefix] else int(m.group(1))


def block_id(name: str) -> int | None:
    """The block id of a ``memory%u`` name (drivers/base/memory.c), None for any other name."""
    return id_of(name, "memory")


def node_id(name: str) -> int | None:
    """The node id of a ``node%u`` name (drivers/base/node.c) below MAX_NODES, else None."""
    return id_of(name, "node")


def shown(text: str) -> str:
    """``text`` fit for a one-line message: escaped where not printable (newlines, bytes that
    are no UTF-8)."""
    return text if text.isprintable() else ascii(text)[1:-1]


def bad_name(name: str, prefix: str) -> str | None:
    """Why ``name``, which starts like a ``memory%u`` or ``node%u`` name (``prefix``), is none
    the kernel makes; None for a valid name and for no look-alike (``memory_failure``)."""
    rest = name[len(prefix):]
    if not name.startswith(prefix) or _WORD.fullmatch(rest) or id_of(name, prefix) is not None:
        return None
    if not rest:
        return "no id"
    if rest.isascii() and rest.isdigit():
        return "a leading zero" if rest[0] == "0" else f"an id beyond {_LIMIT[prefix]}"
    return "a sign" if rest[0] in "+-" else "characters other than the digits 0-9"


@lru_cache(maxsize=1 << 14)
def link_out(key: str, target: str) -> str | None:
    """Why the symlink at ``key`` (relative to /sys/devices/system) to ``target`` is not one
    the kernel makes inside the sysfs root; None when it is. The kernel's targets are relative:
    ``../`` a number of times, then names. Such a target can leave the root only by climbing
    too high, and reaches another link only through its names, which are judged on their own."""
    if target.startswith("/"):
        return "an absolute target"
    ups, rest = 0, target
    while rest.startswith("../"):
        ups, rest = ups + 1, rest[3:]
    if rest == "..":
        ups, rest = ups + 1, ""
    elif not rest or any(f"/{c}/" in f"/{rest}/" for c in ("", ".", "..")):
        return "not the kernel's form ../ then names ('.', '..' after a name, or an empty part)"
    depth = 2 + key.count("/")  # the directories from the sysfs root down to the link's folder
    if ups > depth:
        return f"climbs {ups} levels from a folder {depth} below the sysfs root"
    return None
