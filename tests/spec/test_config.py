"""The World (spec.config): validation names the key, the default world's derived numbers, and
the built-in worlds (design.md section 7)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from spec.config import World, load_world, world_from_dict
from spec.errors import MemhpError, WorldError
from spec.worlds import BUILTIN, builtin_world, resolve_world

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "spec" / "worlds"


def default_dict() -> dict:
    return tomllib.loads((WORLDS / "default.toml").read_text())


# --- the built-in worlds -------------------------------------------------------------------------

def test_builtin_list_matches_the_files():
    assert set(BUILTIN) == {p.stem for p in WORLDS.glob("*.toml")}


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_world_loads(name):
    w = builtin_world(name)
    assert isinstance(w, World)
    assert w.name == name
    assert w.description
    assert resolve_world(name) == w
    assert resolve_world(str(WORLDS / f"{name}.toml")) == w


@pytest.mark.parametrize("name", BUILTIN)
def test_world_round_trips_through_json(name):
    w = builtin_world(name)
    assert world_from_dict(w.to_json()) == w


def test_profiles_of_the_builtin_worlds():
    assert builtin_world("default").profile == "v3.4"
    assert builtin_world("race").profile == "v3.4"
    assert builtin_world("qemu-2node").profile == "v6.1"
    assert builtin_world("qemu-3node").profile == "v6.1"


def test_race_is_default_with_two_writers():
    default, race = builtin_world("default"), builtin_world("race")
    assert race.writers == 2
    assert dataclasses.replace(race, name="default", writers=1, description=default.description) == default


def test_qemu_worlds():
    two, three = builtin_world("qemu-2node"), builtin_world("qemu-3node")
    for w in (two, three):
        assert w.sections_per_block == 1 and w.section_size_mib == 128
        assert w.movable_node
        assert [c.kind for c in w.callbacks] == ["injector"]
    assert len(two.nodes) == 2 and len(three.nodes) == 3
    # node 2 of the 3-node machine is memoryless at boot
    assert all(b.boot == "absent" for b in three.blocks if b.node == 2)


def test_unknown_builtin_name():
    with pytest.raises(WorldError, match="no built-in world 'nope'"):
        builtin_world("nope")


# --- the default world's numbers -----------------------------------------------------------------

@pytest.fixture(scope="module")
def default() -> World:
    return builtin_world("default")


def test_default_sizes(default):
    assert default.section_size_mib == 128
    assert default.sections_per_block == 2
    assert default.pages_per_section == 32768            # 128 MiB / 4 KiB
    assert default.pages_per_block == 65536
    assert default.block_size_bytes == 256 << 20


def test_default_blocks(default):
    assert [b.id for b in default.blocks] == [0, 1, 16, 17]
    b0, b1, b16, b17 = default.blocks
    assert b0.zones == ("DMA", "DMA32") and b0.unmovable and b0.boot == "online" and b0.node == 0
    assert b1.zones == ("DMA32",) and b1.boot == "online" and b1.node == 0
    assert b1.hole_pages == 8192                          # 32 MiB hole
    assert default.ram_pages(0) == 65536
    assert default.ram_pages(1) == 57344                  # 2 * 32768 - 8192
    for b in (b16, b17):
        assert b.boot == "absent" and b.hotplug and b.node == 1
    # memory16 and memory17 lie at 4 GiB, sections 32-35
    assert default.start_pfn(16) * 4096 == 4 << 30
    assert (default.first_section(16), default.last_section(17)) == (32, 35)


def test_default_nodes(default):
    assert [(n.id, n.cpus) for n in default.nodes] == [(0, True), (1, True)]
    assert not [b for b in default.blocks if b.node == 1 and b.boot != "absent"]


def test_default_chain_order(default):
    # slub has priority 1; tier and inject priority 0, in registration order (tier first)
    assert [c.name for c in default.chain()] == ["slub", "tier", "inject"]
    by = {c.name: c for c in default.callbacks}
    assert by["slub"].kind == "slub" and by["slub"].priority == 1
    assert by["tier"].answers == ("NOTIFY_OK", "NOTIFY_BAD", "NOTIFY_STOP")
    assert by["inject"].answers == ("0", "-ENOMEM", "-EBUSY")
    assert [c.name for c in default.callbacks].index("tier") < [c.name for c in default.callbacks].index("inject")


def test_default_writers_and_texts(default):
    assert default.writers == 1 and default.writer_threads() == ("w0",)
    assert default.texts == (b"online", b"offline", b"online_kernel", b"online_movable", b"o", b"bogus", b"")
    assert default.online_texts == (b"0", b"1", b"2")
    assert "ok" in default.migration and "-EBUSY" in default.migration and "-EINTR" in default.migration


def test_chain_inserts_before_the_first_lower_priority():
    d = default_dict()
    d["callbacks"] = [{"name": "a", "priority": 0}, {"name": "b", "priority": 5},
                      {"name": "c", "priority": 0}, {"name": "d", "priority": 5}]
    assert [c.name for c in world_from_dict(d).chain()] == ["b", "d", "a", "c"]


# --- TOML aliases ----------------------------------------------------------------------------

def test_node_and_nodes_are_the_same():
    d = default_dict()
    d["blocks"][0]["nodes"] = [d["blocks"][0].pop("node")]
    assert world_from_dict(d) == world_from_dict(default_dict())


def test_holes_mib_is_hole_pages():
    d = default_dict()
    d["blocks"][1]["hole_pages"] = d["blocks"][1].pop("holes_mib") * 256
    assert world_from_dict(d) == world_from_dict(default_dict())


# --- validation names the key ----------------------------------------------------------------

def _set(path: str, value):
    def change(d):
        keys = path.split(".")
        target = d
        for k in keys[:-1]:
            target = target[int(k)] if k.isdigit() else target[k]
        last = keys[-1]
        if value is KeyError:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return change


BAD = [
    ("writers", _set("writers", "one"), "writers"),
    ("writers range", _set("writers", 9), "writers"),
    ("writers bool", _set("writers", True), "writers"),
    ("section size", _set("section_size_mib", 96), "section_size_mib"),
    ("sections per block", _set("sections_per_block", 0), "sections_per_block"),
    ("unknown key", _set("frobnicate", 1), "frobnicate"),
    ("no blocks", _set("blocks", KeyError), "blocks"),
    ("empty blocks", _set("blocks", []), "blocks"),
    ("nodes gap", _set("nodes.1.id", 2), "nodes"),
    ("node id type", _set("nodes.0.id", "0"), "nodes[0].id"),
    ("cpus type", _set("nodes.0.cpus", "yes"), "nodes[0].cpus"),
    ("block id twice", _set("blocks.1.id", 0), "blocks[1].id"),
    ("block node unknown", _set("blocks.1.node", 7), "blocks[1].nodes"),
    ("block node type", _set("blocks.1.node", "0"), "blocks[1].node"),
    ("block without node", _set("blocks.1.node", KeyError), "blocks[1].node"),
    ("boot", _set("blocks.0.boot", "up"), "blocks[0].boot"),
    ("zones", _set("blocks.0.zones", ["HighMem"]), "blocks[0].zones"),
    ("zones missing", _set("blocks.0.zones", KeyError), "blocks[0].zones"),
    ("absent not hotplug", _set("blocks.2.hotplug", False), "blocks[2].hotplug"),
    ("hole too big", _set("blocks.1.holes_mib", 256), "blocks[1].hole_pages"),
    ("hole type", _set("blocks.1.holes_mib", "32"), "blocks[1].holes_mib"),
    ("missing sections range", _set("blocks.1.missing_sections", [5]), "blocks[1].missing_sections"),
    ("missing sections type", _set("blocks.1.missing_sections", ["a"]), "blocks[1].missing_sections"),
    ("unmovable type", _set("blocks.0.unmovable", 1), "blocks[0].unmovable"),
    ("callback kind", _set("callbacks.0.kind", "magic"), "callbacks[0].kind"),
    ("callback name twice", _set("callbacks.1.name", "tier"), "callbacks[1].name"),
    ("callback without name", _set("callbacks.1.name", KeyError), "callbacks[1].name"),
    ("choice without answers", _set("callbacks.0.answers", []), "callbacks[0].answers"),
    ("bad answer", _set("callbacks.2.answers", ["-ENOTANERRNO"]), "callbacks[2].answers"),
    ("malformed answer", _set("callbacks.2.answers", ["--5"]), "callbacks[2].answers"),
    ("priority type", _set("callbacks.0.priority", "high"), "callbacks[0].priority"),
    ("migration without ok", _set("migration", ["-EBUSY"]), "migration"),
    ("migration outcome", _set("migration", ["ok", "-ENOMEM"]), "migration"),
    ("migration type", _set("migration", "ok"), "migration"),
    ("texts type", _set("texts", "online"), "texts"),
    ("texts items", _set("texts", ["online", 1]), "texts"),
    ("online texts", _set("online_texts", [0]), "online_texts"),
    ("inject event", _set("inject_errors", {"MEM_ONLINE": -12}), "inject_errors"),
    ("inject errno", _set("inject_errors", {"MEM_GOING_ONLINE": "lots"}), "inject_errors.MEM_GOING_ONLINE"),
    ("inject malformed", _set("inject_errors", {"MEM_GOING_ONLINE": "--5"}), "inject_errors.MEM_GOING_ONLINE"),
    ("inject type", _set("inject_errors", [1]), "inject_errors"),
    ("reads type", _set("reads", "no"), "reads"),
    ("name type", _set("name", 5), "name"),
    # bounded to what the kernel can represent and the spec can render
    ("section size too big", _set("section_size_mib", 1 << 17), "section_size_mib"),
    ("block id beyond memory%u", _set("blocks.1.id", 1 << 32), "blocks[1].id"),
    ("block id huge", _set("blocks.1.id", 10 ** 30), "blocks[1].id"),
    ("priority beyond int", _set("callbacks.0.priority", 1 << 31), "callbacks[0].priority"),
    ("priority below int", _set("callbacks.0.priority", -(1 << 31) - 1), "callbacks[0].priority"),
    ("answer beyond MAX_ERRNO", _set("callbacks.2.answers", ["-4096"]), "callbacks[2].answers"),
    ("answer positive", _set("callbacks.2.answers", ["5"]), "callbacks[2].answers"),
    ("answer huge", _set("callbacks.2.answers", ["-" + "9" * 5000]), "callbacks[2].answers"),
    ("answer padded name", _set("callbacks.2.answers", [" NOTIFY_OK"]), "callbacks[2].answers"),
    ("text beyond a page", _set("texts", ["online", "x" * 4097]), "texts"),
    ("too many nodes", _set("nodes", [{"id": i} for i in range(1025)]), "nodes"),
]


@pytest.mark.parametrize("change, key", [(c, k) for _, c, k in BAD], ids=[n for n, _, _ in BAD])
def test_validation_error_names_the_key(change, key):
    d = default_dict()
    change(d)
    with pytest.raises(WorldError) as e:
        world_from_dict(d, "my.toml")
    msg = str(e.value)
    assert msg.startswith("my.toml: "), msg
    assert f"key '{key}" in msg, msg
    assert "\n" not in msg


def test_bounds_are_inclusive():
    """The largest values the kernel can represent are accepted."""
    d = default_dict()
    d["section_size_mib"] = 1 << 16
    top = (1 << 32) - d.get("sections_per_block", 1)  # its last section still a u32
    d["blocks"][1]["id"] = top
    d["callbacks"][0]["priority"] = (1 << 31) - 1
    d["callbacks"][2]["answers"] = ["-4095", "NOTIFY_BAD", "0"]
    d["texts"] = ["online", "x" * 4096]
    w = world_from_dict(d)
    assert w.block(top).id == top


def test_not_a_table():
    with pytest.raises(WorldError, match="expected a table"):
        world_from_dict([1, 2], "x")


def test_valid_alternatives_are_accepted():
    d = default_dict()
    d["inject_errors"] = {"MEM_GOING_ONLINE": "-EBUSY", "MEM_GOING_OFFLINE": -12}
    d["blocks"][1]["missing_sections"] = [1]
    d["blocks"][1]["holes_mib"] = 0
    w = world_from_dict(d)
    assert dict(w.inject_errors) == {"MEM_GOING_ONLINE": -16, "MEM_GOING_OFFLINE": -12}
    assert w.ram_pages(1) == 32768


def test_world_is_frozen_and_validated_on_construction(default):
    with pytest.raises(dataclasses.FrozenInstanceError):
        default.writers = 2  # type: ignore[misc]
    with pytest.raises(WorldError, match="key 'writers'"):
        dataclasses.replace(default, writers=7)


# --- files -----------------------------------------------------------------------------------

def test_load_world_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(WorldError, match=f"^{bad}: not a valid TOML world file"):
        load_world(bad)
    with pytest.raises(WorldError, match="cannot read the world file"):
        load_world(tmp_path / "missing.toml")
    typed = tmp_path / "typed.toml"
    typed.write_text((WORLDS / "default.toml").read_text().replace("writers = 1", "writers = 1.5"))
    with pytest.raises(WorldError, match=f"^{typed}: key 'writers': expected int"):
        load_world(typed)


def test_world_errors_are_memhp_errors():
    assert issubclass(WorldError, MemhpError)
