"""The one root exception of memhp-check, and its few subclasses.

Every error the tool raises on purpose derives from :class:`MemhpError`, so the CLI can turn it
into a one-line message and exit code 2 (bad input) without catching unrelated bugs.
"""

from __future__ import annotations


class MemhpError(Exception):
    """Root of every deliberate memhp-check error."""


class WorldError(MemhpError):
    """A world description (TOML file or dict) is malformed; the message names file and key."""


class ActionError(MemhpError):
    """An action is not enabled in the state it was applied to, or is malformed."""


class TraceError(MemhpError):
    """A trace file is malformed or does not replay."""


class ImplError(MemhpError):
    """A kernel-mirror variant module does not import, or one of its functions raises."""


class KernelBug(MemhpError):
    """The kernel mirror reached a modelled ``BUG()``/``BUG_ON()`` (spec.kernel.lib): the real
    kernel would oops there. Not a usage error: the engines that explore a mirror report it as a
    finding (``kernel_bug``) with the trace that reaches it.

    ``function`` is the mirror function whose BUG fired, ``what`` the condition it guards."""

    def __init__(self, function: str, what: str) -> None:
        super().__init__(f"BUG in {function}: {what}")
        self.function, self.what = function, what
