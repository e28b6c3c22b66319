"""Python source for one world and profile: the relation's paths as code over packed ints.

Models: the paths of the noted ghost system (:mod:`checker.engines.compiled.notes`: the spec's
steps and the Monitor's history, both from their one definition) rendered as a Python module
specialised to the world. Each thread's paths are grouped by the control tuple they pin; a
group is one function that reads the fields its guards and updates use, tests each path's
guard and appends the successor (the fields the path writes replaced, constants folded), and
the indices of the history findings and twins the transition reports. ``expand(s, out, lab,
bad, tw)`` dispatches on each thread's packed control tuple. Cause templates become functions
of the state before the step.

The Z3 terms of the paths use a small vocabulary (Boolean connectives, If, equality,
comparison, addition and subtraction of small ints); a term outside it is refused with
:class:`CompileError` rather than rendered wrongly. Every field of the packing holds ``value -
lo`` in its bit range, so the code reads ``(s >> off & mask) + lo``.

Leaves out: the state checks (judged by the spec's Monitor on decoded machines, once per
machine: checker.engines.compiled.engine).
"""

from __future__ import annotations

from typing import Any

import z3
from z3 import z3core as C

from checker.engines.compiled.notes import Hole, NotedSystem
from checker.engines.compiled.pack import Packing
from checker.engines.smt.symbolic import Enum
from spec.errors import MemhpError


class CompileError(MemhpError):
    """A term the code generator does not render."""


_BIN = {z3.Z3_OP_EQ: "==", z3.Z3_OP_BADD: "+", z3.Z3_OP_BSUB: "-", z3.Z3_OP_SLEQ: "<=",
        z3.Z3_OP_SLT: "<", z3.Z3_OP_SGEQ: ">=", z3.Z3_OP_SGT: ">"}


class Render:
    """Z3 terms of one frame as Python expressions over local field variables. Terms are walked
    through Z3's C interface (the Python wrappers cost more than the rest of the compile);
    ``memo`` (shared between renderers) maps a term's id to its text and the fields it reads."""

    #: the target language's spelling of the connectives (Python here)
    AND, OR, NOT, ITE, TRUE, FALSE = " and ", " or ", "(not {0})", "({1} if {0} else {2})", "True", "False"

    def __init__(self, P: Packing, memo: dict[int, tuple[str, frozenset[str]]]) -> None:
        self.P = P
        self.used: set[str] = set()
        self.memo = memo

    def var(self, name: str) -> str:
        """How the code reads field ``name`` of the state before the step."""
        return f"v{self.P.index[name]}"

    def prelude(self, indent: str) -> list[str]:
        out = []
        for n in sorted(self.used, key=self.P.index.__getitem__):
            off, w, lo = self.P.off[n], self.P.width[n], self.P.lo[n]
            rd = f"(s >> {off} & {(1 << w) - 1})" if w else "0"
            out.append(f"{indent}v{self.P.index[n]} = {rd}{f' + {lo}' if lo > 0 else f' - {-lo}' if lo < 0 else ''}")
        return out

    def __call__(self, v: Any) -> str:
        if isinstance(v, bool):
            return self.TRUE if v else self.FALSE
        if isinstance(v, int):
            return str(v)
        if isinstance(v, z3.ExprRef):
            text, used = self.term(v.ctx.ref(), v.as_ast())
            self.used |= used
            return text
        raise CompileError(f"cannot render the value {v!r}")

    def term(self, ctx: Any, a: Any) -> tuple[str, frozenset[str]]:
        k = C.Z3_get_ast_id(ctx, a)
        hit = self.memo.get(k)
        if hit is None:
            hit = self.memo[k] = self._term(ctx, a)
        return hit

    def _term(self, ctx: Any, a: Any) -> tuple[str, frozenset[str]]:
        if C.Z3_get_ast_kind(ctx, a) == z3.Z3_NUMERAL_AST:
            v = int(C.Z3_get_numeral_string(ctx, a))
            w = C.Z3_get_bv_sort_size(ctx, C.Z3_get_sort(ctx, a))
            return str(v - (1 << w) if v >> (w - 1) else v), frozenset()
        if C.Z3_get_ast_kind(ctx, a) != z3.Z3_APP_AST:
            raise CompileError("a term that is not an application (a quantifier or variable)")
        d = C.Z3_get_app_decl(ctx, a)
        k = C.Z3_get_decl_kind(ctx, d)
        n = C.Z3_get_app_num_args(ctx, a)
        if k == z3.Z3_OP_TRUE:
            return self.TRUE, frozenset()
        if k == z3.Z3_OP_FALSE:
            return self.FALSE, frozenset()
        if k == z3.Z3_OP_UNINTERPRETED and n == 0:
            name = C.Z3_get_symbol_string(ctx, C.Z3_get_decl_name(ctx, d))
            if not name.endswith("@x") or name[:-2] not in self.P.index:
                raise CompileError(f"a term reads {name}, not a field of the frame before the step")
            return self.var(name[:-2]), frozenset((name[:-2],))
        kids = [self.term(ctx, C.Z3_get_app_arg(ctx, a, i)) for i in range(n)]
        used = frozenset().union(*(u for _, u in kids))
        x = [t for t, _ in kids]
        if k == z3.Z3_OP_AND:
            return "(" + self.AND.join(x) + ")", used
        if k == z3.Z3_OP_OR:
            return "(" + self.OR.join(x) + ")", used
        if k == z3.Z3_OP_NOT:
            return self.NOT.format(x[0]), used
        if k == z3.Z3_OP_ITE:
            return self.ITE.format(*x), used
        if k == z3.Z3_OP_DISTINCT and n == 2:
            return f"({x[0]} != {x[1]})", used
        if k in _BIN and n == 2:
            return f"({x[0]} {_BIN[k]} {x[1]})", used
        if k == z3.Z3_OP_BADD:
            return "(" + " + ".join(x) + ")", used
        name = C.Z3_get_symbol_string(ctx, C.Z3_get_decl_name(ctx, d))
        raise CompileError(f"a term uses {name}, which the code generator does not render")


