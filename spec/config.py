"""The World: one frozen description of a machine to check (design.md sections 1 and 7).

Models: section size and sections per block; memory blocks with their node(s), boot zones,
memory holes (pages at the end of a block that are not System RAM), unmovable pages, missing
sections and whether they are hot-pluggable ACPI devices (absent until hot-add); NUMA nodes
(memoryless allowed); the memory notifier callbacks with priority and behaviour; writer threads;
the texts userspace writes; which page-migration outcomes may happen; the profile.

Leaves out: real addresses beyond block granularity (a block's pfn range is derived from its
id), CPUs beyond "the node has one", firmware tables, and sizes other than 4 KiB pages.

A World is validated on construction and loads from TOML (:func:`load_world`); every error names
the file and the key and says what was expected. Built-in worlds: :func:`builtin_world`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from spec.actions import MAX_ERRNO, NOTIFY_NAMES, PAGE_SIZE, parse_errno
from spec.errors import ActionError, WorldError
from spec.files import read_input
from spec.sysfs_names import MAX_BLOCK_ID, MAX_NODES

ZONES = ("DMA", "DMA32", "Normal", "Movable")
BOOT_STATES = ("online", "offline", "absent")
CALLBACK_KINDS = ("slub", "choice", "injector", "ok")
CHAINS = ("memory", "node")
MIGRATION_OUTCOMES = ("ok", "-EBUSY", "-EINTR", "-EAGAIN")
INJECTABLE_EVENTS = ("MEM_GOING_ONLINE", "MEM_GOING_OFFLINE")

# What the kernel can represent, so that a world never makes the spec render a value its own
# sysfs audit rejects.
MAX_SECTION_SIZE_MIB = 1 << 16   # 64 GiB; x86-64 uses 128 MiB (SECTION_SIZE_BITS 27)
MAX_NUMNODES = MAX_NODES        # NODES_SHIFT is at most 10; MAX_BLOCK_ID: memory%u is unsigned
INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1  # struct notifier_block.priority is an int
MAX_TEXT = PAGE_SIZE             # a sysfs store is handed at most one page


@dataclass(frozen=True)
class NodeSpec:
    id: int
    cpus: bool = True


@dataclass(frozen=True)
class BlockSpec:
    """A memory block ``memory<id>``; its first section is ``id * sections_per_block``."""

    id: int
    nodes: tuple[int, ...]
    zones: tuple[str, ...] = ()
    boot: str = "online"
    hole_pages: int = 0
    unmovable: bool = False
    missing_sections: tuple[int, ...] = ()
    hotplug: bool = False

    @property
    def node(self) -> int:
        """The node of the block's first page (page_to_nid(pfn_to_page(start_pfn)))."""
        return self.nodes[0]


@dataclass(frozen=True)
class CallbackSpec:
    """A memory notifier callback.

    kinds: ``slub`` (mm/slub.c slab_memory_callback, per profile), ``choice`` (answers each
    GOING_* with any of ``answers``, a nondeterministic choice), ``injector``
    (lib/memory-notifier-error-inject.c: answers with the errno set through debugfs), ``ok``.
    """

    name: str
    priority: int
    kind: str
    answers: tuple[str, ...] = ()
    #: ``node``: a consumer that moved to the NUMA node notifier where the profile has one
    #: (6.17: memory-tiers, CXL); on the memory chain before that.
    chain: str = "memory"


