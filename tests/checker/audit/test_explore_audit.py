"""The explorer audits every quiescent state it visits: a mirror whose tree breaks only a rule
of the audit is caught by explore, under the rule's invariant and cause."""

from __future__ import annotations

import types

from checker.engines.explore import explore
from checker.model import MirrorModel
from spec.worlds import builtin_world


def _impl(name: str, src: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    exec(src, mod.__dict__)
    return mod


def test_explore_catches_a_tree_only_the_audit_judges():
    impl = _impl("hex_block_size", "def print_block_size(k):\n"
                                   "    return '%#x\\n' % k.world.block_size_bytes\n")
    res = explore(MirrorModel(builtin_world("default"), impl), max_depth=1)
    assert ("sysfs_names", "block_size_bytes") in res.hits
    assert res.hits[("sysfs_names", "block_size_bytes")].depth == 0
    assert "audit [block_size_bytes]" in res.hits[("sysfs_names", "block_size_bytes")].violation.message
    clean = explore(MirrorModel(builtin_world("default")), max_depth=1)
    assert ("sysfs_names", "block_size_bytes") not in clean.hits


def test_explore_of_the_qemu_world_adds_no_audit_finding():
    """The audit finds nothing the state invariants do not already report (bounded run)."""
    from checker.model import SpecModel

    res = explore(SpecModel(builtin_world("qemu-3node")), max_depth=6)
    audited = {k for k, h in res.hits.items() if h.violation.message.startswith("audit [")}
    assert audited == set(), audited
