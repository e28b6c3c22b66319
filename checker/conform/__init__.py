"""``memhp conform``: the model's traces replayed on a real Linux 6.1 kernel under QEMU.

Modules: ``kit`` (kernel and initramfs, built once in a cache folder), ``qmp`` (the QEMU Machine
Protocol), ``machine`` (one QEMU guest, its agent and its reaping), ``predict`` (the v6.1 spec's
predictions for a trace), ``suite`` (traces generated from the model), ``run`` (replay and
comparison), ``report`` (reports/conformance.md and JSON).
"""
