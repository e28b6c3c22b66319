"""Spec-level mutants for the ghost-field invariants (checker/smt/ghosts.py): one transition
changed in both renderings (spec.model.Spec and checker.smt.symspec.SymSpec), with the invariant
BMC must find violated (GHOST_MANIFEST).

They run on tests/checker/smt/worlds/chain.toml (two callbacks that may refuse, so a chain can
be stopped before its last callee), where the unmutated spec keeps all three invariants under
both profiles; tests/checker/smt/test_ghosts.py measures the explorer's shortest trace for each
mutant, checks BMC's against it, and runs the agreement test on each mutant too.
"""

from __future__ import annotations

from typing import Any

from checker.smt.encoding import REQS
from checker.smt.paths import Infeasible
from checker.smt.symspec import SymSpec
from spec.actions import MEM_OFFLINE, MEM_ONLINE, NOTIFY_DONE, NotifierCall
from spec.model import Spec
from spec.state import PAGES_ONLINE


class StopIgnoredSpec(Spec):
    """The notifier chain ignores NOTIFY_STOP_MASK: every callee is called (3.4's
    __blocking_notifier_call_chain without its ``if (ret & NOTIFY_STOP_MASK) break``)."""

    def _chain_call(self, tx: Any) -> None:
        op = tx.op
        chain = self._chain_of(op.event)
        cb = chain[op.cb]
        ret = self._callback(tx, cb.kind, cb.answers, op.event, op.arg)
        start, nr, nid, nid_normal = op.arg
        if not self.profile.memory_notify_nids:
            nid, nid_normal = -1, None
        tx.calls.append(NotifierCall(op.event, cb.name, start, nr, nid,
                                     nid_normal if self.profile.nid_normal else None, ret,
                                     tx.blk(op.block).pages == PAGES_ONLINE))
        tx.point = "call"
        if op.cb + 1 == len(chain):
            tx.upd(pc=op.next, chain_ret=ret, cb=0)
        else:
            tx.upd(cb=op.cb + 1, chain_ret=ret)


class StopIgnoredSym(SymSpec):
    def _chain_call(self, x: Any) -> None:
        from checker.smt.encoding import EVENTS
        from checker.smt.symspec import ONL, _call

        cbi = self.conc_op(x, "cb")
        if cbi >= len(self.chain):
            raise Infeasible
        event = EVENTS[self.conc_op(x, "event")]
        if not event:
            raise Infeasible
        cb = self.chain[cbi]
        ret = self._callback(x, cb.kind, cb.answers, event)
        assert x.block is not None
        x.calls.append(_call(event, cb.name, self.b(x, x.block, "pages") == ONL, cbi,
                             self.op(x, "a2"), self.op(x, "a3"), ret))
        if cbi + 1 == len(self.chain):
            self.upd(x, pc=self.op(x, "next"), chain_ret=ret, cb=0)
        else:
            self.upd(x, cb=cbi + 1, chain_ret=ret)


class CancelOnlineSkippedSpec(Spec):
    """online_pages() returns the GOING_ONLINE refusal without sending MEM_CANCEL_ONLINE."""

    def _start_chain(self, tx: Any, event: str, cont: str) -> None:
        if event == "MEM_CANCEL_ONLINE":
            tx.upd(chain_ret=NOTIFY_DONE)
            getattr(self, "_h_" + cont)(tx)
            return
        super()._start_chain(tx, event, cont)


class CancelOnlineSkippedSym(SymSpec):
    def _start_chain(self, x: Any, event: str, cont: str) -> None:
        if event == "MEM_CANCEL_ONLINE":
            self.upd(x, chain_ret=NOTIFY_DONE)
            getattr(self, "_h_" + cont)(x)
            return
        super()._start_chain(x, event, cont)


class FailedWriteCommitsSpec(Spec):
    """3.4 memory_block_change_state() sets mem->state to the requested state even when the
    change failed (``mem->state = to_state`` without its ``if (!ret)``)."""

    def _h_ws_finish(self, tx: Any) -> None:
        op = tx.op
        if op.ret:
            tx.setb(op.block, state=MEM_ONLINE if op.req == "online" else MEM_OFFLINE)
            tx.unlock(f"state_mutex:memory{self.world.blocks[op.block].id}", "ret")
            return
        super()._h_ws_finish(tx)


class FailedWriteCommitsSym(SymSpec):
    def _h_ws_finish(self, x: Any) -> None:
        assert x.block is not None
        req = REQS[self.conc_op(x, "req")]
        if x.br(self.op(x, "ret") != 0):
            self.setb(x, x.block, state=MEM_ONLINE if req == "online" else MEM_OFFLINE)
            self.unlock(x, f"state_mutex:memory{self.world.blocks[x.block].id}", "ret")
            return
        super()._h_ws_finish(x)


GHOST_MANIFEST: dict[str, tuple[type[Spec], type[SymSpec], str, str, str]] = {
    "stop_ignored": (StopIgnoredSpec, StopIgnoredSym, "chain", "v6.1", "chain_order"),
    "cancel_online_skipped": (CancelOnlineSkippedSpec, CancelOnlineSkippedSym, "chain", "v6.1",
                              "notifier_protocol"),
    "failed_write_commits": (FailedWriteCommitsSpec, FailedWriteCommitsSym, "chain", "v3.4",
                             "rejected_write"),
}
