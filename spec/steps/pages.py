"""online_pages() and offline_pages() after the GOING_X chain: commit, fail, closing events.

Models: what every profile does once the GOING_ONLINE or GOING_OFFLINE chain has returned: on an
error, the CANCEL chain (and for offline the undo of the page isolation, before or after the
CANCEL chain as the profile orders them); else the commit (pages online or reserved, present
pages, node states: set ``if (onlined_pages)`` or per status_change_nid, cleared by the actual
count or per the nids) and the closing ONLINE / OFFLINE chain; for offline, the page migration's
outcome first (a choice: ``ok``, ``-EBUSY``, ``-EINTR`` on writer threads, ``-EAGAIN`` where the
profile has the 120 s timeout). The 6.17 node notifier's events around these chains are in
:mod:`spec.steps.node_notifier`; where the lock is released afterwards depends on the profile's
lock model (:mod:`spec.steps.memory34`, :mod:`spec.steps.device`).

Leaves out: zonelist rebuilds, kswapd/kcompactd, per-zone counters (derived from the blocks).
"""

from __future__ import annotations

from spec.actions import notifier_to_errno, parse_errno
from spec.state import PAGES_ISOLATED, PAGES_ONLINE, PAGES_RESERVED
from spec.steps.core import Core
from spec.steps.ctx import Ctx


