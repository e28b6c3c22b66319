"""How big a world is for the explicit engines, said before a run, and the budgets every
explicit search runs under.

Every explicit state holds every block, node, callback and writer of the world, so one
transition costs time and memory in proportion to the world, and the number of states grows
exponentially with the blocks that can change state. The estimate stated to the user:

- ``k``, the blocks that can change state: blocks online at boot that are not marked unmovable
  (when some text written to ``state`` offlines), blocks offline at boot (when some text onlines)
  and hot-pluggable blocks absent at boot. With one writer and migration that succeeds, each of
  them can be switched on its own, so the space holds about ``2**k`` states or more (more: the
  interleavings of writers, notifier answers and reads multiply it).
- ``b``, the actions enabled at boot (the first level of the search): a search that stores ``S``
  states covers every path of about ``log(S) / log(b)`` steps.

A world beyond :data:`MAX_BLOCKS` blocks or :data:`MAX_CALLBACKS` callbacks is refused before
the model is built (building the initial state alone grows with the square of the blocks); a
world whose ``2**k`` exceeds the state budget, explored without ``--max-depth``, gets a warning
that says how far the budget will reach.

Leaves out: a count of the states (not known before the search) and a time estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spec.config import World
from spec.errors import MemhpError

#: the most blocks and callbacks an explicit engine takes (a 192-block machine fits)
MAX_BLOCKS = 256
MAX_CALLBACKS = 64
#: the default state budget of an interpreted search (about 1.7 KiB a stored state)
DEFAULT_MAX_STATES = 5_000_000
#: the default state budget of the compiled search (checker.engines.compiled: about 150 bytes
#: a stored state, so the memory budget, not this, is what usually stops it)
DEFAULT_MAX_STATES_COMPILED = 50_000_000
#: the default memory budget: this share of the memory available when the run starts
MEMORY_SHARE = 0.75
#: the memory budget where the system does not say what is available
FALLBACK_MAX_MEMORY_MIB = 4096


def default_max_states(compiled: bool) -> int:
    """The state budget of a search the user gave none for."""
    return DEFAULT_MAX_STATES_COMPILED if compiled else DEFAULT_MAX_STATES


class SizeError(MemhpError):
    """A world too large for the explicit engines (exit 2)."""


@dataclass(frozen=True)
class Estimate:
    toggles: int     # k: blocks that can change state
    first: int       # b: actions enabled at boot

    def reach(self, max_states: int) -> int | None:
        """Steps every path of which a search of ``max_states`` states covers (about)."""
        if self.first <= 1:
            return None
        return max(0, int(math.log(max_states) / math.log(self.first)))

    def text(self, max_states: int) -> str:
        depth = self.reach(max_states)
        steps = "step" if depth == 1 else "steps"
        covers = f"every path of about {depth} {steps}" if depth is not None else "a few steps"
        return (f"{self.toggles} blocks can change state, so about 2^{self.toggles} states or more, "
                f"beyond the state budget of {max_states:,}; with {self.first} actions enabled at "
                f"boot the run stops at the budget having checked {covers}")


def toggles(world: World) -> int:
    offlines = any(t.startswith(b"offline") or t == b"0" for t in world.texts + world.online_texts)
    onlines = any(t.startswith(b"online") or t == b"1" for t in world.texts + world.online_texts)
    k = 0
    for b in world.blocks:
        if b.boot == "absent":
            k += 1
        elif b.boot == "online" and offlines and not b.unmovable:
            k += 1
        elif b.boot == "offline" and onlines:
            k += 1
    return k


def check(world: World, source: str) -> None:
    """Refuse a world too large to explore, before any model is built."""
    if len(world.blocks) > MAX_BLOCKS or len(world.callbacks) > MAX_CALLBACKS:
        raise SizeError(f"{source}: world {world.name!r} has {len(world.blocks)} blocks and "
                        f"{len(world.callbacks)} callbacks; the explicit engines take at most "
                        f"{MAX_BLOCKS} and {MAX_CALLBACKS} (every state holds all of them and the "
                        f"states grow as 2^{toggles(world)} with the blocks that can change state): "
                        f"cut the world down (explore --from-snapshot F --blocks 0-15)")


def estimate(world: World, first: int) -> Estimate:
    return Estimate(toggles(world), first)


def warning(world: World, first: int, max_states: int, max_depth: int | None) -> str | None:
    """The warning to print before an unbounded run the state budget cannot complete."""
    est = estimate(world, first)
    if max_depth is not None or est.toggles < 64 and 2 ** est.toggles <= max_states:
        return None
    return f"world {world.name!r}: {est.text(max_states)}; bound it with --max-depth"


def default_max_memory_mib() -> int:
    """:data:`MEMORY_SHARE` of the memory available now (``MemAvailable``)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return max(256, int(int(line.split()[1]) / 1024 * MEMORY_SHARE))
    except (OSError, ValueError, IndexError):
        pass
    return FALLBACK_MAX_MEMORY_MIB


def parse_blocks(text: str, source: str = "--blocks") -> frozenset[int]:
    """``0-3,16`` -> {0, 1, 2, 3, 16}; a bad list is a SizeError naming ``source``."""
    out: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise SizeError(f"{source}: {text!r} is not a list of block ids such as 0-3,16") from None
        if a < 0 or b < a or b - a > MAX_BLOCKS:
            raise SizeError(f"{source}: {part.strip()!r} is not a range of block ids")
        out.update(range(a, b + 1))
    return frozenset(out)


def cut(world: World, keep: frozenset[int], source: str = "--blocks") -> World:
    """``world`` with only the blocks ``keep`` names (each must exist)."""
    from dataclasses import replace

    ids = {b.id for b in world.blocks}
    missing = sorted(keep - ids)
    if missing:
        raise SizeError(f"{source}: world {world.name!r} has no block {missing[0]} "
                        f"(it has {len(ids)} blocks, {min(ids)} to {max(ids)})")
    return replace(world, blocks=tuple(b for b in world.blocks if b.id in keep))
