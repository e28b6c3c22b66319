"""The transition system of :mod:`checker.engines.smt.system` as an AIGER circuit, for hardware model
checkers (ABC's ``bmc3`` and ``pdr``, or any tool that reads AIGER 1.0).

Models: the same relation Z3 solves, bit-blasted. Each state field is a vector of latches (a
Boolean one latch, a bit-vector one per bit, least significant first); a latch holds its bit
XOR the bit's initial value, so every latch starts at 0 as AIGER 1.0 requires. The inputs are
the bits of the path selector ``sel`` (:data:`checker.engines.smt.system.SEL_BITS`). Each field's next
value is the ``If`` chain of :meth:`System._relation` over the paths that write it. One extra
latch, ``dead``, is set by a step whose selector names no path or a path whose guard is false;
it stays set, so a run that takes such a step never raises an output afterwards. Output j is
"not dead, and state invariant j fails in the current state" (``Props.holds``, quiescence
included), so an output raised at frame k is a violation after k transitions, the depth that
``Checker.bmc`` reports. Gates are hashed structurally while they are built.

Bit-blasts the operators the encoding's terms use (Booleans, equality, ``If``, bit-vector
addition and subtraction, distinct, signed and unsigned comparison, extract, concat, extensions); any
other raises :class:`AigerError`, so no term is rendered wrongly in silence.

Leaves out: the step invariants and the ghost-field ones (they speak of a step or an
operation's history, not of one state), and a reader for the tools' counterexamples (a
decoded Z3 trace is what memhp reports; the circuit serves to compare solvers on one relation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from checker.engines.smt.props import Props
from checker.engines.smt.system import SEL_BITS, System
from spec.errors import MemhpError

Bits = list[int]
Sig = int | Bits  # a literal (Bool) or a vector of literals (bit-vector, lsb first)


class AigerError(MemhpError):
    """A term the bit-blaster does not cover."""


class Aig:
    """And-inverter graph: literal 2v is variable v, 2v + 1 its negation, 0 false, 1 true."""

    def __init__(self) -> None:
        self.nvars = 0
        self.ands: list[tuple[int, int, int]] = []
        self._hash: dict[tuple[int, int], int] = {}

    def var(self) -> int:
        self.nvars += 1
        return 2 * self.nvars

    def and_(self, a: int, b: int) -> int:
        if a == 0 or b == 0 or a == b ^ 1:
            return 0
        if a == 1 or a == b:
            return b
        if b == 1:
            return a
        if a < b:
            a, b = b, a
        lit = self._hash.get((a, b))
        if lit is None:
            lit = self.var()
            self.ands.append((lit, a, b))
            self._hash[(a, b)] = lit
        return lit

    def or_(self, a: int, b: int) -> int:
        return self.and_(a ^ 1, b ^ 1) ^ 1

    def xor(self, a: int, b: int) -> int:
        return self.or_(self.and_(a, b ^ 1), self.and_(a ^ 1, b))

    def mux(self, c: int, t: int, e: int) -> int:
        return t if t == e else self.or_(self.and_(c, t), self.and_(c ^ 1, e))

    def all(self, xs: list[int]) -> int:
        r = 1
        for x in xs:
            r = self.and_(r, x)
        return r

    def any(self, xs: list[int]) -> int:
        r = 0
        for x in xs:
            r = self.or_(r, x)
        return r


def const(v: int, width: int) -> Bits:
    return [(v >> i) & 1 for i in range(width)]


class Blaster:
    """Z3 terms over named variables (``env``: name -> literal or bits) into ``g``."""

    def __init__(self, g: Aig, env: dict[str, Sig]) -> None:
        self.g, self.env = g, env
        self._memo: dict[int, tuple[Any, Sig]] = {}

    def eq(self, a: Sig, b: Sig) -> int:
        """a = b, for two vectors or two literals."""
        if isinstance(a, int):
            return self.g.xor(a, b) ^ 1  # type: ignore[arg-type]
        return self.g.all([self.g.xor(x, y) ^ 1 for x, y in zip(a, b)])  # type: ignore[arg-type]

    def ult(self, a: Bits, b: Bits) -> int:
        g, lt = self.g, 0
        for x, y in zip(a, b):  # from the least significant bit up
            lt = g.or_(g.and_(x ^ 1, y), g.and_(g.xor(x, y) ^ 1, lt))
        return lt

    def add(self, a: Bits, b: Bits, carry: int = 0) -> Bits:
        g, out = self.g, []
        for x, y in zip(a, b):
            h = g.xor(x, y)
            out.append(g.xor(h, carry))
            carry = g.or_(g.and_(x, y), g.and_(carry, h))
        return out

    def bits(self, t: Any) -> Bits:
        r = self.go(t)
        assert isinstance(r, list)
        return r

    def lit(self, t: Any) -> int:
        r = self.go(t)
        assert isinstance(r, int)
        return r

    def go(self, t: Any) -> Sig:
        key = t.get_id()  # the memo keeps t alive: Z3 reuses the ids of freed terms
        if key not in self._memo:
            self._memo[key] = (t, self._blast(t))
        return self._memo[key][1]

    def _blast(self, t: Any) -> Sig:
        g, k, ch = self.g, t.decl().kind(), t.children()
        if k == z3.Z3_OP_TRUE:
            return 1
        if k == z3.Z3_OP_FALSE:
            return 0
        if k == z3.Z3_OP_BNUM:
            return const(t.as_long(), t.size())
        if k == z3.Z3_OP_UNINTERPRETED and not ch:
            try:
                return self.env[t.decl().name()]
            except KeyError:
                raise AigerError(f"a variable outside the current frame: {t}") from None
        kids = [self.go(c) for c in ch]
        if k == z3.Z3_OP_EQ:
            return self.eq(kids[0], kids[1])
        if k == z3.Z3_OP_DISTINCT:
            return g.all([self.eq(kids[i], kids[j]) ^ 1 for i in range(len(kids))
                          for j in range(i + 1, len(kids))])
        if k == z3.Z3_OP_ITE:
            c, a, b = kids
            if isinstance(a, list):
                return [g.mux(c, x, y) for x, y in zip(a, b)]  # type: ignore[arg-type, call-overload]
            return g.mux(c, a, b)  # type: ignore[arg-type]
        if k == z3.Z3_OP_AND:
            return g.all(kids)  # type: ignore[arg-type]
        if k == z3.Z3_OP_OR:
            return g.any(kids)  # type: ignore[arg-type]
        if k == z3.Z3_OP_NOT:
            return kids[0] ^ 1  # type: ignore[operator]
        if k == z3.Z3_OP_XOR:
            return g.xor(kids[0], kids[1])  # type: ignore[arg-type]
        if k == z3.Z3_OP_IMPLIES:
            return g.or_(kids[0] ^ 1, kids[1])  # type: ignore[operator, arg-type]
        bv: list[Bits] = kids  # type: ignore[assignment]
        if k == z3.Z3_OP_BADD:
            r = bv[0]
            for x in bv[1:]:
                r = self.add(r, x)
            return r
        if k == z3.Z3_OP_BSUB:
            return self.add(bv[0], [x ^ 1 for x in bv[1]], 1)
        if k in _CMP:
            a, b = bv
            if k in _SIGNED:  # flip the sign bits: signed order becomes unsigned order
                a, b = a[:-1] + [a[-1] ^ 1], b[:-1] + [b[-1] ^ 1]
            swap, negate = _CMP[k]
            r = self.ult(b, a) if swap else self.ult(a, b)
            return r ^ 1 if negate else r
        if k == z3.Z3_OP_EXTRACT:
            hi, lo = t.params()
            return bv[0][lo:hi + 1]
        if k == z3.Z3_OP_CONCAT:
            out: Bits = []
            for x in reversed(bv):
                out += x
            return out
        if k == z3.Z3_OP_ZERO_EXT:
            return bv[0] + [0] * t.params()[0]
        if k == z3.Z3_OP_SIGN_EXT:
            return bv[0] + [bv[0][-1]] * t.params()[0]
        raise AigerError(f"operator not covered by the AIGER export: {t.decl()}")


#: comparison kind -> (swap the operands, negate the result) around "a < b"
_CMP = {z3.Z3_OP_ULT: (False, False), z3.Z3_OP_SLT: (False, False),
        z3.Z3_OP_UGT: (True, False), z3.Z3_OP_SGT: (True, False),
        z3.Z3_OP_ULEQ: (True, True), z3.Z3_OP_SLEQ: (True, True),
        z3.Z3_OP_UGEQ: (False, True), z3.Z3_OP_SGEQ: (False, True)}
_SIGNED = {z3.Z3_OP_SLT, z3.Z3_OP_SGT, z3.Z3_OP_SLEQ, z3.Z3_OP_SGEQ}


@dataclass
class Latch:
    lit: int
    field: str  # the state field, or "dead"
    bit: int | None  # None: a Boolean field
    init: int  # the bit's initial value (the latch holds bit XOR init)
    next: int = 0


@dataclass
class Circuit:
    """A bit-blasted System: ``g``'s inputs (the selector bits), latches and outputs."""

    g: Aig
    inputs: list[int]
    latches: list[Latch]
    outputs: list[tuple[str, int]]  # (invariant, literal)
    valid: int  # the step's selector names an enabled path

    def binary(self, comment: str = "") -> bytes:
        """The circuit in binary AIGER 1.0, with a symbol table (selector bits, latches as
        ``field[bit]``, outputs as invariant names) and ``comment`` in the comment section."""
        order = self.inputs + [lt.lit for lt in self.latches]
        num = {lit >> 1: i + 1 for i, lit in enumerate(order)}
        for lit, _a, _b in self.g.ands:
            num[lit >> 1] = len(num) + 1

        def m(lit: int) -> int:
            return lit if lit < 2 else 2 * num[lit >> 1] + (lit & 1)

        ni, nl = len(self.inputs), len(self.latches)
        out = bytearray(f"aig {len(num)} {ni} {nl} {len(self.outputs)} {len(self.g.ands)}\n".encode())
        out += "".join(f"{m(lt.next)}\n" for lt in self.latches).encode()
        out += "".join(f"{m(o)}\n" for _n, o in self.outputs).encode()
        for lit, a, b in self.g.ands:
            lhs, r0, r1 = m(lit), m(a), m(b)
            if r0 < r1:
                r0, r1 = r1, r0
            for delta in (lhs - r0, r0 - r1):
                while delta >= 0x80:
                    out.append(delta & 0x7F | 0x80)
                    delta >>= 7
                out.append(delta)
        syms = [f"i{i} sel[{i}]" for i in range(ni)]
        syms += [f"l{j} {lt.field}" + ("" if lt.bit is None else f"[{lt.bit}]")
                 for j, lt in enumerate(self.latches)]
        syms += [f"o{j} {n}" for j, (n, _o) in enumerate(self.outputs)]
        out += ("\n".join(syms) + "\nc\n" + comment + "\n").encode()
        return bytes(out)

    def simulate(self, states: list[dict[str, int | bool]], sels: list[int]) -> Simulation:
        """Every state of ``states`` (encoded, not dead) stepped with every selector of ``sels``
        at once: one pass over the gates, each signal a bit mask over the samples (sample
        ``s * len(sels) + j`` is state s with selector j)."""
        ns, nj = len(states), len(sels)
        rep = sum(1 << (s * nj) for s in range(ns))  # one bit at the start of each state's run
        run = (1 << nj) - 1
        v: dict[int, int] = {0: 0}
        for i, lit in enumerate(self.inputs):
            v[lit >> 1] = sum(1 << j for j, x in enumerate(sels) if x >> i & 1) * rep
        for lt in self.latches:
            mask = 0
            for s, vals in enumerate(states):
                x = 0 if lt.field == "dead" else (int(vals[lt.field]) if lt.bit is None
                                                  else int(vals[lt.field]) >> lt.bit & 1)
                if x ^ lt.init:
                    mask |= run << (s * nj)
            v[lt.lit >> 1] = mask
        full = (1 << (ns * nj)) - 1

        def val(lit: int) -> int:
            return v[lit >> 1] ^ full if lit & 1 else v[lit >> 1]

        for lit, a, b in self.g.ands:  # gates come after their inputs
            v[lit >> 1] = val(a) & val(b)
        return Simulation(self, ns, nj, val)


