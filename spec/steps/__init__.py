"""The spec's transition relation, written once (design.md section 1, "One definition, two
interpretations").

Models: every step of every profile (spec/STEPS.md) as a method of :class:`Steps` over the step
context of :mod:`spec.steps.ctx`: :meth:`Steps.start` (an action that starts an operation, or a
read), :meth:`Steps.advance` (a thread's next step) and the handlers ``h_<pc>`` they dispatch to.
``spec.model`` interprets them on concrete states (``step``); ``checker.engines.smt.symbolic`` on Z3
terms (the transition relation of BMC, k-induction and the AIGER export). A spec mutant is a
subclass of :class:`Steps` that redefines a method; both interpretations take the class, so a
mutant is written once.

The modules: :mod:`~spec.steps.core` (starts, scheduling, the chains and callbacks, hot-add),
:mod:`~spec.steps.pages` (online_pages / offline_pages after the GOING chain),
:mod:`~spec.steps.memory34` (the state_mutex lock model of 3.4 and 3.8),
:mod:`~spec.steps.device` (the device_hotplug lock model of 4.13+), and
:mod:`~spec.steps.node_notifier` (6.17's NUMA node notifier). Which of them a profile takes is
decided by its flags (spec/profiles.py), one flag per behaviour.

Leaves out: what spec/model.py's docstring lists.
"""

from __future__ import annotations

from spec.steps.core import EVENTS, GOING_EVENTS, Core
from spec.steps.ctx import CONTROL, Ctx, Infeasible, Reader, Val
from spec.steps.device import Device
from spec.steps.memory34 import Memory34
from spec.steps.node_notifier import NodeNotifier


class Steps(NodeNotifier, Device, Memory34):
    """Every step of one profile on one world."""


__all__ = ["CONTROL", "Core", "Ctx", "EVENTS", "GOING_EVENTS", "Infeasible", "Reader", "Steps", "Val"]
