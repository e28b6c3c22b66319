"""memhp mutate's generator: deterministic, every operator, each mutant a patch of one function."""

from __future__ import annotations

import ast
import builtins
import dis
import functools
import re
from collections import Counter
from pathlib import Path

import pytest

from checker.model import load_impl
from checker.review.mutate.generate import Mutant, MutateError, mutants, original
from checker.review.mutate.operators import OPERATORS
from checker.review.mutate.run import patch_path
from checker.review.engine import overrides
from spec.kernel.driver import mirror_functions

ID = re.compile(r"^[a-z0-9_]+:[A-Za-z0-9_]+:\d+:\d+:[a-z]+:\d+$")


@functools.lru_cache(maxsize=None)
def every_mutant(profile: str) -> tuple[Mutant, ...]:
    return tuple(mutants(profile, shared=True))


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_generation_is_deterministic_and_ids_are_unique(profile: str) -> None:
    a = every_mutant(profile)
    again = mutants(profile, ["memory", "mm"])
    assert [(m.id, m.source) for m in again] == [(m.id, m.source) for m in a
                                                 if m.module in ("memory", "mm")]
    ids = [m.id for m in a]
    assert len(ids) == len(set(ids))
    assert all(ID.match(i) for i in ids)
    assert ids == [m.id for m in sorted(a, key=lambda m: (m.module, m.function, m.line, m.col,
                                                          m.operator, m.index))]


def test_every_operator_kind_is_produced() -> None:
    kinds = Counter(m.operator for m in mutants("v6.1", ["memory"]))
    assert set(kinds) == set(OPERATORS), kinds


def test_ids_name_where_the_mutated_node_is() -> None:
    src = Path("spec/kernel/v6_1/memory.py").read_text().splitlines()
    for m in mutants("v6.1", ["memory"]):
        if m.operator == "errno":
            old = m.description.split(" -> ")[0]
            assert src[m.line - 1][m.col:].startswith(old), m.id


def test_module_and_function_filters() -> None:
    got = mutants("v6.1", ["memory"], ["state_show"])
    assert got and {(m.module, m.function) for m in got} == {("memory", "state_show")}
    assert {m.module for m in mutants("v6.1", ["mm"])} == {"mm"}  # a shared module by name
    with pytest.raises(MutateError, match="--module nope: not a v6.1 mirror module"):
        mutants("v6.1", ["nope"])
    with pytest.raises(MutateError, match="--function nope"):
        mutants("v6.1", ["memory"], ["nope"])
    with pytest.raises(MutateError, match="renders v3.4, v6.1 only"):
        mutants("v5.6")


@pytest.mark.parametrize("profile", ["v3.4", "v6.1"])
def test_every_mutant_compiles_and_changes_its_function(profile: str) -> None:
    originals: dict[tuple[str, str], str] = {}
    for m in every_mutant(profile):
        key = (m.module, m.function)
        if key not in originals:
            originals[key] = ast.dump(ast.parse(original(profile, *key)).body[-1])
        compile(m.source, m.id, "exec")
        assert ast.dump(ast.parse(m.source).body[-1]) != originals[key], m.id


def test_docstrings_and_annotations_are_not_mutated() -> None:
    for m in mutants("v6.1", ["memory"]):
        tree = ast.parse(m.source)
        func = tree.body[-1]
        assert isinstance(func, ast.FunctionDef) and func.name == m.function
        assert ast.get_docstring(func) is not None, m.id  # kept, never deleted or swapped
        assert "delete `'''" not in m.description and 'delete `"""' not in m.description


def test_a_mutant_loads_as_a_patch_of_exactly_its_function(tmp_path: Path) -> None:
    funcs = mirror_functions("v6.1")
    chosen = mutants("v6.1", ["memory", "memory_hotplug"])[::7]
    for m in chosen:
        p = patch_path(tmp_path, m)
        p.write_text(m.source)
        impl = load_impl(str(p))
        assert overrides(impl, "v6.1") == [m.function], m.id
        assert getattr(impl, m.function) is not funcs[m.function]


def test_the_unmutated_function_is_the_mirrors(tmp_path: Path) -> None:
    """The patch module around a function reproduces it: same code, every name resolved."""
    base = mirror_functions("v6.1")["state_store"]
    p = tmp_path / "orig.py"
    p.write_text(original("v6.1", "memory", "state_store"))
    f = load_impl(str(p)).state_store
    assert f.__code__.co_code == base.__code__.co_code
    read = {i.argval for i in dis.get_instructions(f) if i.opname == "LOAD_GLOBAL"}
    assert read and all(n in f.__globals__ or hasattr(builtins, n) for n in read)
    assert "MMOP_ONLINE_KERNEL" in read  # a name from a tuple assignment of the module


def test_errno_mutants_import_the_errno_they_bring_in(tmp_path: Path) -> None:
    m = next(m for m in mutants("v6.1", ["memory"]) if m.operator == "errno")
    new = m.description.split(" -> ")[1]
    assert re.search(rf"^from spec\.\S+ import .*\b{new}\b", m.source, re.M), m.source
