"""Reading a sysfs tree or a snapshot archive into a view, read-only and within limits.

A view maps a path relative to ``/sys/devices/system`` (``memory/memory9/state``) to the text a
read returned, ``("link", target)`` for a symlink, or ``""`` for a directory (key ending in
``/``). Only ``devices/system/memory`` and ``devices/system/node`` are read, in the layout of
the archives of ``memhp snapshot`` (``tests/checker/audit/snapshots/README.md`` describes it):
a file that cannot be read holds ``<unreadable: STRERROR>``; ``power/``, ``subsystem``,
``uevent``, ``driver``, ``firmware_node`` and the ``cpu*``, ``hugepages*``, ``access*``,
``memory_side_cache*`` subdirectories of node directories are left out (a left-out link that
leaves the sysfs root is kept, for the audit to report); symlinks are never followed.

Every file is opened with ``os.open(O_RDONLY | O_NOFOLLOW | O_NONBLOCK)`` and nothing else: no
path is ever opened for writing. An archive is gunzipped in memory (at most :data:`MAX_TAR`
bytes) and read member by member; nothing is extracted. A symlink is kept as its target text in
tree and archive alike, whatever it points to, and every name is kept as read: the audit
(:mod:`spec.audit`) reports links that leave the sysfs root (absolute, or climbing out through
``..``) and names no kernel makes (``memory007``). Bad input (a truncated archive, an absolute
or ``..`` member, a symlink where ``devices``, ``devices/system``, ``memory`` or ``node`` should
be a directory, a device file or hard link, a file over :data:`MAX_FILE` bytes, too many
members, a tree that is no sysfs) raises :class:`SnapshotError`, one line naming the file.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zlib
from pathlib import Path

from spec.errors import MemhpError
from spec.files import read_input
from spec.audit import View, link_out, shown

MAX_FILE = 64 << 10  # a sysfs attribute is at most a page; meminfo and vmstat stay far below this
MAX_MEMBERS = 200_000
MAX_TOTAL = 64 << 20
MAX_TAR = MAX_TOTAL + MAX_MEMBERS * 1024  # the files, plus a header and padding per member
PARTS = ("memory", "node")
SKIP_NAMES = {"power", "subsystem", "uevent", "driver", "firmware_node"}
SKIP_NODE_DIRS = ("cpu", "hugepages", "access", "memory_side_cache")
UNREADABLE = "<unreadable: "


class SnapshotError(MemhpError):
    """A tree or archive that cannot be audited; the message is one line naming the file."""


def _skip(rel: str, name: str, is_dir: bool) -> bool:
    if name in SKIP_NAMES:
        return True
    parts = rel.split("/")
    return is_dir and len(parts) == 3 and parts[0] == "node" and name.startswith(SKIP_NODE_DIRS)


def _read_file(path: str) -> str:
    """What a read of ``path`` returns, or the unreadable marker; opened read-only."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return f"{UNREADABLE}{e.strerror}>\n"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SnapshotError(f"{shown(path)}: not a regular file (a device or fifo): not a sysfs tree")
        chunks, size = [], 0
        while True:
            try:
                b = os.read(fd, MAX_FILE + 1 - size)
            except OSError as e:
                return f"{UNREADABLE}{e.strerror}>\n"
            if not b:
                break
            chunks.append(b)
            size += len(b)
            if size > MAX_FILE:
                raise SnapshotError(f"{shown(path)}: more than {MAX_FILE} bytes: not a sysfs attribute")
        return b"".join(chunks).decode("utf-8", errors="backslashreplace")
    finally:
        os.close(fd)


def system_dir(root: str | Path) -> Path:
    """``root/devices/system`` of a sysfs root, or SnapshotError when it holds no memory/ or
    when a directory on the way to memory/ and node/ is a symlink (never followed)."""
    base = Path(root) / "devices" / "system"
    for p in (Path(root) / "devices", base, base / "memory", base / "node"):
        if p.is_symlink():
            try:
                target = f" -> {shown(os.readlink(p))}"
            except OSError:
                target = ""
            raise SnapshotError(f"{shown(str(p))}: a symlink{target} where sysfs has a directory: "
                                f"not followed; not a sysfs tree")
    if not (base / "memory").is_dir():
        raise SnapshotError(f"{root}: no devices/system/memory directory: not a sysfs tree "
                            f"(give the sysfs root, such as /sys)")
    return base


def read_tree(root: str | Path) -> View:
    """The view of a live (or copied) sysfs tree rooted at ``root`` (``/sys``)."""
    base = system_dir(root)
    view: View = {}
    count = 0
    for part in PARTS:
        top = base / part
        if not top.is_dir():
            continue
        view[f"{part}/"] = ""
        stack = [(str(top), part, 0)]
        while stack:
            path, rel, depth = stack.pop()
            try:
                with os.scandir(path) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as e:
                raise SnapshotError(f"{shown(path)}: cannot list the directory ({e.strerror})") from None
            for entry in entries:
                count += 1
                if count > MAX_MEMBERS:
                    raise SnapshotError(f"{base}: more than {MAX_MEMBERS} entries: not a sysfs tree")
                key = f"{rel}/{entry.name}"
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as e:
                    view[key] = f"{UNREADABLE}{e.strerror}>\n"
                    continue
                if stat.S_ISLNK(st.st_mode):
                    try:
                        target = os.readlink(entry.path)
                    except OSError as e:
                        raise SnapshotError(f"{shown(entry.path)}: cannot read the link "
                                            f"({e.strerror})") from None
                    if entry.name not in SKIP_NAMES or link_out(key, target) is not None:
                        view[key] = ("link", target)  # a skipped name still shows when it leaves
                elif stat.S_ISDIR(st.st_mode):
                    if _skip(rel, entry.name, True):
                        continue
                    view[key + "/"] = ""
                    if depth < 2:
                        stack.append((entry.path, key, depth + 1))
                elif stat.S_ISREG(st.st_mode):
                    if _skip(rel, entry.name, False):
                        continue
                    view[key] = _read_file(entry.path)
                else:
                    raise SnapshotError(f"{shown(entry.path)}: a device file or fifo: not a sysfs tree")
    return view