class Simulation:
    """The signals of :meth:`Circuit.simulate`, read per sample."""

    def __init__(self, c: Circuit, ns: int, nj: int, val: Any) -> None:
        n = (ns * nj + 7) // 8
        self.c, self.nj = c, nj
        self._next = [(lt, val(lt.next).to_bytes(n, "little")) for lt in c.latches if lt.field != "dead"]
        self._valid = val(c.valid).to_bytes(n, "little")
        self._out = [(name, val(o).to_bytes(n, "little")) for name, o in c.outputs]

    @staticmethod
    def _bit(b: bytes, k: int) -> int:
        return b[k >> 3] >> (k & 7) & 1

    def valid(self, s: int, j: int) -> bool:
        """The step of state s with selector j is a path whose guard holds."""
        return bool(self._bit(self._valid, s * self.nj + j))

    def next(self, s: int, j: int) -> dict[str, int | bool]:
        """The encoded next state of that step."""
        k = s * self.nj + j
        out: dict[str, int | bool] = {}
        for lt, b in self._next:
            bit = self._bit(b, k) ^ lt.init
            if lt.bit is None:
                out[lt.field] = bool(bit)
            else:
                out[lt.field] = int(out.get(lt.field, 0)) | bit << lt.bit
        return out

    def outputs(self, s: int) -> dict[str, bool]:
        """Each output's value in state s (it does not depend on the selector)."""
        return {name: bool(self._bit(b, s * self.nj)) for name, b in self._out}


