"""Spec-level mutants for the history invariants that need an operation's history
(notifier_protocol, chain_order, rejected_write): one method of the definition (spec/steps)
changed, written once for both interpretations, with the invariant BMC must find violated
(GHOST_MANIFEST).

They run on tests/checker/engines/smt/worlds/chain.toml (two callbacks that may refuse, so a chain can
be stopped before its last callee), where the unmutated spec keeps all three invariants under
both profiles; tests/checker/engines/smt/test_ghosts.py measures the explorer's shortest trace for each
mutant, checks BMC's against it, and runs the agreement test on each mutant too.
"""

from __future__ import annotations

from spec.actions import MEM_OFFLINE, MEM_ONLINE, NOTIFY_DONE
from spec.steps import Ctx, Steps


class StopIgnored(Steps):
    """The notifier chain ignores NOTIFY_STOP_MASK: every callee is called (3.4's
    __blocking_notifier_call_chain without its ``if (ret & NOTIFY_STOP_MASK) break``)."""

    @staticmethod
    def stops(ret: int) -> bool:
        return False


class CancelOnlineSkipped(Steps):
    """online_pages() returns the GOING_ONLINE refusal without sending MEM_CANCEL_ONLINE."""

    def start_chain(self, x: Ctx, event: str, cont: str) -> None:
        if event == "MEM_CANCEL_ONLINE":
            x.upd(chain_ret=NOTIFY_DONE)
            self.handler(cont)(x)
            return
        super().start_chain(x, event, cont)


class FailedWriteCommits(Steps):
    """3.4 memory_block_change_state() sets mem->state to the requested state even when the
    change failed (``mem->state = to_state`` without its ``if (!ret)``)."""

    def h_ws_finish(self, x: Ctx) -> None:
        i = x.block
        assert i is not None
        if x.br(x.op("ret") != 0):
            x.setb(i, state=MEM_ONLINE if x.op("req") == "online" else MEM_OFFLINE)
            x.unlock(self.state_mutex(i), "ret")
            return
        super().h_ws_finish(x)


#: mutant -> (its definition, world file under tests/checker/engines/smt/worlds, profile, invariant)
GHOST_MANIFEST: dict[str, tuple[type[Steps], str, str, str]] = {
    "stop_ignored": (StopIgnored, "chain", "v6.1", "chain_order"),
    "cancel_online_skipped": (CancelOnlineSkipped, "chain", "v6.1", "notifier_protocol"),
    "failed_write_commits": (FailedWriteCommits, "chain", "v3.4", "rejected_write"),
}
