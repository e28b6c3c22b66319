"""mem-on-off-test.sh on every profile that has it: the script's expectations (facts.md 6.2),
checked against what the model answers."""

from __future__ import annotations

import pytest

from spec.actions import ENOMEM
from tests.scenarios.mem_on_off_test import PROFILES, run


@pytest.fixture(scope="module", params=PROFILES)
def result(request):  # type: ignore[no-untyped-def]
    return run(request.param)


def test_prerequisite_finds_hotpluggable_blocks(result) -> None:  # type: ignore[no-untyped-def]
    # 6.2.1: at least one block's removable contains 1 (else the script skips, exit 4)
    assert not result.skipped
    assert {32, 33} <= set(result.hotpluggable)
    if result.profile in ("v6.1", "v6.17"):  # 5.7+: every block reads 1 (B10)
        assert result.hotpluggable == [0, 4, 32, 33]
    else:  # the heuristic: blocks with unmovable pages read 0
        assert result.hotpluggable == [32, 33]


def test_script_exits_zero(result) -> None:  # type: ignore[no-untyped-def]
    # 6.2.3-6.2.5: phases A, B and C leave retval 0; 6.2.6: exit $retval
    assert result.retval == 0, result.messages


def test_phase_a_and_c_online_every_offline_block(result) -> None:  # type: ignore[no-untyped-def]
    for phase in ("A", "C"):
        ws = [w for w in result.writes if w.phase == phase]
        assert ws, phase
        for w in ws:
            assert w.ret == len("online\n") and w.state == "online\n"


def test_phase_b_reaches_its_target(result) -> None:  # type: ignore[no-untyped-def]
    ok = [w for w in result.writes if w.phase == "B" and w.ret is not None and w.ret >= 0]
    assert len(ok) == 1  # ceil(4 * 2 / 100) or ceil(2 * 2 / 100) = 1
    assert ok[0].state == "offline\n"


def test_phase_d_meets_every_expectation(result) -> None:  # type: ignore[no-untyped-def]
    # 6.2.6: D2 and D4 expect failure and the state unchanged; D1 and D3 success
    assert not result.messages, result.messages
    for phase in ("D1", "D2", "D3", "D4"):
        assert any(w.phase == phase for w in result.writes), phase


def test_injected_failures_follow_6_2_8(result) -> None:  # type: ignore[no-untyped-def]
    """6.2.8: the write fails with exactly the injected errno, the state stays, CANCEL_* reaches
    the chain (SLUB at priority 1 saw GOING and then CANCEL; the injector is last), and no node
    state changes."""
    injected = [w for w in result.writes if w.phase in ("D2", "D4") and
                any(c.callback == "inject" for c in w.calls)]
    assert {w.phase for w in injected} == {"D2", "D4"}
    for w in injected:
        going = "MEM_GOING_ONLINE" if w.phase == "D2" else "MEM_GOING_OFFLINE"
        cancel = "MEM_CANCEL_ONLINE" if w.phase == "D2" else "MEM_CANCEL_OFFLINE"
        assert w.ret == -ENOMEM
        assert w.state == ("offline\n" if w.phase == "D2" else "online\n")
        mem = [(c.event, c.callback) for c in w.calls if c.event.startswith("MEM_")]
        if result.profile == "v6.17":  # SLUB listens on the node notifier there
            assert mem == [(going, "inject"), (cancel, "inject")]
        else:
            assert mem == [(going, "slub"), (going, "inject"), (cancel, "slub"), (cancel, "inject")]
        assert w.nodes_before == w.nodes_after


def test_d4_on_a_block_that_cannot_go_offline_still_fails(result) -> None:  # type: ignore[no-untyped-def]
    # where boot blocks count as hot-pluggable (5.7+), D4 also writes to them: they fail too
    # (multizone / unmovable pages), before any event, which the script accepts as failure
    others = [w for w in result.writes if w.phase == "D4" and w.block in (0, 4)]
    if result.profile in ("v6.1", "v6.17"):
        assert others and all(w.ret is not None and w.ret < 0 and w.state == "online\n"
                              and not w.calls for w in others)
    else:
        assert not others
