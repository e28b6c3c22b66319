"""The spec states a trace passes through, for formats that show states (ITF, shell checks).

A Trace records actions and observations, not states; the states come from replaying its
actions through the spec of its profile. A trace that does not replay (one found on a patched
kernel mirror that the spec disagrees with) cannot be shown with states: :class:`TraceError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.formats.traces import Trace, describe, visible
from spec.errors import ActionError, MemhpError, TraceError


@dataclass(frozen=True)
class Stop:
    """Where the replay of a trace through the spec stopped: at ``step`` (1-based; 0 for a
    profile the spec does not model), ``why`` is ``profile``, ``not possible`` (the action is
    not enabled; ``detail`` says why) or ``differs`` (``got``/``want``: what the spec showed
    and what the trace recorded)."""

    step: int
    label: str
    why: str
    detail: str = ""
    got: str = ""
    want: str = ""


def replay_spec(trace: Trace) -> tuple[list[Any], Any, Stop | None]:
    """The spec states of ``trace`` as far as it replays: (states, model, stop); ``states[0]``
    the state after boot, ``model`` None when the profile is not one the spec models, ``stop``
    None when every step replayed."""
    from checker.model import SpecModel

    try:
        model = SpecModel(trace.world.with_profile(trace.profile))
    except MemhpError as e:  # a profile memhp does not know
        return [], None, Stop(0, "", "profile", str(e))
    state = model.initial()[0]
    out = [state]
    for i, st in enumerate(trace.steps, 1):
        try:
            state, obs = model.step(state, st.action)
        except ActionError as e:
            return out, model, Stop(i, st.action.label(), "not possible", str(e))
        if obs.core() != st.obs.core():
            return out, model, Stop(i, st.action.label(), "differs", got=describe(obs),
                                    want=describe(st.obs))
        out.append(state)
    return out, model, None


def spec_states(trace: Trace, source: str = "<trace>") -> list[Any]:
    """The spec State before the first step and after each step of ``trace``; TraceError (one
    line naming ``source``) where it does not replay."""
    states, model, stop = replay_spec(trace)
    if stop is None:
        return states
    if stop.why == "profile":
        raise TraceError(visible(f"{source}: {stop.detail}"))
    if stop.why == "not possible":
        raise TraceError(visible(f"{source}: step {stop.step} ({stop.label}) does not replay "
                                 f"through {model.name}: {stop.detail}"))
    raise TraceError(visible(f"{source}: step {stop.step} ({stop.label}) shows {stop.got} "
                             f"on {model.name}, the trace says {stop.want}"))
