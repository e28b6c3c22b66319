"""Frame-complete updates of the state symbols for one transition of the parametric model.

A transition names what it changes; :meth:`Upd.formula` says that everything else stays. Point
updates (``f(a) := v``) become a universally quantified frame for the other arguments and one
ground equation, so a value that holds a quantifier stays outside every universal quantifier
(the formula remains in the EPR fragment). Ghost flags accumulate: a flag is set when any of its
conditions holds and is never cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

from checker.engines.smt.parametric.vocab import STATE, Vocab


class Upd:
    def __init__(self, pre: Vocab, post: Vocab) -> None:
        self.pre, self.post = pre, post
        self.points: dict[str, list[tuple[tuple[Any, ...], Any]]] = {}
        self.fns: dict[str, Callable[..., Any]] = {}
        self.flags: dict[str, list[Any]] = {}

    def pt(self, name: str, args: tuple[Any, ...], value: Any) -> None:
        """``name(args) := value``; at most one point update per symbol and transition."""
        if name in self.points or name in self.fns:
            raise AssertionError(f"{name} updated twice in one transition")
        self.points[name] = [(args, value)]

    def fn(self, name: str, f: Callable[..., Any]) -> None:
        """``name(xs) := f(xs)`` for all arguments (``f`` must be quantifier-free)."""
        if name in self.points or name in self.fns:
            raise AssertionError(f"{name} updated twice in one transition")
        self.fns[name] = f

    def flag(self, name: str, cond: Any) -> None:
        self.flags.setdefault(name, []).append(cond)

    def formula(self) -> Any:
        pre, post, sig = self.pre, self.post, self.pre.sig
        out = []
        for name, (args, _rng) in STATE.items():
            f0, f1 = pre.syms[name], post.syms[name]
            if not args:
                if name in self.flags:
                    out.append(f1 == z3.Or(f0, *self.flags[name]))
                elif name in self.points:
                    out.append(f1 == self.points[name][0][1])
                else:
                    out.append(f1 == f0)
                continue
            xs = [z3.Const(f"x{i}_{name}", sig.sort(a)) for i, a in enumerate(args)]
            if name in self.fns:
                out.append(z3.ForAll(xs, f1(*xs) == self.fns[name](*xs)))
            elif name in self.points:
                (pargs, value), = self.points[name]
                same = z3.And(*[x == a for x, a in zip(xs, pargs)])
                out.append(z3.ForAll(xs, z3.Implies(z3.Not(same), f1(*xs) == f0(*xs))))
                out.append(f1(*pargs) == value)
            else:
                out.append(z3.ForAll(xs, f1(*xs) == f0(*xs)))
        return z3.And(*out)
