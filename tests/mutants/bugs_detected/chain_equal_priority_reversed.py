"""Mutant (v3.4 and every profile): callbacks of equal priority run in reverse registration order.

kernel/notifier.c notifier_chain_register with ``if (n->priority >= (*nl)->priority) break;``:
a new block goes before the blocks of its own priority, so ``inject`` (registered last) is called
before ``tier``. Breaks **chain_order** (equal priorities in registration order).
"""

from __future__ import annotations

from spec.kernel.structs import NotifierBlock


def notifier_chain_register(nl: list[NotifierBlock], n: NotifierBlock) -> int:
    """kernel/notifier.c notifier_chain_register: insert before the first lower priority."""
    i = 0
    while i < len(nl):
        if n.priority >= nl[i].priority:  # MUTANT: was >
            break
        i += 1
    nl.insert(i, n)
    return 0