def _member_key(name: str, archive: str) -> str | None:
    """``./devices/system/memory/x`` -> ``memory/x``; None for the leading directories."""
    if name.startswith("/") or "\\" in name:
        raise SnapshotError(f"{archive}: member {name!r} has an absolute path: not a memhp snapshot")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise SnapshotError(f"{archive}: member {name!r} climbs out with '..': not a memhp snapshot")
    if parts in ([], ["devices"], ["devices", "system"]):
        return None
    if parts[:2] != ["devices", "system"] or parts[2] not in PARTS:
        raise SnapshotError(f"{archive}: member {name!r} is outside devices/system/memory and "
                            f"devices/system/node: not a memhp snapshot")
    return "/".join(parts[2:])


def _gunzip(archive: str) -> bytes:
    """The tar inside the gzip file, at most :data:`MAX_TAR` bytes (a gzip bomb stops there)."""
    raw = read_input(archive, "snapshot archive", SnapshotError, limit=MAX_TAR)
    out, d = [], zlib.decompressobj(wbits=31)
    size = 0
    while raw:
        chunk = d.decompress(raw, MAX_TAR + 1 - size)
        out.append(chunk)
        size += len(chunk)
        if size > MAX_TAR:
            raise SnapshotError(f"{archive}: more than {MAX_TAR} bytes uncompressed: not a memhp snapshot")
        raw = d.unconsumed_tail
        if d.eof:
            break
    if not d.eof:
        raise SnapshotError(f"{archive}: truncated or not a .tar.gz snapshot (the gzip stream ends early)")
    if d.unused_data:
        raise SnapshotError(f"{archive}: {len(d.unused_data)} bytes after the gzip stream (a second "
                            f"stream or trailing data): not a memhp snapshot")
    return b"".join(out)


def read_archive(path: str | Path) -> View:
    """The view held by a snapshot archive (.tar.gz), read in memory; nothing is extracted."""
    archive = str(path)
    view: View = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(_gunzip(archive)), mode="r:") as tf:
            for count, m in enumerate(tf, 1):
                if count > MAX_MEMBERS:
                    raise SnapshotError(f"{archive}: more than {MAX_MEMBERS} members: not a memhp snapshot")
                key = _member_key(m.name, archive)
                if key is None:
                    continue
                if m.isdir():
                    view[key + "/"] = ""
                elif key in PARTS:
                    raise SnapshotError(f"{archive}: {shown(m.name)} is not a directory: not a memhp "
                                        f"snapshot")
                elif m.issym():
                    view[key] = ("link", m.linkname)  # judged by the audit (link_out), never followed
                elif m.isreg():
                    if m.size > MAX_FILE:
                        raise SnapshotError(f"{archive}: {shown(m.name)} holds {m.size} bytes (at most "
                                            f"{MAX_FILE} expected of a sysfs file)")
                    total += m.size
                    if total > MAX_TOTAL:
                        raise SnapshotError(f"{archive}: more than {MAX_TOTAL} bytes of files")
                    f = tf.extractfile(m)
                    data = f.read(MAX_FILE + 1) if f is not None else b""
                    if len(data) != m.size:
                        raise SnapshotError(f"{archive}: {shown(m.name)} is truncated")
                    view[key] = data.decode("utf-8", errors="backslashreplace")
                else:
                    what = "a hard link" if m.islnk() else "a device file or fifo"
                    raise SnapshotError(f"{archive}: {shown(m.name)} is {what}: not a memhp snapshot")
    except SnapshotError:
        raise
    except FileNotFoundError:
        raise SnapshotError(f"{archive}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{archive}: a directory, not an archive") from None
    except PermissionError as e:
        raise SnapshotError(f"{archive}: cannot read ({e.strerror})") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        why = " ".join(str(e).split()) or type(e).__name__
        raise SnapshotError(f"{archive}: truncated or not a .tar.gz snapshot ({why})") from None
    if not any(k.startswith("memory/") for k in view):
        raise SnapshotError(f"{archive}: no devices/system/memory in the archive: not a memhp snapshot")
    return view


def load(source: str | Path) -> tuple[View, str]:
    """A view from a directory (a sysfs root) or an archive file; and which kind it was."""
    p = Path(source)
    if p.is_dir():
        return read_tree(p), "tree"
    if not p.exists():
        raise SnapshotError(f"{source}: no such file or directory")
    return read_archive(p), "archive"


def unreadable(view: View, needed: list[str], source: str) -> None:
    """SnapshotError for the first needed file that could not be read."""
    for key in needed:
        v = view.get(key)
        if isinstance(v, str) and v.startswith(UNREADABLE):
            raise SnapshotError(f"{source}: {key}: could not be read ({v.strip()[len(UNREADABLE):-1]}); "
                                f"run as a user who can read it, or audit a snapshot")
