"""The seed's promises about the sysfs view (section 4), judged on a model's rendered view.

Models: the directory per present block, its name and ``phys_index`` (the first section id),
``end_phys_index`` (the last section id, where the profile has the file), ``removable``
(1 exactly when every section is removable), the state text, and node links and backlinks.
The view comes from the model (the spec's ``spec.sysfs.render`` or the mirror's own show
functions); the expectations come from the world and the abstract machine.
"""

from __future__ import annotations

from spec.config import World
from spec.profiles import Profile
from spec.state import PAGES_ONLINE, Machine
from spec.sysfs import View
from spec.violation import Violation


def _dirs(view: View) -> dict[str, str]:
    """memory directory name -> its state text."""
    out = {}
    for path, value in view.items():
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "memory" and parts[2] == "state" and isinstance(value, str):
            out[parts[1]] = value
    return out


def _hex(view: View, path: str) -> int | None:
    v = view.get(path)
    try:
        return int(v, 16) if isinstance(v, str) else None
    except ValueError:
        return None


def check_sysfs(w: World, p: Profile, m: Machine, view: View,
                v: list["Violation"], twins: set[str]) -> None:

    dirs = _dirs(view)
    present = [(s, b) for s, b in zip(w.blocks, m.blocks) if b.present]
    for name, text in dirs.items():
        if text not in ("online\n", "offline\n"):
            v.append(Violation("state_strings", "state", f"{name}/state reads {text!r}"))
    if len(dirs) != len(present):
        v.append(Violation("sysfs_dirs", "dirs",
                           f"{len(dirs)} memory directories for {len(present)} present blocks"))
    elif any(s.boot == "absent" for s, _ in present):
        twins.add("sysfs_dirs")
    # a directory left behind for absent memory is sysfs_dirs' business; here only its name
    expected = {f"memory{w.first_section(s.id)}" for s in w.blocks}
    wrong = sorted(set(dirs) - expected)
    if wrong:
        v.append(Violation("sysfs_names", "names",
                           f"{', '.join(wrong)} not named by a first section id "
                           f"(first section ids: {', '.join(sorted(expected))})"))
    if any(s.boot == "absent" for s, _ in present):
        twins.add("sysfs_names")
    for name in dirs:
        phys = _hex(view, f"memory/{name}/phys_index")
        if phys != int(name[6:]):
            v.append(Violation("sysfs_names", "phys_index",
                               f"{name}/phys_index reads {view.get(f'memory/{name}/phys_index')!r}"))
        if p.end_phys_index:
            twins.add("sysfs_end_phys_index")
            end = _hex(view, f"memory/{name}/end_phys_index")
            if phys is not None and end != phys + w.sections_per_block - 1:
                v.append(Violation("sysfs_end_phys_index", "end_phys_index",
                                   f"{name}: end_phys_index {end} for a block of sections "
                                   f"{phys}..{phys + w.sections_per_block - 1}"))
    on = {f"memory{s.id}" for s, b in present}
    for s, b in zip(w.blocks, m.blocks):
        name = f"memory{s.id}"
        if not b.present or name not in dirs:
            continue
        want = "0\n" if (s.unmovable and b.pages == PAGES_ONLINE) else "1\n"
        got = view.get(f"memory/{name}/removable")
        if got != want:
            v.append(Violation("sysfs_removable", "removable",
                               f"{name}/removable reads {got!r}; its sections say {want!r}"))
        elif want == "0\n":
            twins.add("sysfs_removable")
        nodes = [n for n in s.nodes if m.nodes[n].online]
        ok = True
        for n in nodes:
            link = view.get(f"node/node{n}/{name}")
            back = view.get(f"memory/{name}/node{n}")
            if link != ("link", f"../../memory/{name}") or back != ("link", f"../../node/node{n}"):
                ok = False
                v.append(Violation("sysfs_links", "links",
                                   f"{name} on node{n}: link {link!r}, backlink {back!r}"))
        if ok and nodes and s.boot == "absent":
            twins.add("sysfs_links")
    for path, value in view.items():
        if not isinstance(value, tuple):
            continue
        parts = path.split("/")
        if parts[0] == "node":
            if parts[2] not in dirs or parts[2] not in on:
                v.append(Violation("sysfs_links", "dangling",
                                   f"{path} points to {value[1]}, which is not a present block"))
            elif view.get(f"memory/{parts[2]}/{parts[1]}") is None:
                v.append(Violation("sysfs_links", "backlink", f"{path} has no backlink"))
        elif parts[0] == "memory" and parts[2].startswith("node"):
            if f"node/{parts[2]}/" not in view:
                v.append(Violation("sysfs_links", "dangling",
                                   f"{path} points to {value[1]}, which does not exist"))
            elif view.get(f"node/{parts[2]}/{parts[1]}") is None:
                v.append(Violation("sysfs_links", "link", f"{path} has no node link"))
    _audit_view(w, p, view, v)


def _audit_view(w: World, p: Profile, view: View, v: list["Violation"]) -> None:
    """One audit for both worlds: the structural audit a real machine's tree gets
    (:mod:`spec.audit`) judges the view of every quiescent state too.

    The node-mask rules compare the masks with the blocks' states, two facts the state
    invariants judge directly on the machine (node_state, state_matches_memory); when those
    already fail in this state, the mask finding is their consequence and is not reported
    twice. Every other finding is reported under its rule's invariant and cause."""
    from spec.audit import AUDIT_PROFILES, MASK_RULES, audit

    profile = AUDIT_PROFILES.get(p.name)
    if profile is None:
        return
    direct = {x.invariant for x in v}
    explained = bool(direct & {"node_state", "state_matches_memory"})
    for f in audit(view, profile, section_size=w.section_size_mib << 20):
        if f.severity != "violation" or (explained and f.rule in MASK_RULES):
            continue
        v.append(Violation(f.invariant, f.cause, f"audit [{f.rule}] {', '.join(f.files)}: "
                           f"expected {f.expected}; found {f.found}"))