@dataclass(frozen=True)
class World:
    name: str
    profile: str
    section_size_mib: int
    sections_per_block: int
    nodes: tuple[NodeSpec, ...]
    blocks: tuple[BlockSpec, ...]
    callbacks: tuple[CallbackSpec, ...]
    writers: int = 1
    texts: tuple[bytes, ...] = (b"online", b"offline")
    online_texts: tuple[bytes, ...] = ()
    migration: tuple[str, ...] = ("ok",)
    movable_node: bool = False
    reads: bool = True
    inject_errors: tuple[tuple[str, int], ...] = field(default=())
    description: str = ""
    #: invariants this world cannot exercise by design, with the reason (TOML table
    #: ``[vacuous]``): verify reports their unreached premise as declared, not as a failure
    vacuous: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        _validate(self)

    # --- derived sizes -------------------------------------------------------------------
    @property
    def pages_per_section(self) -> int:
        return self.section_size_mib * (1 << 20) // PAGE_SIZE

    @property
    def pages_per_block(self) -> int:
        return self.pages_per_section * self.sections_per_block

    @property
    def block_size_bytes(self) -> int:
        return self.section_size_mib * (1 << 20) * self.sections_per_block

    def block(self, block_id: int) -> BlockSpec:
        for b in self.blocks:
            if b.id == block_id:
                return b
        raise ActionError(f"world {self.name!r} has no block memory{block_id}")

    def block_index(self, block_id: int) -> int:
        for i, b in enumerate(self.blocks):
            if b.id == block_id:
                return i
        raise ActionError(f"world {self.name!r} has no block memory{block_id}")

    def start_pfn(self, block_id: int) -> int:
        return block_id * self.pages_per_block

    def first_section(self, block_id: int) -> int:
        return block_id * self.sections_per_block

    def last_section(self, block_id: int) -> int:
        return self.first_section(block_id) + self.sections_per_block - 1

    def ram_pages(self, block_id: int) -> int:
        """Pages of the block that are System RAM (present sections, minus the hole)."""
        b = self.block(block_id)
        present = self.sections_per_block - len(b.missing_sections)
        return present * self.pages_per_section - b.hole_pages

    def writer_threads(self) -> tuple[str, ...]:
        return tuple(f"w{i}" for i in range(self.writers))

    def chain(self) -> tuple[CallbackSpec, ...]:
        """Callbacks in call order: higher priority first, equal ones in registration order
        (kernel/notifier.c notifier_chain_register inserts before the first lower priority)."""
        ordered: list[CallbackSpec] = []
        for cb in self.callbacks:
            pos = len(ordered)
            for i, other in enumerate(ordered):
                if cb.priority > other.priority:
                    pos = i
                    break
            ordered.insert(pos, cb)
        return tuple(ordered)

    def notifier_chains(self, node_notifier: bool) -> tuple[tuple[CallbackSpec, ...],
                                                             tuple[CallbackSpec, ...]]:
        """(memory chain, node chain), each in call order. With the node notifier (6.17) SLUB's
        callback and the callbacks declared ``chain = "node"`` are on the node chain."""
        chain = self.chain()
        if not node_notifier:
            return chain, ()
        node = tuple(c for c in chain if c.kind == "slub" or c.chain == "node")
        return tuple(c for c in chain if c not in node), node

    def with_profile(self, profile: str) -> "World":
        return replace(self, profile=profile)

    # --- serialisation -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "profile": self.profile,
            "description": self.description,
            "section_size_mib": self.section_size_mib,
            "sections_per_block": self.sections_per_block,
            "writers": self.writers,
            "texts": [_text_json(t) for t in self.texts],
            "online_texts": [_text_json(t) for t in self.online_texts],
            "migration": list(self.migration),
            "movable_node": self.movable_node,
            "reads": self.reads,
            "inject_errors": {k: v for k, v in self.inject_errors},
            "nodes": [{"id": n.id, "cpus": n.cpus} for n in self.nodes],
            "blocks": [
                {"id": b.id, "nodes": list(b.nodes), "zones": list(b.zones), "boot": b.boot,
                 "hole_pages": b.hole_pages, "unmovable": b.unmovable,
                 "missing_sections": list(b.missing_sections), "hotplug": b.hotplug}
                for b in self.blocks
            ],
            **({"vacuous": dict(self.vacuous)} if self.vacuous else {}),
            "callbacks": [
                {"name": c.name, "priority": c.priority, "kind": c.kind, "answers": list(c.answers),
                 **({"chain": c.chain} if c.chain != "memory" else {})}
                for c in self.callbacks
            ],
        }


def _text_json(t: bytes) -> str:
    return t.decode("utf-8", errors="surrogateescape")


