"""BenchModel: the SPIN peer benchmark of docs/spin-model.md as a packed-state Model.

A state is one Python int (the compact encoding), laid out from bit 0 upwards:

* one chunk per block ``b`` of ``3 + K`` bits: ``present`` (1 bit), ``bstate`` (2 bits), then
  ``prep[k][b]`` for k = 0..K-1 (so a block's chunk is everything the state says about it);
* one chunk per node: ``pp[n]`` (8 bits, a Promela ``byte`` that wraps as SPIN's does once a
  seeded bug has broken the counting) then ``hm[n]`` (1 bit);
* ``op_ev`` (3 bits), ``op_cb``, ``op_nid + 1``;
* one chunk per writer: ``pc`` (3 bits), ``a`` (2 bits), ``b``.

``mutex`` is not stored: writer ``i`` holds it exactly when ``pc_i`` is NOTIFY, COMMIT or
FINISH (a lock that fails with -EINVAL releases in the same transition, and the firmware never
holds it between transitions), so it is a function of the writers' phases and storing it would
not change the count. The Promela rendering (checker.engines.bench.promela) keeps it as a variable.

Each transition is one SPIN ``d_step``; the invariants are the model's ``assert`` checks, judged
on the state after the transition's effect; the first failing check of a transition is its
violation, named ``I1``..``I5`` with the transition kind as the cause. What the model leaves out:
everything docs/spin-model.md leaves out (holes, zones, error injection, sysfs); it is not a kernel
profile and it has no Machine or sysfs view.
"""

from __future__ import annotations

from typing import Any

from checker.engines.bench.symmetry import Symmetry
from checker.engines.bench.world import COMMIT, FINISH, IDLE, NOTIFY, WAIT, BenchWorld

# actions, events (docs/spin-model.md; the writer phases are in checker.engines.bench.world)
A_NONE, A_ONLINE, A_OFFLINE = range(3)
EV_NONE, GOING_ONLINE, CANCEL_ONLINE, ONLINE, GOING_OFFLINE, CANCEL_OFFLINE, OFFLINE = range(7)
B_OFFLINE, B_ONLINE, B_GOING_OFFLINE = range(3)

PC_NAMES = ("IDLE", "WAIT", "NOTIFY", "COMMIT", "FINISH")
EV_NAMES = ("NONE", "GOING_ONLINE", "CANCEL_ONLINE", "ONLINE", "GOING_OFFLINE", "CANCEL_OFFLINE",
            "OFFLINE")
BSTATE_NAMES = ("OFFLINE", "ONLINE", "GOING_OFFLINE")
A_NAMES = ("NONE", "ONLINE", "OFFLINE")

INVARIANTS = (
    ("I1", "hm[n] = 1 iff pp[n] > 0, at every mutex release"),
    ("I2", "pp[n] counts the ONLINE blocks of node n, at every mutex release"),
    ("I3", "every absent block is OFFLINE"),
    ("I4", "no callback is left prepared, at every mutex release"),
    ("I5", "status_change_nid >= 0 iff the commit changes hm[m]"),
)


class Layout:
    """Bit positions of the packed state for one BenchWorld."""

    def __init__(self, w: BenchWorld) -> None:
        B, N, K, W = w.B, w.N, w.K, w.W
        self.CB = 3 + K                       # block chunk width
        self.PW = 8                           # pp is a Promela byte (it wraps in buggy worlds)
        self.NW = self.PW + 1                 # node chunk width
        self.NODE = B * self.CB
        self.OP = self.NODE + N * self.NW
        self.CBW = max(1, (K - 1).bit_length())   # op_cb width
        self.NIDW = N.bit_length()            # op_nid + 1 in 0..N
        self.EV = self.OP
        self.OPCB = self.OP + 3
        self.NID = self.OPCB + self.CBW
        self.WRI = self.NID + self.NIDW
        self.BW = max(1, (B - 1).bit_length())
        self.WW = 5 + self.BW                 # writer chunk: pc(3) a(2) b(BW)
        self.WM = (1 << self.WW) - 1
        self.CM = (1 << self.CB) - 1
        self.BITS = self.WRI + W * self.WW
        self.PRESENT = sum(1 << (b * self.CB) for b in range(B))
        self.PREP = sum(((1 << K) - 1) << (b * self.CB + 3) for b in range(B))
        self.OPMASK = ((1 << (self.WRI - self.OP)) - 1) << self.OP
        self.NODE_PRESENT = [sum(1 << (b * self.CB) for b in range(B) if b % N == n) for n in range(N)]


