"""Progress of long runs on a terminal: states, transitions, depth, rate, memory, elapsed.

A :class:`Progress` is the ``progress`` callback of :func:`checker.engines.explore.explore` (called with
states, transitions, depth and elapsed seconds). It redraws one status line on its stream, at
most once per ``interval``; the rate is states per second since the previous line (the first
line: since the start), the memory is the process's resident set (``/proc/self/statm``; where
that is missing, the peak from ``getrusage``). :func:`for_command` gives one only where someone
watches: the stream is a terminal, the environment is not CI (``CI`` set) or a dumb terminal,
and the output is not ``--json``; otherwise None, so a quiet run pays nothing.

Leaves out: estimates of the time left (the size of a state space is not known in advance).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO

from checker.engines.reach import rss_bytes


def _size(n: int | None) -> str:
    if n is None:
        return "? MiB"
    if n >= 10 << 30:
        return f"{n / (1 << 30):.1f} GiB"
    return f"{n / (1 << 20):,.0f} MiB"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02}:{s % 60:02}" if s >= 3600 else f"{s // 60}:{s % 60:02}"


class Progress:
    """The status line; call it as the explorer's ``progress`` callback, then :meth:`done`."""

    def __init__(self, stream: TextIO | None = None, interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 rss: Callable[[], int | None] = rss_bytes) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.clock = clock
        self.rss = rss
        self.last_time: float | None = None
        self.last_states = 0
        self.last_elapsed = 0.0
        self.width = 0
        self.lines = 0

    def line(self, states: int, transitions: int, depth: int, elapsed: float) -> str:
        span = elapsed - self.last_elapsed
        rate = (states - self.last_states) / span if span > 0 else 0.0
        return (f"{states:,} states, {transitions:,} transitions, depth {depth}, "
                f"{rate:,.0f} states/s, RSS {_size(self.rss())}, {_clock(elapsed)}")

    def __call__(self, states: int, transitions: int, depth: int, elapsed: float) -> None:
        now = self.clock()
        if self.last_time is not None and now - self.last_time < self.interval:
            return
        text = "  " + self.line(states, transitions, depth, elapsed)
        pad = max(0, self.width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self.width = len(text)
        self.last_time, self.last_states, self.last_elapsed = now, states, elapsed
        self.lines += 1

    def done(self) -> None:
        """End the status line (leaving the last figures on screen), if one was drawn."""
        if self.lines:
            self.stream.write("\n")
            self.stream.flush()
            self.lines = 0
            self.width = 0


class Phases:
    """A status line for runs that go by phases rather than states (``memhp prove``: building
    the relation, each BMC depth, each k-induction round): call it with what starts; it shows
    that with the time since the start, redrawn in place, and :meth:`done` ends the line."""

    def __init__(self, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start = clock()
        self.width = 0

    def __call__(self, what: str) -> None:
        text = f"  [{_clock(self.clock() - self.start)}] {what}"
        self.stream.write("\r" + text + " " * max(0, self.width - len(text)))
        self.stream.flush()
        self.width = len(text)

    def done(self) -> None:
        if self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def wanted(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Whether someone watches ``stream``: a terminal, outside CI, not a dumb terminal."""
    env = os.environ if env is None else env
    if env.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    if env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _watched(json_output: bool, stream: TextIO | None,
             env: Mapping[str, str] | None) -> TextIO | None:
    """The stream a command's status line goes to, or None where nobody watches."""
    s = stream if stream is not None else sys.stderr
    return None if json_output or not wanted(s, env) else s


def for_command(json_output: bool, stream: TextIO | None = None,
                env: Mapping[str, str] | None = None) -> Progress | None:
    """A Progress for a command's run, or None where nobody watches (see :func:`wanted`)."""
    s = _watched(json_output, stream, env)
    return None if s is None else Progress(s)


def phases_for_command(json_output: bool, stream: TextIO | None = None,
                       env: Mapping[str, str] | None = None) -> Phases | None:
    """A Phases line for a command's run (memhp prove), or None where nobody watches."""
    s = _watched(json_output, stream, env)
    return None if s is None else Phases(s)


def finish(progress: object) -> None:
    """End ``progress``'s line if it is a :class:`Progress` (callers may pass None)."""
    if isinstance(progress, (Progress, Phases)):
        progress.done()