def _hole(r: Render, h: Any) -> str:
    """A cause's hole as an expression giving its value (str() of it)."""
    if isinstance(h, Hole):
        h = h.value
    if isinstance(h, Enum):
        items = list(h.cases.items())
        out = repr(items[-1][0])
        for val, c in reversed(items[:-1]):
            out = f"({val!r} if {r(c)} else {out})"
        return out
    if isinstance(h, z3.ExprRef):
        return r(h)
    return repr(h)


def generate(sy: NotedSystem, P: Packing) -> str:
    """The module's source (module docstring)."""
    nthreads = len(sy.L.threads)
    groups: dict[tuple[int, int], list[int]] = {}
    free: list[int] = []
    idle = {t: sy.L.idle_op(t) for t in range(nthreads)}
    for p, path in enumerate(sy.paths):
        if path.thread < 0:
            free.append(p)
            continue
        t = path.thread
        pinned = path.pinned if path.pinned else idle[t]
        groups.setdefault((t, P.control_code(t, pinned)), []).append(p)
    lines = ["# generated by checker.engines.compiled.codegen: do not edit", ""]
    causes: list[str] = []
    cause_index: list[tuple[int, str]] = []  # (path, invariant) of each cause function
    twins: list[str] = []
    tables: dict[int, list[tuple[int, str]]] = {t: [] for t in range(nthreads)}
    fns = 0
    memo: dict[int, tuple[str, frozenset[str]]] = {}
    for (t, code), ps in sorted(groups.items()):
        name = f"_g{fns}"
        fns += 1
        tables[t].append((code, name))
        lines += _group(sy, P, name, ps, causes, cause_index, twins, memo)
    lines += _group(sy, P, "_free", free, causes, cause_index, twins, memo)
    for t in range(nthreads):
        lines.append(f"T{t} = {{" + ", ".join(f"{c}: {n}" for c, n in tables[t]) + "}")
    lines.append("")
    # the interpreted explorer's order (spec.model.Spec.successors): the starts of the idle
    # threads in thread order, the reads, then each busy thread's next step; the same order
    # gives the same breadth-first search and so the same shortest traces
    lines.append("def expand(s, out, lab, bad, tw):")
    idle_code = [P.control_code(t, idle[t]) for t in range(nthreads)]
    starts = {t: n for t in range(nthreads) for c, n in tables[t] if c == idle_code[t]}
    for t in range(nthreads):
        off, mask = P.control[t]
        lines.append(f"    c{t} = s >> {off} & {mask}")
    for t in range(nthreads):
        if t in starts:
            lines.append(f"    if c{t} == {idle_code[t]}:")
            lines.append(f"        {starts[t]}(s, out, lab, bad, tw)")
    lines.append("    _free(s, out, lab, bad, tw)")
    for t in range(nthreads):
        lines.append(f"    if c{t} != {idle_code[t]}:")
        lines.append(f"        f = T{t}.get(c{t})")
        lines.append("        if f is not None:")
        lines.append("            f(s, out, lab, bad, tw)")
    lines.append("")
    lines += causes
    lines.append("CAUSES = (" + "".join(f"_c{k}, " for k in range(len(cause_index))) + ")")
    lines.append(f"CAUSE_OF = {cause_index!r}")
    lines.append(f"TWINS = {twins!r}")
    return "\n".join(lines) + "\n"


