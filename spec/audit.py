"""The structural audit of a sysfs view: what any memory-hotplug tree must look like on its own.

One audit for both worlds: the same rules judge the view the spec renders for a state
(:func:`spec.sysfs.render`) and a real machine's tree (loaded by ``checker.audit``). A view is a
dict from a path relative to ``/sys/devices/system`` to the text a read returned or
``("link", target)``; a directory may be marked by ``"<dir>/"`` (the spec marks node
directories so). The audit knows no World: it judges what the tree says about itself, under a
profile (which files exist, what ``removable`` prints) and the architecture's section size.

Each :class:`Rule` names the invariant of :mod:`spec.invariants` it checks a part of and the
seed section it comes from; each :class:`AuditFinding` names its rule, the files involved, what
was expected and what was found. Names no kernel makes (``memory007``, ``node+1``) and links
no kernel makes (absolute, or climbing out of the sysfs root) are findings of their own, never
skipped and never read as blocks, nodes or links. ``severity`` is ``violation`` or ``note`` (a
fact worth showing that breaks no promise, such as a block spanning two nodes).

Leaves out: anything that needs the machine behind the tree (whether a block's memory is
physically present, its unmovable pages, a node's page counts): those are the state invariants
of :mod:`spec.invariants`, judged on the model's state. Files outside memory hotplug (cpu
links, meminfo, vmstat) are ignored. A live tree read while an operation runs may show a
transient state (``going-offline``): reported as a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

from spec.errors import MemhpError
from spec.sysfs_names import MAX_NODES, PREFIXES, bad_name, block_id, id_of, link_out, node_id, shown

Link = tuple[str, str]
View = dict[str, Union[str, Link]]

SECTION_SIZE_X86_64 = 1 << 27  # SECTION_SIZE_BITS 27: 128 MiB sections on x86-64
KERNEL_ZONE_NAMES = ("DMA", "DMA32", "Normal")
ZONE_NAMES = KERNEL_ZONE_NAMES + ("Movable",)
STATES = ("online\n", "offline\n")
MASKS = ("possible", "online", "has_normal_memory", "has_memory", "has_cpu")


@dataclass(frozen=True)
class Rule:
    name: str
    invariant: str
    cause: str
    seed_section: str
    text: str


RULES: tuple[Rule, ...] = (
    Rule("block_size_bytes", "sysfs_names", "block_size_bytes", "1.3 (block_size_bytes), 4",
         "block_size_bytes is bare hex, a power of two and a whole number of sections"),
    Rule("files", "sysfs_dirs", "files", "4 (Under each section, you can see 4 or 5 files)",
         "each memoryXXX directory has the files the profile has"),
    Rule("phys_index", "sysfs_names", "phys_index", "4 ('phys_index' ... same as XXX)",
         "phys_index is %08lx of XXX, the number in the directory's name"),
    Rule("first_section", "sysfs_names", "names", "4 (XXX is the section id of the first section)",
         "XXX is a first section id: a multiple of the sections per block"),
    Rule("name", "sysfs_names", "names", "4 (/sys/devices/system/memory/memoryXXX; node/node*)",
         "an entry named like a block or node is memory%u or node%u as the kernel names them: "
         "decimal, no sign, no leading zero, a block id at most 4294967295, a node id below 1024"),
    Rule("end_phys_index", "sysfs_end_phys_index", "end_phys_index", "4 ('end_phys_index')",
         "end_phys_index is the last section id: phys_index + sections per block - 1"),
    Rule("state", "state_strings", "state", "4 ('state'), 5.1",
         "state reads online or offline"),
    Rule("online", "state_matches_memory", "online", "4 ('state'), 5.2, 6.2",
         "the generic online file reads 1 exactly when state reads online"),
    Rule("removable", "sysfs_removable", "removable", "4 ('removable')",
         "removable reads 0 or 1 (always 1 where the profile says so)"),
    Rule("valid_zones", "state_matches_memory", "valid_zones", "5.2, 6.1 (ZONE_MOVABLE)",
         "valid_zones of an online block is its one zone (none if it spans zones or nodes); "
         "of an offline block, the default zone then the other of a kernel zone and Movable"),
    Rule("link", "sysfs_links", "link", "4 (symbolic links ... and backlinks)",
         "memoryXXX/nodeN -> ../../node/nodeN has its link nodeN/memoryXXX"),
    Rule("backlink", "sysfs_links", "backlink", "4 (symbolic links ... and backlinks)",
         "nodeN/memoryXXX -> ../../memory/memoryXXX has its backlink memoryXXX/nodeN"),
    Rule("dangling", "sysfs_links", "dangling", "4 (symbolic links ... and backlinks)",
         "a link names and points to an existing block or node directory"),
    Rule("link_out", "sysfs_links", "link_out", "4 (symbolic links ... and backlinks)",
         "a symlink is relative, in the kernel's form (../ then names), and stays inside the "
         "sysfs root; it is never followed"),
    Rule("unlinked", "sysfs_links", "unlinked", "4 (If CONFIG_NUMA is enabled ... links)",
         "every memoryXXX directory is linked to the node(s) of its memory"),
    Rule("spans_nodes", "sysfs_links", "spans_nodes", "4 (symbolic links), facts.md B8",
         "a block linked to several nodes (reported; never offlinable: valid_zones none)"),
    Rule("node_dirs", "node_state", "N_ONLINE", "8 (N_HIGH_MEMORY of nodemask), 4",
         "a nodeN directory exists exactly for the nodes in online, and online is within possible"),
    Rule("has_cpu", "node_state", "N_CPU", "8 (nodemask)",
         "has_cpu is within online and lists the nodes with cpu links"),
    Rule("memory_mask", "node_state", "N_MEMORY", "8 (status_change_nid: N_HIGH_MEMORY set/clear)",
         "the memory mask (has_memory; 3.4: has_normal_memory, its N_HIGH_MEMORY) lists exactly "
         "the nodes linked to an online block"),
    Rule("normal_mask", "node_state", "N_NORMAL_MEMORY", "8 (nodemask), 6.1 (ZONE_MOVABLE)",
         "has_normal_memory lists exactly the nodes with online memory outside ZONE_MOVABLE"),
)
RULE = {r.name: r for r in RULES}
#: the rules that compare node masks with block states
MASK_RULES = frozenset({"memory_mask", "normal_mask"})


@dataclass(frozen=True)
class AuditProfile:
    """What a kernel's tree has: the files per block, the node masks, removable's meaning."""

    name: str
    end_phys_index: bool
    online_file: bool  # online and valid_zones
    has_memory: bool  # N_MEMORY has its own mask file (3.8+)
    removable_always_one: bool
    #: the memory mask's cause (the node-state bit the memory mask shows)
    memory_flag: str


AUDIT_PROFILES = {
    "v3.4": AuditProfile("v3.4", True, False, False, False, "N_HIGH_MEMORY"),
    "v6.1": AuditProfile("v6.1", False, True, True, True, "N_MEMORY"),
}


@dataclass(frozen=True)
class AuditFinding:
    rule: str
    files: tuple[str, ...]
    expected: str
    found: str
    severity: str = "violation"
    #: the node-state bit a mask shows, where it names the cause (N_HIGH_MEMORY on 3.4)
    flag: str = ""

    @property
    def invariant(self) -> str:
        return RULE[self.rule].invariant

    @property
    def cause(self) -> str:
        return self.flag or RULE[self.rule].cause

    @property
    def seed_section(self) -> str:
        return RULE[self.rule].seed_section

    def line(self) -> str:
        return (f"{self.invariant} [{self.rule}] {', '.join(self.files)}: expected {self.expected}; "
                f"found {self.found}")


class AuditInputError(MemhpError):
    """The view is not a memory-hotplug tree at all, or holds values no kernel prints."""


_CPU = re.compile(r"cpu[0-9]+")
_HEX8 = re.compile(r"[0-9a-f]{8,16}\n")
_NODELIST = re.compile(r"(?:[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*)?\n?")


@lru_cache(maxsize=256)
def parse_nodelist(text: str) -> frozenset[int] | None:
    """``0-2,4\\n`` -> {0, 1, 2, 4}; None for a text that is no node list. Absurd ids raise."""
    if not _NODELIST.fullmatch(text):
        return None
    out: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        lo_s, _, hi_s = part.partition("-")
        if len(lo_s) > 4 or len(hi_s) > 4:
            raise AuditInputError(f"node list {text.strip()[:40]!r}: node ids up to {MAX_NODES - 1} expected")
        lo, hi = int(lo_s), int(hi_s or lo_s)
        if hi >= MAX_NODES or lo > hi:
            raise AuditInputError(f"node list {text.strip()!r}: node ids up to {MAX_NODES - 1} expected")
        out.update(range(lo, hi + 1))
    return frozenset(out)


def detect_profile(view: View) -> tuple[str, str]:
    """The profile whose files the view has, and why; AuditInputError if no profile fits."""
    names = {p.rsplit("/", 1)[-1] for p in view if p.startswith("memory/memory")}
    if "online" in names or "valid_zones" in names or "node/has_memory" in view:
        return "v6.1", "the blocks have online and valid_zones files (3.12+), node/has_memory (3.8+)"
    if "end_phys_index" in names:
        return "v3.4", "the blocks have end_phys_index (3.2 to 3.15) and no online file"
    raise AuditInputError("cannot tell the kernel profile from the files present (no online, "
                          "valid_zones or end_phys_index file); pass --profile")


class _Tree:
    """The view sorted into blocks and nodes."""

    def __init__(self, view: View) -> None:
        self.blocks: dict[int, dict[str, str | Link]] = {}
        self.node_dirs: set[int] = set()
        self.node_links: dict[int, dict[str, str | Link]] = {}  # node -> name -> value
        self.cpu_nodes: set[int] = set()
        self.top: dict[str, str | Link] = {}
        self.bad_names: dict[str, tuple[str, str]] = {}  # path -> (prefix, why)
        for path, value in view.items():
            parts = path.rstrip("/").split("/")
            if len(parts) < 2 or parts[0] not in PREFIXES:
                continue
            own = id_of(parts[1], parts[0])
            if own is None:
                if not self._misnamed(parts[:2], parts[0]) and len(parts) == 2:
                    self.top[path] = value
                continue
            if parts[0] == "memory":
                entry = self.blocks.setdefault(own, {})
                if len(parts) == 3 and not self._misnamed(parts, "node"):
                    entry[parts[2]] = value
                continue
            self.node_dirs.add(own)
            if len(parts) == 3:
                if _CPU.fullmatch(parts[2]) and isinstance(value, tuple):
                    self.cpu_nodes.add(own)
                elif parts[2].startswith("memory") and not self._misnamed(parts, "memory"):
                    self.node_links.setdefault(own, {})[parts[2]] = value

    def _misnamed(self, parts: list[str], prefix: str) -> bool:
        """Whether the last of ``parts`` looks like a ``prefix%u`` name but is none; noted."""
        why = bad_name(parts[-1], prefix)
        if why is not None:
            self.bad_names.setdefault("/".join(parts), (prefix, why))
        return why is not None


def audit(view: View, profile: AuditProfile, section_size: int = SECTION_SIZE_X86_64) -> list[AuditFinding]:
    """Every finding of every rule on ``view``, in a stable order."""
    if not any(p.startswith("memory/") for p in view):
        raise AuditInputError("no devices/system/memory in the tree: not a memory-hotplug sysfs")
    t = _Tree(view)
    out: list[AuditFinding] = []
    _names(t, out)
    _links_out(view, out)
    spb = _block_size(t, section_size, out)
    _blocks(t, profile, spb, out)
    _links(t, out)
    _masks(t, profile, out)
    return out


def _names(t: _Tree, out: list[AuditFinding]) -> None:
    for path in sorted(t.bad_names):
        prefix, why = t.bad_names[path]
        want = ("memory%u, a block id 0 to 4294967295" if prefix == "memory"
                else f"node%u, a node id 0 to {MAX_NODES - 1}")
        out.append(AuditFinding("name", (shown(path),), f"{want} in decimal, no sign or leading zero",
                                f"{shown(path.rsplit('/', 1)[-1])} ({why}): no kernel makes this "
                                f"name; not read as a {'block' if prefix == 'memory' else 'node'}"))


def _links_out(view: View, out: list[AuditFinding]) -> None:
    bad = [(k, v[1], y) for k, v in view.items() if isinstance(v, tuple) and (y := link_out(k, v[1]))]
    for key, target, why in sorted(bad):
        out.append(AuditFinding("link_out", (shown(key),), "a relative link inside the sysfs root",
                                f"-> {shown(target)}: {why}; not followed"))


def _text(v: str | Link | None) -> str | None:
    return v if isinstance(v, str) else None


def _block_size(t: _Tree, section_size: int, out: list[AuditFinding]) -> int | None:
    f = "memory/block_size_bytes"
    raw = t.top.get(f)
    if raw is None:
        out.append(AuditFinding("block_size_bytes", (f,), "the file", "no such file"))
        return None
    text = _text(raw) or ""
    if not re.fullmatch(r"[0-9a-f]{1,16}\n", text):
        out.append(AuditFinding("block_size_bytes", (f,), "bare hex and a newline", repr(text)))
        return None
    size = int(text, 16)
    if size < section_size or size & (size - 1) or size % section_size:
        out.append(AuditFinding("block_size_bytes", (f,),
                                f"a power of two, a multiple of the {section_size:#x}-byte section",
                                f"{size:#x}"))
        return None
    return size // section_size


def _blocks(t: _Tree, p: AuditProfile, spb: int | None, out: list[AuditFinding]) -> None:
    want = ["phys_index", "state", "phys_device", "removable"]
    if p.end_phys_index:
        want.append("end_phys_index")
    if p.online_file:
        want += ["online", "valid_zones"]
    misnamed: list[int] = []
    for bid in sorted(t.blocks):
        files = t.blocks[bid]
        d = f"memory/memory{bid}"
        missing = [f for f in want if _text(files.get(f)) is None]
        if missing:
            out.append(AuditFinding("files", tuple(f"{d}/{f}" for f in missing),
                                    f"the {p.name} files", "missing or not a file"))
        phys = _text(files.get("phys_index"))
        if phys is not None and (not _HEX8.fullmatch(phys) or int(phys, 16) != bid):
            out.append(AuditFinding("phys_index", (f"{d}/phys_index",), f"{bid:08x}", repr(phys)))
        if spb is not None and spb > 1 and bid % spb:
            misnamed.append(bid)
        end = _text(files.get("end_phys_index"))
        if p.end_phys_index and end is not None and spb is not None:
            last = bid + spb - 1
            if not _HEX8.fullmatch(end) or int(end, 16) != last:
                out.append(AuditFinding("end_phys_index", (f"{d}/end_phys_index",), f"{last:08x}",
                                        repr(end)))
        state = _text(files.get("state"))
        if state is not None and state not in STATES:
            if state == "going-offline\n":
                out.append(AuditFinding("state", (f"{d}/state",), "online or offline at rest",
                                        "going-offline (an offline in progress)", "note"))
            else:
                out.append(AuditFinding("state", (f"{d}/state",), "online or offline", repr(state)))
        online = _text(files.get("online"))
        if p.online_file and online is not None and state in STATES + ("going-offline\n",):
            ok = ("1\n",) if state != "offline\n" else ("0\n",)
            if online not in ok:
                out.append(AuditFinding("online", (f"{d}/online", f"{d}/state"),
                                        f"{ok[0]!r} for state {state.strip()}", repr(online)))
        rem = _text(files.get("removable"))
        if rem is not None:
            allowed = ("1\n",) if p.removable_always_one else ("0\n", "1\n")
            if rem not in allowed:
                out.append(AuditFinding("removable", (f"{d}/removable",), " or ".join(map(repr, allowed)),
                                        repr(rem)))
        zones = _text(files.get("valid_zones"))
        if p.online_file and zones is not None and state in STATES:
            _valid_zones(d, state, zones, _backlinks(files), out)
    if misnamed:  # one finding for the machine: every block of a kernel that names by block id
        first = misnamed[0]
        more = f" and {len(misnamed) - 1} more" if len(misnamed) > 1 else ""
        out.append(AuditFinding("first_section", tuple(f"memory/memory{b}" for b in misnamed[:4]),
                                f"first section ids (multiples of {spb} sections per block)",
                                f"memory{first}{more} (read as a block id, memory{first}'s first "
                                f"section is {first * spb})"))


def _backlinks(files: dict[str, str | Link]) -> list[int]:
    return sorted(n for k, v in files.items() if isinstance(v, tuple) and (n := node_id(k)) is not None)


def _valid_zones(d: str, state: str, zones: str, nodes: list[int], out: list[AuditFinding]) -> None:
    names = zones.split()
    files = (f"{d}/valid_zones", f"{d}/state")
    if not zones.endswith("\n") or any(z not in ZONE_NAMES + ("none",) for z in names):
        out.append(AuditFinding("valid_zones", files, f"zone names among {', '.join(ZONE_NAMES)} or none",
                                repr(zones)))
    elif state == "online\n":
        if len(names) != 1:
            out.append(AuditFinding("valid_zones", files, "one zone (or none) for an online block",
                                    repr(zones)))
        elif len(nodes) > 1 and names != ["none"]:
            out.append(AuditFinding("valid_zones", files + (f"{d}/node{nodes[0]}",),
                                    f"none for a block on nodes {nodes}", repr(zones)))
    elif (len(names) != 2 or "Movable" not in names
          or not any(z in KERNEL_ZONE_NAMES for z in names)):
        out.append(AuditFinding("valid_zones", files,
                                "the default zone, then the other of a kernel zone and Movable, "
                                "for an offline block", repr(zones)))


def _links(t: _Tree, out: list[AuditFinding]) -> None:
    for bid in sorted(t.blocks):
        files = t.blocks[bid]
        d = f"memory/memory{bid}"
        nodes = []
        for name in sorted(files):
            v = files[name]
            n = node_id(name)
            if not isinstance(v, tuple) or n is None:
                continue
            path = f"{d}/{name}"
            if v[1] != f"../../node/{name}" or n not in t.node_dirs:
                out.append(AuditFinding("dangling", (path,), f"-> ../../node/{name}, an existing node",
                                        f"-> {shown(v[1])}"
                                        + ("" if n in t.node_dirs else f" ({name} does not exist)")))
                continue
            nodes.append(n)
            if t.node_links.get(n, {}).get(f"memory{bid}") is None:
                out.append(AuditFinding("link", (path, f"node/{name}/memory{bid}"),
                                        f"node/{name}/memory{bid}", "no such link"))
        linked = [n for n, ls in t.node_links.items() if f"memory{bid}" in ls]
        if not nodes and not linked:
            out.append(AuditFinding("unlinked", (d,), "a link to its node and a backlink",
                                    "neither"))
        if len(nodes) > 1:
            out.append(AuditFinding("spans_nodes", tuple(f"{d}/node{n}" for n in nodes),
                                    "one node per block", f"nodes {nodes}", "note"))
    for n in sorted(t.node_links):
        for name, v in sorted(t.node_links[n].items()):
            path = f"node/node{n}/{name}"
            bid = block_id(name)
            if not isinstance(v, tuple) or bid is None:
                continue  # memory_side_cache and such are no block links
            if v[1] != f"../../memory/{name}" or bid not in t.blocks:
                out.append(AuditFinding("dangling", (path,), f"-> ../../memory/{name}, an existing block",
                                        f"-> {shown(v[1])}"
                                        + ("" if bid in t.blocks else f" ({name} does not exist)")))
            elif not isinstance(t.blocks[bid].get(f"node{n}"), tuple):
                out.append(AuditFinding("backlink", (path, f"memory/{name}/node{n}"),
                                        f"memory/{name}/node{n}", "no such link"))


def _mask(t: _Tree, name: str, out: list[AuditFinding],
          memory_file: str = "has_memory") -> frozenset[int] | None:
    f = f"node/{name}"
    v = _text(t.top.get(f))
    if v is None:
        rule = {"possible": "node_dirs", "online": "node_dirs", "has_cpu": "has_cpu",
                "has_normal_memory": "normal_mask" if memory_file != name else "memory_mask"}
        out.append(AuditFinding(rule.get(name, "memory_mask"), (f,), "the node mask file",
                                "no such file"))
        return None
    s = parse_nodelist(v)
    if s is None:
        out.append(AuditFinding("node_dirs", (f,), "a node list such as 0-2,4", repr(v)))
    return s


def _masks(t: _Tree, p: AuditProfile, out: list[AuditFinding]) -> None:
    if not any(k.startswith("node/") for k in t.top) and not t.node_dirs:
        return  # no NUMA tree (CONFIG_NUMA off): nothing to judge
    possible, online = _mask(t, "possible", out), _mask(t, "online", out)
    if online is not None:
        if online != t.node_dirs:
            out.append(AuditFinding("node_dirs", ("node/online",),
                                    f"the node directories {_fmt(t.node_dirs)}", _fmt(online)))
        if possible is not None and not online <= possible:
            out.append(AuditFinding("node_dirs", ("node/online", "node/possible"),
                                    f"online within possible {_fmt(possible)}", _fmt(online)))
    cpu = _mask(t, "has_cpu", out)
    if cpu is not None and online is not None and not cpu <= online:
        out.append(AuditFinding("has_cpu", ("node/has_cpu",), f"within online {_fmt(online)}", _fmt(cpu)))
    if cpu is not None and t.cpu_nodes and cpu != t.cpu_nodes:
        out.append(AuditFinding("has_cpu", ("node/has_cpu",),
                                f"the nodes with cpu links {_fmt(t.cpu_nodes)}", _fmt(cpu)))
    # what the blocks say: nodes with online memory, and with online memory in a kernel zone
    mem: set[int] = set()
    normal_sure: set[int] = set()
    normal_maybe: set[int] = set()
    for bid, files in t.blocks.items():
        if _text(files.get("state")) not in ("online\n", "going-offline\n"):
            continue
        nodes = set(_backlinks(files)) | {n for n, ls in t.node_links.items() if f"memory{bid}" in ls}
        mem |= nodes
        zones = (_text(files.get("valid_zones")) or "").split()
        if zones and zones[0] == "Movable":
            continue
        (normal_sure if len(nodes) == 1 or zones[:1] != ["none"] else normal_maybe).update(nodes)
    mem_file = "has_memory" if p.has_memory else "has_normal_memory"
    got = _mask(t, mem_file, out, mem_file)
    if got is not None and got != mem:
        out.append(AuditFinding("memory_mask", (f"node/{mem_file}",),
                                f"{_fmt(mem)}, the nodes linked to an online block", _fmt(got),
                                flag=p.memory_flag))
    if p.has_memory:
        normal = _mask(t, "has_normal_memory", out)
        if normal is not None and not normal_sure <= normal <= normal_sure | normal_maybe:
            out.append(AuditFinding("normal_mask", ("node/has_normal_memory",),
                                    f"{_fmt(normal_sure)}, the nodes with online memory outside "
                                    "ZONE_MOVABLE", _fmt(normal)))


def _fmt(s: set[int] | frozenset[int]) -> str:
    return "{" + ",".join(map(str, sorted(s))) + "}"


__all__ = ["RULES", "RULE", "MASK_RULES", "Rule", "AuditFinding", "AuditProfile", "AUDIT_PROFILES", "audit",
           "detect_profile", "parse_nodelist", "AuditInputError", "View", "Link", "block_id", "node_id",
           "bad_name", "link_out", "shown"]