def _validate(w: World) -> None:
    def bad(key: str, what: str) -> WorldError:
        return WorldError(f"key '{key}': {what}")

    if not 0 < w.section_size_mib <= MAX_SECTION_SIZE_MIB or w.section_size_mib & (w.section_size_mib - 1):
        raise bad("section_size_mib", f"expected a power of two in 1..{MAX_SECTION_SIZE_MIB} (MiB)")
    if not 1 <= w.sections_per_block <= 64:
        raise bad("sections_per_block", "expected an integer in 1..64")
    if not 0 <= w.writers <= 4:
        raise bad("writers", "expected an integer in 0..4")
    for key, texts in (("texts", w.texts), ("online_texts", w.online_texts)):
        if any(len(t) > MAX_TEXT for t in texts):
            raise bad(key, f"expected texts of at most {MAX_TEXT} bytes (one page, what a sysfs "
                      f"store is handed)")
    node_ids = [n.id for n in w.nodes]
    if len(node_ids) > MAX_NUMNODES:
        raise bad("nodes", f"expected at most {MAX_NUMNODES} nodes (MAX_NUMNODES), got {len(node_ids)}")
    if not node_ids or sorted(node_ids) != list(range(len(node_ids))):
        raise bad("nodes", "expected nodes numbered 0, 1, 2, ... without gaps")
    seen: set[int] = set()
    for i, b in enumerate(w.blocks):
        key = f"blocks[{i}]"
        if b.id in seen or not 0 <= b.id <= MAX_BLOCK_ID - w.sections_per_block + 1:
            raise bad(f"{key}.id", f"expected a unique block id in 0..{MAX_BLOCK_ID - w.sections_per_block + 1} "
                      f"(memory%u), got {b.id}")
        seen.add(b.id)
        if not b.nodes or any(n not in node_ids for n in b.nodes):
            raise bad(f"{key}.nodes", f"expected node ids among {node_ids}, got {list(b.nodes)}")
        if b.boot not in BOOT_STATES:
            raise bad(f"{key}.boot", f"expected one of {BOOT_STATES}, got {b.boot!r}")
        if any(z not in ZONES for z in b.zones):
            raise bad(f"{key}.zones", f"expected zones among {ZONES}, got {list(b.zones)}")
        if b.boot == "online" and not b.zones:  # an offline 6.1 block gets its zone at online
            raise bad(f"{key}.zones", "a block online at boot needs its zone(s)")
        if b.boot == "absent" and not b.hotplug:
            raise bad(f"{key}.hotplug", "a block absent at boot must be hot-pluggable")
        if any(not 0 <= s < w.sections_per_block for s in b.missing_sections):
            raise bad(f"{key}.missing_sections", "expected section indexes within the block")
        ram = (w.sections_per_block - len(set(b.missing_sections))) * w.pages_per_section
        if not 0 <= b.hole_pages < ram:
            raise bad(f"{key}.hole_pages", f"expected 0 <= hole_pages < {ram} (some System RAM)")
    if not w.blocks:
        raise bad("blocks", "expected at least one block")
    names: set[str] = set()
    for i, c in enumerate(w.callbacks):
        key = f"callbacks[{i}]"
        if not c.name or c.name in names:
            raise bad(f"{key}.name", "expected a unique non-empty name")
        names.add(c.name)
        if c.kind not in CALLBACK_KINDS:
            raise bad(f"{key}.kind", f"expected one of {CALLBACK_KINDS}, got {c.kind!r}")
        if c.chain not in CHAINS:
            raise bad(f"{key}.chain", f"expected one of {CHAINS}, got {c.chain!r}")
        if not INT_MIN <= c.priority <= INT_MAX:
            raise bad(f"{key}.priority", f"expected an int in {INT_MIN}..{INT_MAX}, got {c.priority}")
        if c.kind == "choice" and not c.answers:
            raise bad(f"{key}.answers", "a 'choice' callback needs at least one answer")
        for a in c.answers:
            if a in NOTIFY_NAMES:
                continue
            try:
                err = parse_errno(a)
            except (ActionError, ValueError):
                err = 1
            if not -MAX_ERRNO <= err <= 0:
                raise bad(f"{key}.answers", f"expected NOTIFY_OK/BAD/STOP or an errno in "
                          f"-{MAX_ERRNO}..0 (e.g. -EBUSY), got {a[:40]!r}")
    if "ok" not in w.migration:
        raise bad("migration", "expected 'ok' among the outcomes (migration can succeed)")
    for m in w.migration:
        if m not in MIGRATION_OUTCOMES:
            raise bad("migration", f"expected outcomes among {MIGRATION_OUTCOMES}, got {m!r}")
    for ev, err in w.inject_errors:
        if ev not in INJECTABLE_EVENTS or not -MAX_ERRNO <= err <= 0:
            raise bad("inject_errors", f"expected {INJECTABLE_EVENTS} -> errno in -{MAX_ERRNO}..0")