def _fits(P: Packing, v: z3.ExprRef, n: str) -> bool:
    """``v`` is a copy of a field whose packed range lies within field ``n``'s."""
    if not z3.is_const(v) or z3.is_bv_value(v) or not str(v).endswith("@x"):
        return False
    src = str(v)[:-2]
    if src not in P.index:
        return False
    top = lambda f: P.lo[f] + (1 << P.width[f]) - 1  # noqa: E731
    return P.lo[n] <= P.lo[src] and top(src) <= top(n)


def _group(sy: NotedSystem, P: Packing, name: str, ps: list[int], causes: list[str],
           cause_index: list[tuple[int, str]], twins: list[str],
           memo: dict[int, tuple[str, frozenset[str]]]) -> list[str]:
    r = Render(P, memo)
    body: list[str] = []
    for p in ps:
        path = sy.paths[p]
        npin = len(path.pinned)  # the advance of a thread pins its control tuple first
        conds = [r(g) for g in path.guard[npin:]]
        keep = P.full
        const = 0
        parts = []
        ind = "        " if conds else "    "
        checks: list[str] = []
        for n, v in path.upd.items():
            off, w, lo = P.off[n], P.width[n], P.lo[n]
            keep &= ~(((1 << w) - 1) << off)
            if isinstance(v, z3.ExprRef) and z3.is_bv_value(v):
                v = v.as_signed_long()  # a numeral: checked below, when the code is generated
            if isinstance(v, z3.ExprRef):
                x = r(v)
                if n in sy.L.ints and not _fits(P, v, n):
                    # a computed value must stay in its field's bits (a mutant's count can leave
                    # the domain the layout gives it): outside, the search stops (DomainEscape)
                    k = P.index[n]
                    checks += [f"{ind}x{k} = {x}",
                               f"{ind}if not {lo} <= x{k} <= {lo + (1 << w) - 1}:",
                               f"{ind}    _escape({p}, {n!r}, x{k})"]
                    x = f"x{k}"
                parts.append(f"(({x}) - {lo}) << {off}" if lo else f"({x}) << {off}")
            else:
                c = int(v) - lo
                if c < 0 or c >> w:
                    raise CompileError(f"{path.action.label()}: {n} := {v} is outside its domain")
                const |= c << off
        expr = f"(s & {keep})" + (f" | {const}" if const else "") + "".join(f" | {x}" for x in parts)
        if conds:
            body.append("    if " + " and ".join(conds) + ":")
        body += checks
        body.append(f"{ind}out.append({expr})")
        body.append(f"{ind}lab.append({p})")
        for inv, tpl, holes, c in sy.judged[p].violations:
            k = len(cause_index)
            cause_index.append((p, inv))
            hr = Render(P, memo)
            pieces = tpl.split("\x00")
            ret = " + ".join(repr(x) if i % 2 == 0 else f"str({_hole(hr, holes[int(x)])})"
                             for i, x in enumerate(pieces) if i % 2 or x) or "''"
            causes += [f"def _c{k}(s):"] + hr.prelude("    ") + [f"    return {ret}", ""]
            body.append(f"{ind}if {r(c)}:")
            body.append(f"{ind}    bad.append((len(out) - 1, {k}))")
        for tname, c in sy.judged[p].twins:
            if tname not in twins:
                twins.append(tname)
            k = twins.index(tname)
            body.append(f"{ind}if {r(c)}:")
            body.append(f"{ind}    tw.append(({k}, len(out) - 1))")
    return [f"def {name}(s, out, lab, bad, tw):"] + r.prelude("    ") + (body or ["    pass"]) + [""]


__all__ = ["CompileError", "generate"]