class BenchModel:
    """The benchmark transition system over packed int states (see the module docstring)."""

    name = "bench"
    packed = True

    def __init__(self, world: BenchWorld) -> None:
        self.world = world
        self.L = Layout(world)
        self.invariants = INVARIANTS
        self.profile_name = "bench"

    # --- the initial state -------------------------------------------------------------------
    def initial_keys(self) -> list[int]:
        w, L = self.world, self.L
        s = 0
        half = w.B // 2
        for b in range(half):
            s |= (1 | (B_ONLINE << 1)) << (b * L.CB)
        for n in range(w.N):
            pp = sum(1 for b in range(half) if b % w.N == n)
            s |= (pp | ((1 if pp else 0) << L.PW)) << (L.NODE + n * L.NW)
        return [s]

    # --- reading a state -----------------------------------------------------------------------
    def decode(self, s: int) -> dict[str, Any]:
        """The state as the variables of docs/spin-model.md (mutex included, derived)."""
        w, L = self.world, self.L
        blocks = [(s >> (b * L.CB)) & L.CM for b in range(w.B)]
        writers = [(s >> (L.WRI + i * L.WW)) & L.WM for i in range(w.W)]
        holder = next((i + 1 for i, c in enumerate(writers) if (c & 7) >= NOTIFY), 0)
        return {
            "present": [c & 1 for c in blocks],
            "bstate": [(c >> 1) & 3 for c in blocks],
            "pp": [(s >> (L.NODE + n * L.NW)) & ((1 << L.PW) - 1) for n in range(w.N)],
            "hm": [(s >> (L.NODE + n * L.NW + L.PW)) & 1 for n in range(w.N)],
            "prep": [[(blocks[b] >> (3 + k)) & 1 for b in range(w.B)] for k in range(w.K)],
            "mutex": holder,
            "op_ev": (s >> L.EV) & 7,
            "op_cb": (s >> L.OPCB) & ((1 << L.CBW) - 1),
            "op_nid": ((s >> L.NID) & ((1 << L.NIDW) - 1)) - 1,
            "pc": [c & 7 for c in writers],
            "a": [(c >> 3) & 3 for c in writers],
            "b": [c >> 5 for c in writers],
        }

    def encode(self, d: dict[str, Any]) -> int:
        """The inverse of :meth:`decode` (``mutex`` is ignored: it follows from the phases)."""
        w, L = self.world, self.L
        s = 0
        for b in range(w.B):
            chunk = d["present"][b] | (d["bstate"][b] << 1)
            for k in range(w.K):
                chunk |= d["prep"][k][b] << (3 + k)
            s |= chunk << (b * L.CB)
        for n in range(w.N):
            s |= (d["pp"][n] | (d["hm"][n] << L.PW)) << (L.NODE + n * L.NW)
        s |= (d["op_ev"] << L.EV) | (d["op_cb"] << L.OPCB) | ((d["op_nid"] + 1) << L.NID)
        for i in range(w.W):
            s |= (d["pc"][i] | (d["a"][i] << 3) | (d["b"][i] << 5)) << (L.WRI + i * L.WW)
        return s

    def describe(self, s: int) -> str:
        d = self.decode(s)
        blocks = " ".join(f"{b}:{'P' if d['present'][b] else '-'}{BSTATE_NAMES[d['bstate'][b]][:3]}"
                          for b in range(self.world.B))
        nodes = " ".join(f"n{n}:pp={d['pp'][n]},hm={d['hm'][n]}" for n in range(self.world.N))
        ws = " ".join(f"w{i + 1}:{PC_NAMES[d['pc'][i]]}" + (f"({A_NAMES[d['a'][i]]} {d['b'][i]})"
                                                             if d['pc'][i] else "")
                      for i in range(self.world.W))
        op = (f" op={EV_NAMES[d['op_ev']]} cb={d['op_cb']} nid={d['op_nid']}" if d["mutex"] else "")
        return f"[{blocks}] [{nodes}] mutex={d['mutex']}{op} {ws}"

    # --- checks --------------------------------------------------------------------------------
    def _release_checks(self, s: int) -> str | None:
        """I1 and I2 per node, then I4; the name of the first that fails."""
        L = self.L
        ppm = (1 << L.PW) - 1
        online = (s >> 1) & ~(s >> 2)   # bstate == ONLINE, aligned on the present bits
        for n in range(self.world.N):
            v = s >> (L.NODE + n * L.NW)
            pp = v & ppm
            if (v >> L.PW) & 1 != (1 if pp else 0):
                return "I1"
            if pp != (online & L.NODE_PRESENT[n]).bit_count():
                return "I2"
        if s & L.PREP:
            return "I4"
        return None

    def _i3(self, s: int) -> bool:
        """True when every absent block is OFFLINE."""
        return not (((s >> 1) | (s >> 2)) & ~s & self.L.PRESENT)

    # --- transitions ---------------------------------------------------------------------------
    def expand(self, s: int, labels: list[str] | None = None
               ) -> tuple[list[int], list[tuple[int, str, str]] | None]:
        """Every enabled transition of ``s``: the successor keys, and the violations as
        (index into the successors, invariant, cause). With ``labels``, each transition's
        label is appended to it, in the same order."""
        w, L = self.world, self.L
        B, N, K, W, bug = w.B, w.N, w.K, w.W, w.bug
        CB, WRI, WW, WM = L.CB, L.WRI, L.WW, L.WM
        out: list[int] = []
        viol: list[tuple[int, str, str]] | None = None
        holder = -1
        chunks = []
        for i in range(W):
            c = (s >> (WRI + i * WW)) & WM
            chunks.append(c)
            if (c & 7) >= NOTIFY:
                holder = i
        free = holder < 0
        # firmware
        for x in range(B):
            bc = (s >> (x * CB)) & 7
            if not bc & 1:
                if free:
                    s2 = s + ((1 - bc) << (x * CB))   # present := 1, bstate := OFFLINE
                    bad = None if self._i3(s2) else "I3"
                    bad = bad or self._release_checks(s2)
                    if bad:
                        viol = (viol or []) + [(len(out), bad, "add")]
                    out.append(s2)
                    if labels is not None:
                        labels.append(f"fw add({x})")
            elif (free and bc == 1) or (bug == 3 and (bc >> 1) != B_ONLINE):
                s2 = s - (1 << (x * CB))
                bad = None if self._i3(s2) else "I3"
                if free:
                    bad = bad or self._release_checks(s2)
                if bad:
                    viol = (viol or []) + [(len(out), bad, "remove")]
                out.append(s2)
                if labels is not None:
                    labels.append(f"fw remove({x})")
        # writers
        for i in range(W):
            c = chunks[i]
            pc = c & 7
            sh = WRI + i * WW
            if pc == IDLE:
                base = s - (c << sh)
                for x in range(B):
                    for act in (A_ONLINE, A_OFFLINE):
                        out.append(base + ((WAIT | (act << 3) | (x << 5)) << sh))
                        if labels is not None:
                            labels.append(f"w{i + 1} pick({x}, {A_NAMES[act]})")
                continue
            x = c >> 5
            act = (c >> 3) & 3
            m = x % N
            nsh = L.NODE + m * L.NW
            if pc == WAIT:
                if not free:
                    continue
                bc = (s >> (x * CB)) & 7
                pp = (s >> nsh) & ((1 << L.PW) - 1)
                if act == A_ONLINE and bc == 1:
                    nid = m if pp == 0 else -1
                    s2 = (s + ((NOTIFY - WAIT) << sh) + (GOING_ONLINE << L.EV)
                          + ((nid + 1) << L.NID))
                    out.append(s2)
                    if labels is not None:
                        labels.append(f"w{i + 1} lock: GOING_ONLINE block {x}")
                elif act == A_OFFLINE and bc == (1 | (B_ONLINE << 1)):
                    nid = m if pp == 1 else -1
                    s2 = (s + ((NOTIFY - WAIT) << sh) + (GOING_OFFLINE << L.EV)
                          + ((nid + 1) << L.NID) + ((B_GOING_OFFLINE - B_ONLINE) << (x * CB + 1)))
                    if not self._i3(s2):
                        viol = (viol or []) + [(len(out), "I3", "lock")]
                    out.append(s2)
                    if labels is not None:
                        labels.append(f"w{i + 1} lock: GOING_OFFLINE block {x}")
                else:
                    s2 = s - (c << sh)
                    bad = self._release_checks(s2)
                    if bad:
                        viol = (viol or []) + [(len(out), bad, "lock-einval")]
                    out.append(s2)
                    if labels is not None:
                        labels.append(f"w{i + 1} lock: -EINVAL, release")
                continue
            ev = (s >> L.EV) & 7
            if pc == NOTIFY:
                k = (s >> L.OPCB) & ((1 << L.CBW) - 1)
                pbit = 1 << (x * CB + 3 + k)
                last = k + 1 == K
                cbdelta = (-k << L.OPCB) if last else (1 << L.OPCB)
                if ev == GOING_ONLINE or ev == GOING_OFFLINE:
                    s2 = (s | pbit) + cbdelta + (((COMMIT - NOTIFY) << sh) if last else 0)
                    out.append(s2)
                    cancel = CANCEL_ONLINE if ev == GOING_ONLINE else CANCEL_OFFLINE
                    keep_cb = bug == 2 and ev == GOING_ONLINE
                    s3 = s + ((cancel - ev) << L.EV) - (0 if keep_cb else (k << L.OPCB))
                    out.append(s3)
                    if labels is not None:
                        labels.append(f"w{i + 1} notify cb{k} {EV_NAMES[ev]}: NOTIFY_OK")
                        labels.append(f"w{i + 1} notify cb{k} {EV_NAMES[ev]}: NOTIFY_BAD")
                else:
                    s2 = (s & ~pbit) + cbdelta + (((FINISH - NOTIFY) << sh) if last else 0)
                    out.append(s2)
                    if labels is not None:
                        labels.append(f"w{i + 1} notify cb{k} {EV_NAMES[ev]}")
                continue
            if pc == COMMIT:
                pp = (s >> nsh) & ((1 << L.PW) - 1)
                hm = (s >> (nsh + L.PW)) & 1
                nid = ((s >> L.NID) & ((1 << L.NIDW) - 1)) - 1
                if ev == GOING_ONLINE:
                    inc = -255 if pp == 255 else 1
                    s2 = (s + (inc << nsh) + ((1 - hm) << (nsh + L.PW)) + ((ONLINE - ev) << L.EV)
                          + ((NOTIFY - COMMIT) << sh))
                    if (nid >= 0) != (hm == 0):
                        viol = (viol or []) + [(len(out), "I5", "commit-online")]
                    out.append(s2)
                    if labels is not None:
                        labels.append(f"w{i + 1} commit online block {x}")
                else:
                    dec = -255 if pp == 0 else 1
                    clear = pp == 1 and bug != 1 and hm
                    s2 = (s - (dec << nsh) - ((1 << (nsh + L.PW)) if clear else 0)
                          + ((OFFLINE - ev) << L.EV) + ((NOTIFY - COMMIT) << sh))
                    if (nid >= 0) != bool(clear):
                        viol = (viol or []) + [(len(out), "I5", "commit-offline")]
                    out.append(s2)
                    s3 = s + ((CANCEL_OFFLINE - ev) << L.EV) + ((NOTIFY - COMMIT) << sh)
                    out.append(s3)
                    if labels is not None:
                        labels.append(f"w{i + 1} commit offline block {x}: migrated")
                        labels.append(f"w{i + 1} commit offline block {x}: -EBUSY")
                continue
            # FINISH
            old = (s >> (x * CB + 1)) & 3
            if ev == ONLINE or ev == CANCEL_OFFLINE:
                new = B_ONLINE
            elif ev == OFFLINE:
                new = B_OFFLINE
            else:
                new = old
            s2 = (s + ((new - old) << (x * CB + 1))) & ~L.OPMASK
            s2 -= c << sh
            bad = None if self._i3(s2) else "I3"
            bad = bad or self._release_checks(s2)
            if bad:
                viol = (viol or []) + [(len(out), bad, "finish")]
            out.append(s2)
            if labels is not None:
                labels.append(f"w{i + 1} finish {EV_NAMES[ev]} block {x}, release")
        return out, viol

    # --- what the explorer asks besides expand -------------------------------------------------
    def symmetry(self) -> Any:
        sym = Symmetry(self)
        return None if sym.trivial else sym

    def make_trace(self, steps: list[tuple[str, int]], invariant: str, cause: str) -> Any:
        from checker.engines.bench.trace import BenchTrace

        text = dict(INVARIANTS)[invariant]
        return BenchTrace(self.world.name, [(lab, self.decode(s), self.describe(s)) for lab, s in steps],
                          invariant, cause, f"{invariant} fails after {cause}: {text}")

    def labelled(self, s: int) -> list[tuple[str, int]]:
        labels: list[str] = []
        succ, _ = self.expand(s, labels)
        return list(zip(labels, succ))
