"""Z3 terms of the encoding compiled to Python functions of an encoded state (a test helper).

Evaluating thousands of small terms on thousands of concrete states through Z3 (substitute and
simplify, or a solver per state) takes minutes; a compiled function takes microseconds. Covers
the operators the encoding's terms use after ``z3.simplify`` (booleans, bit-vector arithmetic,
signed and unsigned comparisons, extract, concat, extensions); any other operator raises, so a
term is never evaluated wrongly in silence. Bit-vectors are held as unsigned ints modulo 2**w.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

Fn = Callable[[dict[str, Any]], Any]


def _signed(w: int) -> str:
    return f"(lambda x: x - {1 << w} if x >> {w - 1} else x)"


def compile_term(e: Any, frame_tag: str = "x") -> Fn:
    """A function of ``vals`` (field -> int or bool, as Layout.encode gives, plus ``sel``) that
    computes the term ``e`` over the frame ``<field>@<frame_tag>`` and the selector."""
    if not isinstance(e, z3.ExprRef):
        v = e
        return lambda vals: v
    return _compile([e], frame_tag, conj=False)


def compile_conj(es: list[Any], frame_tag: str = "x") -> Fn:
    """A function that is true of ``vals`` exactly when every term of ``es`` is (evaluated in
    order, stopping at the first false one)."""
    if any(not isinstance(e, z3.ExprRef) and not e for e in es):
        return lambda vals: False
    return _compile([e for e in es if isinstance(e, z3.ExprRef)], frame_tag, conj=True)


def _compile(es: list[Any], frame_tag: str, conj: bool) -> Fn:
    lines: list[str] = []
    memo: dict[int, str] = {}

    def go(t: Any) -> str:
        key = t.get_id()
        if key in memo:
            return memo[key]
        k = t.decl().kind()
        kids = [go(c) for c in t.children()]
        bvw = t.size() if z3.is_bv(t) else 0
        mask = (1 << bvw) - 1 if bvw else 0
        if k == z3.Z3_OP_TRUE:
            code = "True"
        elif k == z3.Z3_OP_FALSE:
            code = "False"
        elif k == z3.Z3_OP_BNUM:
            code = str(t.as_long())
        elif k == z3.Z3_OP_UNINTERPRETED and not kids:
            name = t.decl().name()
            field, _, tag = name.rpartition("@")
            if tag != frame_tag:
                raise ValueError(f"a variable of another frame: {name}")
            get = f"vals[{field!r}]"
            code = f"({get} & {mask})" if bvw else f"bool({get})"
        elif k == z3.Z3_OP_EQ:
            code = f"({kids[0]} == {kids[1]})"
        elif k == z3.Z3_OP_DISTINCT:
            code = f"(len({{{', '.join(kids)}}}) == {len(kids)})"
        elif k == z3.Z3_OP_ITE:
            code = f"({kids[1]} if {kids[0]} else {kids[2]})"
        elif k == z3.Z3_OP_AND:
            code = "(" + " and ".join(kids) + ")"
        elif k == z3.Z3_OP_OR:
            code = "(" + " or ".join(kids) + ")"
        elif k == z3.Z3_OP_NOT:
            code = f"(not {kids[0]})"
        elif k == z3.Z3_OP_XOR:
            code = f"({kids[0]} != {kids[1]})"
        elif k == z3.Z3_OP_IMPLIES:
            code = f"((not {kids[0]}) or {kids[1]})"
        elif k == z3.Z3_OP_BADD:
            code = f"(({' + '.join(kids)}) & {mask})"
        elif k == z3.Z3_OP_BSUB:
            code = f"(({kids[0]} - {kids[1]}) & {mask})"
        elif k == z3.Z3_OP_BMUL:
            code = f"(({' * '.join(kids)}) & {mask})"
        elif k == z3.Z3_OP_BNEG:
            code = f"((-{kids[0]}) & {mask})"
        elif k in (z3.Z3_OP_SLEQ, z3.Z3_OP_SLT, z3.Z3_OP_SGEQ, z3.Z3_OP_SGT):
            s = _signed(t.children()[0].size())
            op = {z3.Z3_OP_SLEQ: "<=", z3.Z3_OP_SLT: "<", z3.Z3_OP_SGEQ: ">=", z3.Z3_OP_SGT: ">"}[k]
            code = f"({s}({kids[0]}) {op} {s}({kids[1]}))"
        elif k in (z3.Z3_OP_ULEQ, z3.Z3_OP_ULT, z3.Z3_OP_UGEQ, z3.Z3_OP_UGT):
            op = {z3.Z3_OP_ULEQ: "<=", z3.Z3_OP_ULT: "<", z3.Z3_OP_UGEQ: ">=", z3.Z3_OP_UGT: ">"}[k]
            code = f"({kids[0]} {op} {kids[1]})"
        elif k == z3.Z3_OP_EXTRACT:
            hi, lo = t.params()
            code = f"(({kids[0]} >> {lo}) & {(1 << (hi - lo + 1)) - 1})"
        elif k == z3.Z3_OP_CONCAT:
            code = kids[0]
            for c, kid in zip(t.children()[1:], kids[1:]):
                code = f"(({code} << {c.size()}) | {kid})"
        elif k == z3.Z3_OP_ZERO_EXT:
            code = kids[0]
        elif k == z3.Z3_OP_SIGN_EXT:
            w0 = t.children()[0].size()
            code = f"(({_signed(w0)}({kids[0]})) & {mask})"
        else:
            raise ValueError(f"operator not covered: {t.decl()} in {t}")
        var = f"t{len(lines)}"
        lines.append(f"    {var} = {code}")
        memo[key] = var
        return var

    if conj:
        for e in es:
            lines.append(f"    if not {go(e)}:\n        return False")
        out = "True"
    else:
        out = go(es[0])
    src = "def f(vals):\n" + "\n".join(lines) + f"\n    return {out}\n"
    env: dict[str, Any] = {}
    exec(src, env)  # noqa: S102 - generated from a Z3 term, no outside input
    fn: Fn = env["f"]
    e = es[0] if es else None
    if not conj and z3.is_bv(e):
        w = e.size()

        def signed(vals: dict[str, Any]) -> int:
            x: int = fn(vals)
            return x - (1 << w) if x >> (w - 1) else x

        return signed
    return fn