def export(sy: System, names: list[str] | None = None) -> Circuit:
    """The circuit of ``sy`` with one output per state invariant of ``names`` (default: every
    one that :class:`checker.engines.smt.props.Props` encodes for the world and profile)."""
    g, L = Aig(), sy.L
    init = sy.initial_values()
    inputs = [g.var() for _ in range(SEL_BITS)]
    env: dict[str, Sig] = {sy.sel.decl().name(): inputs}
    latches: list[Latch] = []
    for n in L.names:
        v = sy.X[n]
        if z3.is_bool(v):
            lt = Latch(g.var(), n, None, int(bool(init[n])))
            latches.append(lt)
            env[v.decl().name()] = lt.lit ^ lt.init
        else:
            w = v.size()
            bits = []
            for i, b in enumerate(const(int(init[n]) % (1 << w), w)):
                lt = Latch(g.var(), n, i, b)
                latches.append(lt)
                bits.append(lt.lit ^ b)
            env[v.decl().name()] = bits
    dead = Latch(g.var(), "dead", None, 0)
    bl = Blaster(g, env)
    valid = [bl.ult(inputs, const(len(sy.paths), SEL_BITS))]
    chosen = [bl.eq(inputs, const(p, SEL_BITS)) for p in range(len(sy.paths))]
    writers: dict[str, list[tuple[int, Any]]] = {}
    for p, path in enumerate(sy.paths):
        if path.guard:
            valid.append(g.or_(chosen[p] ^ 1, g.all([bl.lit(x) for x in path.guard])))
        for name, v in path.upd.items():
            if isinstance(v, z3.ExprRef) and v.eq(sy.X[name]):
                continue
            writers.setdefault(name, []).append((p, v))
    ok = g.all(valid)
    nxt: dict[str, Sig] = {}
    for n in L.names:
        e = env[sy.X[n].decl().name()]
        for p, v in writers.get(n, ()):
            if not isinstance(v, z3.ExprRef):
                v = z3.BoolVal(v) if isinstance(v, bool) else z3.BitVecVal(v, sy.X[n].size())
            new = bl.go(v)
            if isinstance(e, list):
                e = [g.mux(chosen[p], x, y) for x, y in zip(new, e)]  # type: ignore[arg-type]
            else:
                e = g.mux(chosen[p], new, e)  # type: ignore[arg-type]
        nxt[n] = e
    for lt in latches:
        e = nxt[lt.field]
        lt.next = (e if lt.bit is None else e[lt.bit]) ^ lt.init  # type: ignore[index, operator]
    dead.next = g.or_(dead.lit, ok ^ 1)
    props = Props(L)
    outs = [(n, g.and_(dead.lit ^ 1, bl.lit(z3.Not(props.holds(n, sy.X)))))
            for n in (names if names is not None else props.names())]
    return Circuit(g, inputs, latches + [dead], outs, ok)