# --- loading ---------------------------------------------------------------------------

def world_from_dict(data: Any, source: str = "<dict>") -> World:
    """Build a World from parsed TOML/JSON; errors name ``source`` and the key."""
    try:
        return _from_dict(data)
    except WorldError as e:
        raise WorldError(f"{source}: {e}") from None


def _get(d: dict[str, Any], key: str, typ: Any, default: Any, where: str) -> Any:
    if key not in d:
        if default is _REQUIRED:
            raise WorldError(f"key '{where}{key}': missing (expected {typ.__name__})")
        return default
    v = d[key]
    if typ is int and isinstance(v, bool) or not isinstance(v, typ):
        raise WorldError(f"key '{where}{key}': expected {typ.__name__}, got {v!r}")
    return v


_REQUIRED = object()


def _texts(v: list[Any], key: str) -> tuple[bytes, ...]:
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        raise WorldError(f"key '{key}': expected a list of strings")
    return tuple(t.encode("utf-8", errors="surrogateescape") for t in v)


def _distinct(v: list[int], key: str) -> list[int]:
    seen: set[int] = set()
    dup = sorted({x for x in v if x in seen or seen.add(x)})  # type: ignore[func-returns-value]
    if dup:
        raise WorldError(f"key '{key}': {', '.join(map(str, dup))} given twice")
    return v


def _ints(v: list[Any], key: str) -> list[int]:
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise WorldError(f"key '{key}': expected a list of integers, got {v!r}")
    return v


_WORLD_KEYS = frozenset({"name", "profile", "description", "section_size_mib", "sections_per_block",
                         "writers", "texts", "online_texts", "migration", "movable_node", "reads",
                         "inject_errors", "nodes", "blocks", "callbacks", "vacuous"})
_NODE_KEYS = frozenset({"id", "cpus"})
_BLOCK_KEYS = frozenset({"id", "node", "nodes", "zones", "boot", "hole_pages", "holes_mib",
                         "unmovable", "missing_sections", "hotplug"})
_CALLBACK_KEYS = frozenset({"name", "priority", "kind", "answers", "chain"})


def _only(table: dict[str, Any], known: frozenset[str], where: str) -> None:
    """Every key of ``table`` is one the world format has: a typo is an error, never dropped."""
    for k in table:
        if k not in known:
            name = k if k.isprintable() else repr(k)[1:-1]  # the message stays on one line
            raise WorldError(f"key '{where}{name}': unknown (expected one of {', '.join(sorted(known))})")


def _one_of(table: dict[str, Any], a: str, b: str, where: str) -> None:
    if a in table and b in table:
        raise WorldError(f"key '{where}{b}': contradicts '{where}{a}' (give one of them)")


