"""The spec states a trace passes through, for formats that show states (ITF, shell checks).

A Trace records actions and observations, not states; the states come from replaying its
actions through the spec of its profile. A trace that does not replay (one found on a patched
kernel mirror that the spec disagrees with) cannot be shown with states: :class:`TraceError`.
"""

from __future__ import annotations

from typing import Any

from checker.formats.traces import Trace, describe
from spec.errors import ActionError, TraceError, WorldError


def _line(message: str) -> str:
    """An error message on one line: what the trace says (a file name, a choice, a callback)
    may hold a newline or a byte that is not UTF-8."""
    from checker.formats.steps import visible

    return visible(message)


def spec_states(trace: Trace, source: str = "<trace>") -> list[Any]:
    """The spec State before the first step and after each step of ``trace``."""
    from checker.model import SpecModel

    try:
        model = SpecModel(trace.world.with_profile(trace.profile))
    except WorldError as e:  # a profile memhp does not know
        raise TraceError(_line(f"{source}: {e}")) from None
    state = model.initial()[0]
    out = [state]
    for i, st in enumerate(trace.steps, 1):
        try:
            state, obs = model.step(state, st.action)
        except ActionError as e:
            raise TraceError(_line(f"{source}: step {i} ({st.action.label()}) does not replay "
                                   f"through {model.name}: {e}")) from None
        if obs.core() != st.obs.core():
            raise TraceError(_line(f"{source}: step {i} ({st.action.label()}) shows {describe(obs)} "
                                   f"on {model.name}, the trace says {describe(st.obs)}"))
        out.append(state)
    return out
