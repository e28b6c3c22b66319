"""A snapshot loaded back as a spec World whose initial state is the machine the snapshot shows.

From the tree: the block size (128 MiB x86-64 sections), the nodes (``possible``, CPUs from
``has_cpu``), each block's node(s) from its links, its state (boot ``online``/``offline``), and
its zones: an online block's from ``valid_zones`` (``none``: the kernel zones its address range
crosses, DMA below 16 MiB, DMA32 below 4 GiB, Normal above); a v6.1 offline block has none (the
zone is chosen when it is onlined); ``movable_node`` is what makes the offline blocks'
``valid_zones`` read as they do. The world then is rendered (:func:`spec.sysfs.render`) and
compared with the snapshot, file by file; the first file that differs is named and the snapshot
refused: it does not map to a spec state.

What a tree does not show is a fixed choice, said in the world's description: no memory holes
and no unmovable pages, no block hot-pluggable (the firmware's ranges are not in sysfs), one
writer, the callbacks ``slub`` and ``inject`` of the built-in worlds, the texts of the profile.
"""

from __future__ import annotations

from pathlib import Path

from checker.audit.run import audit_view
from checker.audit.source import SnapshotError, load
from spec.audit import View, block_id, node_id, parse_nodelist
from spec.config import BlockSpec, CallbackSpec, NodeSpec, World
from spec.errors import MemhpError
from spec.profiles import get_profile
from spec.state import initial_machine
from spec.sysfs import render

SECTION_MIB = 128
_DMA_END = 16 << 20
_DMA32_END = 4 << 30


def _zones_by_address(block_id: int, block_bytes: int) -> tuple[str, ...]:
    start, end = block_id * block_bytes, (block_id + 1) * block_bytes
    zones = []
    if start < _DMA_END:
        zones.append("DMA")
    if start < _DMA32_END and end > _DMA_END:
        zones.append("DMA32")
    if end > _DMA32_END:
        zones.append("Normal")
    return tuple(zones)


def _text(view: View, key: str, source: str) -> str:
    v = view.get(key)
    if not isinstance(v, str):
        raise SnapshotError(f"{source}: {key} missing: the snapshot does not map to a spec state")
    return v


def world_from_view(view: View, profile_name: str, source: str, movable_node: bool) -> World:
    p = get_profile(profile_name)
    block_bytes = int(_text(view, "memory/block_size_bytes", source), 16)
    spb, rest = divmod(block_bytes, SECTION_MIB << 20)
    if rest or not 1 <= spb <= 64:
        raise SnapshotError(f"{source}: block_size_bytes {block_bytes:#x} is not 1 to 64 sections "
                            f"of {SECTION_MIB} MiB: the snapshot does not map to a spec state")
    possible = parse_nodelist(_text(view, "node/possible", source)) or frozenset()
    if sorted(possible) != list(range(len(possible))) or not possible:
        raise SnapshotError(f"{source}: node/possible is not 0-N: the spec numbers nodes without gaps")
    cpus = parse_nodelist(_text(view, "node/has_cpu", source)) or frozenset()
    ids = sorted({b for k in view if k.startswith("memory/")
                  and (b := block_id(k.split("/")[1])) is not None})
    blocks = []
    for bid in ids:
        d = f"memory/memory{bid}"
        nodes = tuple(sorted(n for k, v in view.items() if k.startswith(d + "/node") and isinstance(v, tuple)
                             and k.count("/") == 2 and (n := node_id(k.rsplit("/", 1)[1])) is not None))
        if not nodes:
            raise SnapshotError(f"{source}: {d} has no node link: the snapshot does not map")
        state = _text(view, f"{d}/state", source).strip()
        if state not in ("online", "offline"):
            raise SnapshotError(f"{source}: {d}/state reads {state!r}: only online and offline "
                                f"blocks map to a spec state")
        zones_text = view.get(f"{d}/valid_zones")
        by_address = _zones_by_address(bid, block_bytes)
        if state == "offline":
            zones: tuple[str, ...] = () if p.hotadd_zone is None else by_address[-1:]
        elif isinstance(zones_text, str) and zones_text.strip() != "none":
            zones = (zones_text.strip(),)
        elif len(by_address) > 1 or len(nodes) > 1:
            zones = by_address
        else:
            raise SnapshotError(f"{source}: {d}/valid_zones reads none, but its addresses lie in "
                                f"one zone: the snapshot does not map to a spec state")
        blocks.append(BlockSpec(id=bid, nodes=nodes, zones=zones, boot=state))
    texts = (b"online", b"offline")
    if p.online_types:
        texts += (b"online_kernel", b"online_movable")
    try:
        return World(
            name=Path(source).name.removesuffix(".tar.gz"), profile=p.name,
            description=(f"Loaded from the snapshot {source}. Not shown by sysfs, so assumed: no "
                         f"memory holes, no unmovable pages, no hot-pluggable block."),
            section_size_mib=SECTION_MIB, sections_per_block=spb,
            nodes=tuple(NodeSpec(n, n in cpus) for n in sorted(possible)),
            blocks=tuple(blocks),
            callbacks=(CallbackSpec("slub", 1, "slub"), CallbackSpec("inject", 0, "injector")),
            texts=texts, online_texts=(b"0", b"1") if p.online_file else (),
            migration=("ok", "-EBUSY"), movable_node=movable_node)
    except MemhpError as e:
        raise SnapshotError(f"{source}: does not map to a spec world ({e})") from None


def _first_difference(want: View, got: View) -> str | None:
    """The first file the spec renders differently from the snapshot (files the spec models)."""
    for key in sorted(set(want) | set(got)):
        if key not in want:
            parts = key.split("/")
            modelled = (parts[0] == "memory" and len(parts) == 3 and
                        (parts[2] in ("phys_index", "end_phys_index", "state", "online",
                                      "removable", "valid_zones") or parts[2].startswith("node")))
            modelled |= parts[0] == "node" and len(parts) == 3 and parts[2].startswith("memory")
            if modelled:
                return f"{key}: the snapshot has it, the spec state would not"
            continue
        if want[key] != got.get(key):
            return f"{key}: the snapshot reads {got.get(key)!r}, the spec state would show {want[key]!r}"
    return None


def world_from_snapshot(source: str, profile: str | None = None) -> World:
    """A World whose initial state renders as the snapshot; SnapshotError where it does not map."""
    view, kind = load(source)
    rep = audit_view(view, source, kind, profile)
    if rep.violations:
        raise SnapshotError(f"{source}: the audit finds {len(rep.violations)} violation(s) "
                            f"(first: {rep.violations[0].line()}); run memhp audit on it")
    last = ""
    for movable in (False, True):
        w = world_from_view(view, rep.profile, source, movable)
        p = get_profile(w.profile)
        diff = _first_difference(render(w, p, initial_machine(w, p)), view)
        if diff is None:
            return w
        last = diff
    raise SnapshotError(f"{source}: does not map to a spec state: {last}")