def _from_dict(d: Any) -> World:
    if not isinstance(d, dict):
        raise WorldError("key '': expected a table")
    _only(d, _WORLD_KEYS, "")
    nodes = []
    for i, n in enumerate(_get(d, "nodes", list, _REQUIRED, "")):
        if not isinstance(n, dict):
            raise WorldError(f"key 'nodes[{i}]': expected a table")
        _only(n, _NODE_KEYS, f"nodes[{i}].")
        nodes.append(NodeSpec(_get(n, "id", int, _REQUIRED, f"nodes[{i}]."),
                              _get(n, "cpus", bool, True, f"nodes[{i}].")))
    blocks = []
    for i, b in enumerate(_get(d, "blocks", list, _REQUIRED, "")):
        w = f"blocks[{i}]."
        if not isinstance(b, dict):
            raise WorldError(f"key 'blocks[{i}]': expected a table")
        _only(b, _BLOCK_KEYS, w)
        _one_of(b, "node", "nodes", w)
        _one_of(b, "hole_pages", "holes_mib", w)
        raw_nodes = b.get("nodes", b.get("node", _REQUIRED))
        if raw_nodes is _REQUIRED:
            raise WorldError(f"key '{w}node': missing (expected a node id or a list of them)")
        node_list = raw_nodes if isinstance(raw_nodes, list) else [raw_nodes]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in node_list):
            raise WorldError(f"key '{w}node': expected a node id or a list of them")
        zones = _get(b, "zones", list, [], w)
        hole = _get(b, "hole_pages", int, 0, w)
        if "holes_mib" in b:
            hole = _get(b, "holes_mib", int, 0, w) * (1 << 20) // PAGE_SIZE
        blocks.append(BlockSpec(
            id=_get(b, "id", int, _REQUIRED, w), nodes=tuple(node_list),
            zones=tuple(str(z) for z in zones), boot=_get(b, "boot", str, "online", w),
            hole_pages=hole, unmovable=_get(b, "unmovable", bool, False, w),
            missing_sections=tuple(_distinct(_ints(_get(b, "missing_sections", list, [], w),
                                                   f"{w}missing_sections"), f"{w}missing_sections")),
            hotplug=_get(b, "hotplug", bool, False, w)))
    callbacks = []
    for i, c in enumerate(_get(d, "callbacks", list, [], "")):
        w = f"callbacks[{i}]."
        if not isinstance(c, dict):
            raise WorldError(f"key 'callbacks[{i}]': expected a table")
        _only(c, _CALLBACK_KEYS, w)
        answers = _get(c, "answers", list, [], w)
        callbacks.append(CallbackSpec(_get(c, "name", str, _REQUIRED, w),
                                      _get(c, "priority", int, 0, w),
                                      _get(c, "kind", str, "ok", w),
                                      tuple(str(a) for a in answers),
                                      _get(c, "chain", str, "memory", w)))
    inject = _get(d, "inject_errors", dict, {}, "")
    inject_errors = []
    for ev, err in inject.items():
        try:
            value = parse_errno(str(err))
        except (ActionError, ValueError):
            raise WorldError(f"key 'inject_errors.{ev}': expected an errno such as -12")
        inject_errors.append((str(ev), value))
    return World(
        vacuous=_vacuous(_get(d, "vacuous", dict, {}, "")),
        name=_get(d, "name", str, "world", ""),
        profile=_get(d, "profile", str, "v3.4", ""),
        description=_get(d, "description", str, "", ""),
        section_size_mib=_get(d, "section_size_mib", int, 128, ""),
        sections_per_block=_get(d, "sections_per_block", int, 1, ""),
        nodes=tuple(nodes), blocks=tuple(blocks), callbacks=tuple(callbacks),
        writers=_get(d, "writers", int, 1, ""),
        texts=_texts(d.get("texts", ["online", "offline"]), "texts"),
        online_texts=_texts(d.get("online_texts", []), "online_texts"),
        migration=tuple(_get(d, "migration", list, ["ok"], "")),
        movable_node=_get(d, "movable_node", bool, False, ""),
        reads=_get(d, "reads", bool, True, ""),
        inject_errors=tuple(sorted(inject_errors)),
    )


def _vacuous(table: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """``[vacuous]``: invariant name -> why this world cannot reach its premise."""
    from spec.invariants import BY_NAME  # spec.invariants imports this module

    out = []
    for name, why in table.items():
        shown = name if name.isprintable() else repr(name)[1:-1]
        if name not in BY_NAME:
            raise WorldError(f"key 'vacuous.{shown}': no such invariant (memhp invariants lists them)")
        if not isinstance(why, str) or not why.strip():
            raise WorldError(f"key 'vacuous.{shown}': expected the reason, a non-empty string")
        out.append((name, why))
    return tuple(sorted(out))


def load_world(path: str | Path) -> World:
    """Load a World from a TOML file; a bad file raises WorldError naming file and key."""
    p = Path(path)
    raw = read_input(p, "world file", WorldError)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # bad TOML or UTF-8, a huge integer, deep nesting
        raise WorldError(f"{p}: not a valid TOML world file ({e})") from None
    return world_from_dict(data, str(p))
