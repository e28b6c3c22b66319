"""Promela rendering of the SPIN benchmark world, so SPIN can explore the same transition system.

The model follows docs/spin-model.md line by line: one ``d_step`` per transition
(so SPIN stores exactly the states memhp's BenchModel counts), the firmware as process 0 and the
writers as processes 1..W (``mutex`` holds the writer's ``_pid``), the invariants as ``assert``s
inside the transitions, and the seeded bugs behind ``#ifdef BUG1`` .. ``BUG3`` (``spin -DBUG1``),
with ``#define BUGn`` written in when the world names one. Scratch variables are ``hidden``, so
the state vector holds only the variables of the model. Only spin-bench worlds are rendered: the
spec worlds' step function (spec.model) has no Promela counterpart.
"""

from __future__ import annotations

from checker.engines.bench.world import BenchWorld

_HEADER = """\
/* {name}: the memory-hotplug benchmark of docs/spin-model.md, written by `memhp export promela`.
 * Run:  spin -a {file} && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 * Seeded bugs: spin -DBUG1 (or BUG2, BUG3) -a {file}. */
"""


def render(w: BenchWorld, file: str = "model.pml") -> str:
    B, N, K, W = w.B, w.N, w.K, w.W
    half = B // 2
    present = ", ".join("1" if b < half else "0" for b in range(B))
    bstate = ", ".join("ONLINE" if b < half else "OFFLINE" for b in range(B))
    pp = [sum(1 for b in range(half) if b % N == n) for n in range(N)]
    out = [_HEADER.format(name=w.name, file=file)]
    if w.bug:
        out.append(f"#define BUG{w.bug}\n")
    out.append(f"""
#define B {B}
#define N {N}
#define K {K}
#define W {W}

#define IDLE 0
#define WAIT 1
#define NOTIFY 2
#define COMMIT 3
#define FINISH 4

#define A_NONE 0
#define A_ONLINE 1
#define A_OFFLINE 2

#define OFFLINE 0           /* mem->state */
#define ONLINE 1
#define GOING_OFFLINE 2

#define EV_NONE 0           /* the event the mutex holder delivers */
#define EV_GOING_ONLINE 1
#define EV_CANCEL_ONLINE 2
#define EV_ONLINE 3
#define EV_GOING_OFFLINE 4
#define EV_CANCEL_OFFLINE 5
#define EV_OFFLINE 6

bit present[B] = {{{present}}};
byte bstate[B] = {{{bstate}}};
byte pp[N] = {{{", ".join(map(str, pp))}}};
bit hm[N] = {{{", ".join("1" if v else "0" for v in pp)}}};
bit prep[K * B];            /* prep[k * B + b]: callback k is prepared for block b */
byte mutex;                 /* 0 free, i held by writer i (its _pid) */
byte op_ev;
byte op_cb;
short op_nid = -1;

hidden byte t_x;
hidden byte t_n;
hidden byte t_cnt;
hidden byte t_hm;

inline check_i3() {{
  t_x = 0;
  do
  :: t_x < B -> assert(present[t_x] || bstate[t_x] == OFFLINE); t_x++
  :: else -> break
  od;
  t_x = 0   /* a statement after the loop keeps its break inside the d_step */
}}

inline release_checks() {{   /* per node I1 then I2, then I4 */
  t_n = 0;
  do
  :: t_n < N ->
     assert(hm[t_n] == (pp[t_n] > 0));
     t_cnt = 0; t_x = t_n;
     do
     :: t_x < B -> if :: bstate[t_x] == ONLINE -> t_cnt++ :: else -> skip fi; t_x = t_x + N
     :: else -> break
     od;
     assert(pp[t_n] == t_cnt);
     t_n++
  :: else -> break
  od;
  t_x = 0;
  do
  :: t_x < K * B -> assert(prep[t_x] == 0); t_x++
  :: else -> break
  od;
  t_x = 0
}}

active proctype firmware() {{
  do
""")
    for x in range(B):
        out.append(f"""  :: d_step {{ mutex == 0 && !present[{x}] ->
       present[{x}] = 1; bstate[{x}] = OFFLINE; check_i3(); release_checks() }}
#ifdef BUG3
  :: d_step {{ present[{x}] && bstate[{x}] != ONLINE ->
       present[{x}] = 0; check_i3();
       if :: mutex == 0 -> release_checks() :: else -> skip fi }}
#else
  :: d_step {{ mutex == 0 && present[{x}] && bstate[{x}] == OFFLINE ->
       present[{x}] = 0; check_i3(); release_checks() }}
#endif
""")
    out.append("""  od
}

active [W] proctype writer() {
  byte pc = IDLE;
  byte b = 0;
  byte a = A_NONE;
  do
""")
    for x in range(B):
        for act in ("A_ONLINE", "A_OFFLINE"):
            out.append(f"  :: d_step {{ pc == IDLE -> b = {x}; a = {act}; pc = WAIT }}\n")
    out.append("""  :: d_step { pc == WAIT && mutex == 0 ->
       mutex = _pid;
       if
       :: a == A_ONLINE && present[b] && bstate[b] == OFFLINE ->
          if :: pp[b % N] == 0 -> op_nid = b % N :: else -> op_nid = -1 fi;
          op_ev = EV_GOING_ONLINE; op_cb = 0; pc = NOTIFY
       :: a == A_OFFLINE && present[b] && bstate[b] == ONLINE ->
          bstate[b] = GOING_OFFLINE;
          if :: pp[b % N] == 1 -> op_nid = b % N :: else -> op_nid = -1 fi;
          op_ev = EV_GOING_OFFLINE; op_cb = 0; pc = NOTIFY; check_i3()
       :: else ->   /* -EINVAL: release in the same transition */
          release_checks(); mutex = 0; pc = IDLE; b = 0; a = A_NONE
       fi }
  :: d_step { pc == NOTIFY && (op_ev == EV_GOING_ONLINE || op_ev == EV_GOING_OFFLINE) ->
       prep[op_cb * B + b] = 1;   /* NOTIFY_OK */
       if :: op_cb + 1 == K -> op_cb = 0; pc = COMMIT :: else -> op_cb++ fi }
  :: d_step { pc == NOTIFY && op_ev == EV_GOING_ONLINE ->
       op_ev = EV_CANCEL_ONLINE   /* NOTIFY_BAD: the cancel goes to the whole chain */
#ifndef BUG2
       ; op_cb = 0
#endif
     }
  :: d_step { pc == NOTIFY && op_ev == EV_GOING_OFFLINE ->
       op_ev = EV_CANCEL_OFFLINE; op_cb = 0 }
  :: d_step { pc == NOTIFY && op_ev != EV_GOING_ONLINE && op_ev != EV_GOING_OFFLINE ->
       prep[op_cb * B + b] = 0;
       if :: op_cb + 1 == K -> op_cb = 0; pc = FINISH :: else -> op_cb++ fi }
  :: d_step { pc == COMMIT && a == A_ONLINE ->
       t_hm = hm[b % N]; pp[b % N]++; hm[b % N] = 1;
       assert((op_nid >= 0) == (t_hm != hm[b % N]));
       op_ev = EV_ONLINE; op_cb = 0; pc = NOTIFY }
  :: d_step { pc == COMMIT && a == A_OFFLINE ->   /* migration succeeded */
       t_hm = hm[b % N]; pp[b % N]--;
#ifndef BUG1
       if :: pp[b % N] == 0 -> hm[b % N] = 0 :: else -> skip fi;
#endif
       assert((op_nid >= 0) == (t_hm != hm[b % N]));
       op_ev = EV_OFFLINE; op_cb = 0; pc = NOTIFY }
  :: d_step { pc == COMMIT && a == A_OFFLINE ->   /* migration failed: -EBUSY */
       op_ev = EV_CANCEL_OFFLINE; op_cb = 0; pc = NOTIFY }
  :: d_step { pc == FINISH ->
       if
       :: op_ev == EV_ONLINE || op_ev == EV_CANCEL_OFFLINE -> bstate[b] = ONLINE
       :: op_ev == EV_OFFLINE -> bstate[b] = OFFLINE
       :: else -> skip
       fi;
       check_i3(); release_checks();
       mutex = 0; op_ev = EV_NONE; op_cb = 0; op_nid = -1; pc = IDLE; b = 0; a = A_NONE }
  od
}
""")
    return "".join(out)
