"""Teeth: for every parametric invariant a mutated transition that must not be proved, and for
x_after_going (violated by the kernel's NOTIFY_STOP handling) a variant that must be proved."""

from __future__ import annotations

import pytest

from checker.engines.smt.parametric import prove
from checker.engines.smt.parametric.transitions import MUTANTS

TARGET = {
    "online_no_node_state": "node_state",
    "no_cancel_offline": "going_closed",
    "cancel_first_only": "alloc_promise",
    "scn_always": "status_change_nid",
    "add_no_backlink": "sysfs_links",
    "eject_online": "remove_only_offline",
}


def test_every_invariant_has_a_mutant() -> None:
    from checker.engines.smt.parametric.invariants import properties

    names = {p.name for p in properties("v6.1")}
    assert set(TARGET.values()) | {"x_after_going"} == names
    assert set(TARGET) | {"no_notify_stop"} == set(MUTANTS)


@pytest.mark.parametrize("mutant", sorted(TARGET))
def test_mutant_is_not_proved(mutant: str) -> None:
    run = prove("v6.1", 300.0, mutant=mutant, only={TARGET[mutant]})
    o = run.outcomes[TARGET[mutant]]
    assert o.verdict in ("cti", "violated"), (mutant, o.message)


def test_without_notify_stop_x_after_going_is_proved() -> None:
    run = prove("v6.1", 300.0, mutant="no_notify_stop", only={"x_after_going"})
    o = run.outcomes["x_after_going"]
    assert o.verdict == "proved", o.message
