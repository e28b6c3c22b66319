"""Equivalent rewrite (every profile): notifier_chain_register as the pointer walk of the C code.

kernel/notifier.c walks ``struct notifier_block **nl`` until the first block of strictly lower
priority; this version finds that position by a different loop. Nothing observable changes:
the lockstep run must pass.
"""

from __future__ import annotations

from spec.kernel.structs import NotifierBlock


def notifier_chain_register(nl: list[NotifierBlock], n: NotifierBlock) -> int:
    """kernel/notifier.c notifier_chain_register: insert before the first lower priority."""
    pos = next((i for i, nb in enumerate(nl) if n.priority > nb.priority), len(nl))
    nl.insert(pos, n)
    return 0