class Pages(Core):
    """The commit and closing steps of online_pages / offline_pages (module docstring)."""

    def mem_flag(self) -> str:
        """The node-state bit that says "this node has memory" (N_HIGH_MEMORY before 3.8)."""
        return "N_HIGH_MEMORY" if "N_HIGH_MEMORY" in self.profile.node_flags else "N_MEMORY"

    def online_tail(self, ok: bool) -> str:
        """Where an online goes after its last chain: release the hotplug lock (3.4) or the
        device core's tail under device_hotplug_lock (6.1)."""
        if self.profile.locks == "state_mutex":
            return "on_unlock_hp"
        return "on61_ok_tail" if ok else "on61_fail_tail"

    # --- online_pages ---------------------------------------------------------------------------
    def h_on_after_going(self, x: Ctx) -> None:
        """online_pages() after MEM_GOING_ONLINE: CANCEL_ONLINE on an error, else the commit."""
        i = x.block
        assert i is not None
        p = self.profile
        err = notifier_to_errno(x.op("chain_ret"))
        if err:
            x.upd(ret=err)
            cont = self.online_tail(False)
            if p.node_chain and x.br(x.op("arg")[2] >= 0):
                cont = "on_node_cancel"  # 6.17: MEM_CANCEL_ONLINE, then the node's cancel
            self.start_chain(x, "MEM_CANCEL_ONLINE", cont)
            return
        spec = self.world.blocks[i]
        pages = self.world.ram_pages(spec.id)
        node = spec.node
        arg = x.op("arg")
        x.setb(i, pages=PAGES_ONLINE)
        if pages or not p.online_gated:
            # 3.4 node_set_state(N_HIGH_MEMORY) and 3.8-5.5 node_states_set_node() run only
            # if (onlined_pages) and set the memory bit unconditionally; 5.6+ trust the nids
            mem = self.mem_flag()
            x.set_flag(node, mem, x.Or(x.flag(node, mem), True if p.online_gated else arg[2] >= 0))
            if "N_NORMAL_MEMORY" in p.node_flags:
                x.set_flag(node, "N_NORMAL_MEMORY", x.Or(x.flag(node, "N_NORMAL_MEMORY"), arg[3] >= 0))
        x.setn(node, present_pages=x.n(node, "present_pages") + pages)
        x.goto("on_after_commit", "commit")

    def h_on_after_commit(self, x: Ctx) -> None:
        """online_pages(): ``if (onlined_pages) memory_notify(MEM_ONLINE)`` (before 5.6, else
        always); 6.17 sends NODE_ADDED_FIRST_MEMORY first."""
        i = x.block
        assert i is not None
        p = self.profile
        if p.node_chain and x.br(x.op("arg")[2] >= 0):
            self.start_chain(x, "NODE_ADDED_FIRST_MEMORY", "on_mem_online")
            return
        tail = self.online_tail(True)
        if p.online_gated and not self.world.ram_pages(self.world.blocks[i].id):
            self.handler(tail)(x)
            return
        self.start_chain(x, "MEM_ONLINE", tail)

    # --- offline_pages --------------------------------------------------------------------------
    def migration_options(self, x: Ctx) -> list[str]:
        """The offline retry loop's possible outcomes (spec/STEPS.md "Choices")."""
        assert x.block is not None
        isolated = x.br(x.b(x.block, "pages") == PAGES_ISOLATED)
        allowed = self.world.migration
        opts = ["ok"] if isolated and "ok" in allowed else []
        if "-EBUSY" in allowed or not isolated or not opts:
            opts.append("-EBUSY")
        if "-EINTR" in allowed and x.t != self.fw:  # the firmware thread gets no signals
            opts.append("-EINTR")
        if "-EAGAIN" in allowed and self.profile.offline_timeout:
            opts.append("-EAGAIN")
        return opts

    def h_off_after_going(self, x: Ctx) -> None:
        """offline_pages() after MEM_GOING_OFFLINE: the error path, or migration's outcome and,
        on success, the commit."""
        i = x.block
        assert i is not None
        err = notifier_to_errno(x.op("chain_ret"))
        if err:
            x.upd(ret=err)
            self.h_off_failed(x)
            return
        outcome = x.decide(self.migration_options(x))
        if outcome != "ok":
            x.upd(ret=parse_errno(outcome))
            x.goto("off_failed", "migrate_failed")
            return
        spec = self.world.blocks[i]
        node = spec.node
        arg = x.op("arg")
        x.setb(i, pages=PAGES_RESERVED)
        present = x.n(node, "present_pages") - self.world.ram_pages(spec.id)
        if "N_HIGH_MEMORY" in self.profile.node_flags:
            # 3.4: if (!node_present_pages(node)) node_clear_state(node, N_HIGH_MEMORY)
            x.set_flag(node, "N_HIGH_MEMORY", x.And(x.flag(node, "N_HIGH_MEMORY"), present != 0))
        else:  # node_states_clear_node(): trusts the nids
            x.set_flag(node, "N_NORMAL_MEMORY", x.And(x.flag(node, "N_NORMAL_MEMORY"), arg[3] < 0))
            x.set_flag(node, "N_MEMORY", x.And(x.flag(node, "N_MEMORY"), arg[2] < 0))
        x.setn(node, present_pages=present)
        x.goto("off_after_commit", "commit")

    def h_off_failed(self, x: Ctx) -> None:
        """A failed offline: MEM_CANCEL_OFFLINE before undoing the isolation (3.4, 4.15) or
        after it (5.10+)."""
        p = self.profile
        v34 = p.locks == "state_mutex"
        if p.cancel_before_undo:
            self.start_chain(x, "MEM_CANCEL_OFFLINE", "off_undo_unlock" if v34 else "off61_undo_tail")
            return
        self.undo_isolation(x)
        cont = "off_unlock_hp" if v34 else "off61_fail_tail"
        if p.node_chain and x.br(x.op("arg")[2] >= 0):
            cont = "off_node_cancel"
        self.start_chain(x, "MEM_CANCEL_OFFLINE", cont)

    def undo_isolation(self, x: Ctx) -> None:
        """undo_isolate_page_range(): isolated pages are allocatable again."""
        assert x.block is not None
        pages = x.b(x.block, "pages")
        x.setb(x.block, pages=x.If(pages == PAGES_ISOLATED, PAGES_ONLINE, pages))

    def h_off_after_commit(self, x: Ctx) -> None:
        """offline_pages(): MEM_OFFLINE (6.17: NODE_REMOVED_LAST_MEMORY first)."""
        p = self.profile
        if p.node_chain and x.br(x.op("arg")[2] >= 0):
            self.start_chain(x, "NODE_REMOVED_LAST_MEMORY", "off_mem_offline")
            return
        self.start_chain(x, "MEM_OFFLINE", "off_unlock_hp" if p.locks == "state_mutex" else "off61_ok_tail")


__all__ = ["Pages"]
