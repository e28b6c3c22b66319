"""The subcommands of ``memhp``, one module each (``common`` holds what they share).

A command module defines ``register(sub, common)``: it adds its parser to ``sub`` (calling
``common(parser)`` for --profile/--world/--json where they apply) and sets ``func`` to a callable
that takes the parsed arguments and returns the exit code. checker.cli registers the modules
named in :data:`COMMANDS`, in that order (the order of ``memhp --help``).
"""

COMMANDS = ("verify", "explore", "replay", "trace", "audit", "conform", "diff", "export", "prove",
            "review", "mutate", "snapshot", "report", "invariants", "explain", "completion")
