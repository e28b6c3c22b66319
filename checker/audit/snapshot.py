"""``memhp snapshot``: a read-only copy of devices/system/memory and devices/system/node.

The tree is read by :func:`checker.audit.source.read_tree` (read-only opens, symlinks kept as
links, never followed) and written as a ``.tar.gz`` whose members are ``./devices/system/...``,
the format of the real archives in ``tests/checker/audit/snapshots/``: files as read
(``<unreadable: ...>`` for a file that cannot be read), symlinks as their target text (the
kernel's are relative; one that leaves the tree is copied as it is and reported by the audit),
directories. The archive is written to a temporary
file beside the output and renamed into place only when complete; an output path inside the
tree being copied (or under ``/sys``) is refused.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path

from checker.audit.source import SnapshotError, read_tree, system_dir
from spec.audit import View


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def archive_bytes(view: View, mtime: float | None = None) -> bytes:
    """The .tar.gz of ``view`` (in memory: the output is written in one go)."""
    when = int(time.time() if mtime is None else mtime)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tf:
        def add(name: str, kind: bytes, data: bytes = b"", link: str = "") -> None:
            ti = tarfile.TarInfo(name)
            ti.type, ti.mtime, ti.uid, ti.gid = kind, when, 0, 0
            ti.uname = ti.gname = "root"
            if kind == tarfile.DIRTYPE:
                ti.mode = 0o755
            elif kind == tarfile.SYMTYPE:
                ti.mode, ti.linkname = 0o777, link
            else:
                ti.mode, ti.size = 0o644, len(data)
            tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        for d in (".", "./devices", "./devices/system"):
            add(d, tarfile.DIRTYPE)
        for key in sorted(view):
            value = view[key]
            name = "./devices/system/" + key.rstrip("/")
            if key.endswith("/"):
                add(name, tarfile.DIRTYPE)
            elif isinstance(value, tuple):
                add(name, tarfile.SYMTYPE, link=value[1])
            else:
                add(name, tarfile.REGTYPE, value.encode("utf-8", errors="surrogateescape"))
    return buf.getvalue()


def write_snapshot(root: str | Path, out: str | Path) -> tuple[Path, View]:
    """Copy ``root``'s memory and node trees into the archive ``out``; the view copied."""
    base = system_dir(root)
    dest = Path(out).absolute()
    real_dest = Path(os.path.realpath(dest))
    for forbidden in (Path(os.path.realpath(root)), Path("/sys"), Path(os.path.realpath(base))):
        if _inside(real_dest, forbidden):
            raise SnapshotError(f"{out}: the output must lie outside {forbidden} (the tree being read)")
    if not dest.parent.is_dir():
        raise SnapshotError(f"{out}: the folder {dest.parent} does not exist")
    view = read_tree(root)
    data = archive_bytes(view)
    tmp = dest.parent / f".{dest.name}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            with os.fdopen(fd, "wb", closefd=True) as f:
                f.write(data)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, dest)
    except OSError as e:
        raise SnapshotError(f"{out}: cannot write the snapshot ({e.strerror})") from None
    return dest, view
