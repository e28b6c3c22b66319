"""The mutation operators: small, deterministic edits of one mirror function's syntax tree.

Models: each operator looks at one node of a function's tree (numbered in a fixed pre-order
walk) and proposes zero or more replacements, each with a short description. Applying a
replacement copies the tree, walks it in the same order and edits the node with that number,
so a mutant is fully described by (node number, operator, variant index).

Operators (``OPERATORS``): ``arith`` (+ -, * //, & |, << >>), ``cmp`` (< <=, > >=, == !=, in /
not in, is / is not), ``bool`` (and / or, ``not x`` -> ``x``), ``const`` (0 <-> 1, n -> n+1,
True <-> False), ``errno`` (one named errno for another: -EINVAL -> -EBUSY ...), ``negate``
(``if c`` -> ``if not c``, also ``while`` and ``x if c else y``), ``delete`` (a statement ->
``pass``), ``swap`` (two adjacent statements exchanged).

Leaves out: string and bytes constants (sysfs texts and point names: their changes are typos, not
logic), annotations and docstrings (they do not run), and nested function bodies' docstrings.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

OPERATORS = ("arith", "cmp", "bool", "const", "errno", "negate", "delete", "swap")

#: one errno for another (the mirror names errnos by their spec.actions constants)
ERRNO_SWAPS: dict[str, tuple[str, ...]] = {
    "EINVAL": ("EBUSY",), "EBUSY": ("EINVAL", "EAGAIN"), "EAGAIN": ("EBUSY",),
    "EINTR": ("EBUSY",), "EEXIST": ("EBUSY",), "ENODEV": ("EINVAL",), "ENOMEM": ("EINVAL",),
    "EPERM": ("EINVAL",), "ENOSPC": ("ENOMEM",), "ENOENT": ("ENODEV",), "EIO": ("EINVAL",),
}

_ARITH: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.FloorDiv,),
    ast.FloorDiv: (ast.Mult,), ast.Div: (ast.Mult,), ast.Mod: (ast.FloorDiv,),
    ast.BitAnd: (ast.BitOr,), ast.BitOr: (ast.BitAnd,), ast.LShift: (ast.RShift,),
    ast.RShift: (ast.LShift,), ast.BitXor: (ast.BitOr,),
}
_CMP: dict[type, tuple[type, ...]] = {
    ast.Lt: (ast.LtE, ast.GtE), ast.LtE: (ast.Lt, ast.Gt), ast.Gt: (ast.GtE, ast.LtE),
    ast.GtE: (ast.Gt, ast.Lt), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
}
_SYMBOL: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/", ast.Mod: "%",
    ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>", ast.BitXor: "^",
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
    ast.And: "and", ast.Or: "or",
}

#: an edit of one node: it changes the node in place, or returns its replacement
Edit = Callable[[ast.AST], ast.AST | None]


@dataclass(frozen=True)
class Site:
    """One replacement proposed at one node: where, by which operator, and what it does."""

    node: int
    line: int
    col: int
    operator: str
    index: int
    description: str
    edit: Edit


def walk(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` in a fixed pre-order (fields in their declared order)."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(list(ast.iter_child_nodes(n))))
    return out


def skipped(func: ast.FunctionDef) -> set[int]:
    """The ids of the nodes no operator touches: annotations, decorators, docstrings."""
    out: set[int] = set()
    parts: list[ast.AST | None] = [func.returns, *func.decorator_list]
    for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs,
              func.args.vararg, func.args.kwarg):
        if a is not None:
            parts.append(a.annotation)
    for n in walk(func):
        if isinstance(n, ast.AnnAssign):
            parts.append(n.annotation)
        body = getattr(n, "body", None)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body \
                and _is_docstring(body[0]):
            parts.append(body[0])
    for p in parts:
        if p is not None:
            out |= {id(x) for x in walk(p)}
    return out


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def sites(func: ast.FunctionDef) -> list[Site]:
    """Every replacement the operators propose in ``func`` (the function itself is not deleted)."""
    skip = skipped(func)
    out: list[Site] = []
    seen: dict[tuple[int, int, str], int] = {}
    for i, n in enumerate(walk(func)):
        if id(n) in skip:
            continue
        for op, proposals in (("arith", _arith(n)), ("cmp", _cmp(n)), ("bool", _bool(n)),
                              ("const", _const(n)), ("errno", _errno(n)),
                              ("negate", _negate(n)), ("delete", _delete(n, func, skip)),
                              ("swap", _swap(n, skip))):
            for line, col, desc, edit in proposals:
                # nested nodes can start at one place (``a + b + c``): the index tells them apart
                k = seen.get((line, col, op), 0)
                seen[(line, col, op)] = k + 1
                out.append(Site(i, line, col, op, k, desc, edit))
    return out


def apply(twin: ast.FunctionDef, site: Site) -> ast.FunctionDef:
    """``site`` applied to ``twin``, in place: a fresh copy (or a new parse of the same source)
    of the function tree ``site`` was found in."""
    nodes = walk(twin)
    target = nodes[site.node]
    replacement = site.edit(target)
    if replacement is not None:
        _replace(twin, target, replacement)
    ast.fix_missing_locations(twin)
    return twin


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                value[[v is old for v in value].index(True)] = new
                return
    raise ValueError("node not found in its tree")


Proposal = tuple[int, int, str, Edit]


def _at(n: ast.AST) -> tuple[int, int]:
    return getattr(n, "lineno", 0), getattr(n, "col_offset", 0)


def _set_op(new: type) -> Edit:
    def edit(n: ast.AST) -> None:
        n.op = new()  # type: ignore[attr-defined]
    return edit


def _arith(n: ast.AST) -> list[Proposal]:
    if not isinstance(n, (ast.BinOp, ast.AugAssign)) or type(n.op) not in _ARITH:
        return []
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod) and isinstance(n.left, ast.Constant) \
            and isinstance(n.left.value, (str, bytes)):
        return []  # '%x' % v formats a string: not arithmetic
    old = type(n.op)
    return [(*_at(n), f"{_SYMBOL[old]} -> {_SYMBOL[new]}", _set_op(new)) for new in _ARITH[old]]


def _cmp(n: ast.AST) -> list[Proposal]:
    if not isinstance(n, ast.Compare):
        return []
    out: list[Proposal] = []
    for j, op in enumerate(n.ops):
        for new in _CMP.get(type(op), ()):
            def edit(m: ast.AST, j: int = j, new: type = new) -> None:
                m.ops[j] = new()  # type: ignore[attr-defined]
            out.append((*_at(n), f"{_SYMBOL[type(op)]} -> {_SYMBOL[new]}", edit))
    return out


def _bool(n: ast.AST) -> list[Proposal]:
    if isinstance(n, ast.BoolOp):
        new = ast.Or if isinstance(n.op, ast.And) else ast.And
        return [(*_at(n), f"{_SYMBOL[type(n.op)]} -> {_SYMBOL[new]}", _set_op(new))]
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
        return [(*_at(n), "not x -> x", lambda m: m.operand)]  # type: ignore[attr-defined]
    return []


def _const(n: ast.AST) -> list[Proposal]:
    if not isinstance(n, ast.Constant) or isinstance(n.value, (str, bytes)) or n.value is None:
        return []
    v = n.value
    if isinstance(v, bool):
        new: object = not v
    elif isinstance(v, int):
        new = {0: 1, 1: 0}.get(v, v + 1)
    else:
        return []

    def edit(m: ast.AST) -> None:
        m.value = new  # type: ignore[attr-defined]
    return [(*_at(n), f"{v!r} -> {new!r}", edit)]


def _errno(n: ast.AST) -> list[Proposal]:
    if not isinstance(n, ast.Name) or not isinstance(n.ctx, ast.Load) or n.id not in ERRNO_SWAPS:
        return []
    out: list[Proposal] = []
    for new in ERRNO_SWAPS[n.id]:
        def edit(m: ast.AST, new: str = new) -> None:
            m.id = new  # type: ignore[attr-defined]
        out.append((*_at(n), f"{n.id} -> {new}", edit))
    return out


def _negate(n: ast.AST) -> list[Proposal]:
    if not isinstance(n, (ast.If, ast.While, ast.IfExp)):
        return []
    desc = {ast.If: "if c -> if not c", ast.While: "while c -> while not c",
            ast.IfExp: "x if c else y -> x if not c else y"}[type(n)]

    def edit(m: ast.AST) -> None:
        m.test = ast.UnaryOp(ast.Not(), m.test)  # type: ignore[attr-defined]
    return [(*_at(n.test), desc, edit)]


def _delete(n: ast.AST, func: ast.FunctionDef, skip: set[int]) -> list[Proposal]:
    if not isinstance(n, ast.stmt) or n is func or isinstance(n, ast.Pass) or id(n) in skip:
        return []
    first = ast.unparse(n).split("\n", 1)[0]
    return [(*_at(n), f"delete `{first}`", lambda m: ast.Pass())]


def _swap(n: ast.AST, skip: set[int]) -> list[Proposal]:
    out: list[Proposal] = []
    for field in ("body", "orelse", "finalbody"):
        stmts = getattr(n, field, None)
        if not isinstance(stmts, list):
            continue
        for j in range(len(stmts) - 1):
            a, b = stmts[j], stmts[j + 1]
            if id(a) in skip or id(b) in skip or ast.dump(a) == ast.dump(b):
                continue

            def edit(m: ast.AST, field: str = field, j: int = j) -> None:
                body = getattr(m, field)
                body[j], body[j + 1] = body[j + 1], body[j]
            out.append((*_at(a), f"swap lines {a.lineno} and {b.lineno}", edit))
    return out
