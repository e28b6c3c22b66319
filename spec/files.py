"""Reading a file the user named (a world, a trace, a baseline, a certificate).

Models: nothing; this is the one door through which the tool reads its inputs. Only regular
files are read: a FIFO, a device or a directory is refused from its ``stat`` without being
opened (opening a FIFO blocks until someone writes), and a file larger than the cap is refused
without being read whole (``/dev/zero`` would fill memory). Every message names the file.

Leaves out: sysfs trees and snapshot archives, which checker.audit.source reads with its own
rules (no following links, a cap on the archive's unpacked size).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from spec.errors import MemhpError

#: the largest input read: far above any world or trace memhp writes (the default world's
#: longest trace is under 100 KiB; the shipped certificates are under 2 MiB)
MAX_INPUT = 32 << 20

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_input(path: str | Path, what: str, error: type[MemhpError], limit: int = MAX_INPUT) -> bytes:
    """The bytes of the regular file ``path``; ``error`` (one line naming the file) otherwise."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as e:
        raise error(f"{p}: cannot read the {what} ({e.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
        raise error(f"{p}: {kind}, not a file: give the {what} as a regular file")
    if st.st_size > limit:
        raise error(f"{p}: {st.st_size:,} bytes; a {what} is at most {limit:,} bytes")
    try:
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise error(f"{p}: cannot read the {what} ({e.strerror})") from None
    if len(data) > limit:
        raise error(f"{p}: more than {limit:,} bytes; a {what} is at most that")
    return data


def read_text_input(path: str | Path, what: str, error: type[MemhpError], limit: int = MAX_INPUT) -> str:
    """As :func:`read_input`, decoded as UTF-8."""
    try:
        return read_input(path, what, error, limit).decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
