"""The spec states a trace passes through, for formats that show states (ITF, shell checks).

A Trace records actions and observations, not states; the states come from replaying its
actions through the spec of its profile. A trace that does not replay (one found on a patched
kernel mirror that the spec disagrees with) cannot be shown with states: :class:`TraceError`.
"""

from __future__ import annotations

from typing import Any

from checker.formats.traces import Trace, describe, visible
from spec.errors import ActionError, TraceError, WorldError


def spec_states(trace: Trace, source: str = "<trace>") -> list[Any]:
    """The spec State before the first step and after each step of ``trace``."""
    from checker.model import SpecModel

    try:
        model = SpecModel(trace.world.with_profile(trace.profile))
    except WorldError as e:  # a profile memhp does not know
        raise TraceError(visible(f"{source}: {e}")) from None
    state = model.initial()[0]
    out = [state]
    for i, st in enumerate(trace.steps, 1):
        try:
            state, obs = model.step(state, st.action)
        except ActionError as e:
            raise TraceError(visible(f"{source}: step {i} ({st.action.label()}) does not replay "
                                   f"through {model.name}: {e}")) from None
        if obs.core() != st.obs.core():
            raise TraceError(visible(f"{source}: step {i} ({st.action.label()}) shows {describe(obs)} "
                                   f"on {model.name}, the trace says {describe(st.obs)}"))
        out.append(state)
    return out
