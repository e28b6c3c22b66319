"""World size and budgets (checker.engines.size): too large is refused before a model is
built, a run the state budget cannot finish is warned about, --blocks cuts a world."""

from __future__ import annotations

import dataclasses

import pytest

from checker.engines import size
from spec.config import BlockSpec, NodeSpec, World
from spec.worlds import builtin_world


def flat(n: int, callbacks: int = 0) -> World:
    from spec.config import CallbackSpec

    return World("flat", "v3.4", 128, 1, (NodeSpec(0),),
                 tuple(BlockSpec(i, (0,), ("Normal",)) for i in range(n)),
                 tuple(CallbackSpec(f"cb{i}", 0, "ok") for i in range(callbacks)))


def test_toggles_count_the_blocks_that_can_change_state() -> None:
    d = builtin_world("default")
    assert size.toggles(d) == sum(1 for b in d.blocks if b.boot == "absent" or not b.unmovable)
    assert size.toggles(flat(7)) == 7
    assert size.toggles(dataclasses.replace(flat(7), texts=(b"online",))) == 0  # nothing offlines


@pytest.mark.parametrize("n, cbs", [(size.MAX_BLOCKS + 1, 0), (1, size.MAX_CALLBACKS + 1)])
def test_a_world_too_large_is_refused_in_one_line(n: int, cbs: int) -> None:
    with pytest.raises(size.SizeError) as e:
        size.check(flat(n, cbs), "big.toml")
    msg = str(e.value)
    assert msg.startswith("big.toml: ") and "\n" not in msg and "--blocks" in msg


def test_the_largest_world_is_taken() -> None:
    size.check(flat(size.MAX_BLOCKS, size.MAX_CALLBACKS), "ok.toml")


def test_the_warning_says_how_far_the_budget_reaches() -> None:
    w = flat(40)
    text = size.warning(w, 120, 1_000_000, None)
    assert text is not None and "2^40" in text and "1,000,000" in text
    assert "every path of about 2 steps" in text  # 120^2 < 1e6 < 120^3
    assert size.warning(w, 120, 1_000_000, 5) is None  # bounded by --max-depth: no warning
    assert size.warning(builtin_world("default"), 10, size.DEFAULT_MAX_STATES, None) is None


@pytest.mark.parametrize("text, ids", [("3", {3}), ("0-3,16", {0, 1, 2, 3, 16}), (" 1 , 2-2", {1, 2})])
def test_block_lists(text: str, ids: set[int]) -> None:
    assert size.parse_blocks(text) == ids


@pytest.mark.parametrize("text", ["", "a", "3-1", "-1", "0-99999999", "1,,2", "1-2-3"])
def test_bad_block_lists(text: str) -> None:
    with pytest.raises(size.SizeError, match="^--blocks: "):
        size.parse_blocks(text)


def test_cut_keeps_the_named_blocks_and_refuses_others() -> None:
    d = builtin_world("default")
    assert [b.id for b in size.cut(d, frozenset({1, 16})).blocks] == [1, 16]
    with pytest.raises(size.SizeError, match="no block 5"):
        size.cut(d, frozenset({5}))


def test_default_memory_budget_is_positive() -> None:
    assert size.default_max_memory_mib() >= 256
