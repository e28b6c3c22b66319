"""Real machines against the spec: read a sysfs tree or snapshot (source), write snapshots
(snapshot), audit a view with the pure rules of :mod:`spec.audit` (run), load a snapshot back as
a spec World (world), and draw the link graph (graph, networkx)."""
