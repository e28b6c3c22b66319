"""The built-in worlds (design.md section 7), shipped as TOML files beside this module."""

from __future__ import annotations

from importlib import resources

from spec.config import World, load_world, world_from_dict
from spec.errors import WorldError

BUILTIN = ("default", "race", "qemu-2node", "qemu-3node")


def builtin_world(name: str) -> World:
    if name not in BUILTIN:
        raise WorldError(f"no built-in world {name!r} (built-in: {', '.join(BUILTIN)})")
    path = resources.files(__package__) / f"{name}.toml"
    with resources.as_file(path) as p:
        return load_world(p)


def resolve_world(spec: str) -> World:
    """A built-in name or a path to a TOML world file."""
    if spec in BUILTIN:
        return builtin_world(spec)
    return load_world(spec)


__all__ = ["BUILTIN", "builtin_world", "resolve_world", "world_from_dict"]
