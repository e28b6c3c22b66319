"""Subcommands of ``memhp`` beyond the core four, one module each.

A module here defines ``register(sub, common)``: it adds its parser to ``sub`` (calling
``common(parser)`` for --profile/--world/--json where they apply) and sets ``func`` to a callable
that takes the parsed arguments and returns the exit code. checker.cli finds them by listing this
package, so a new command touches no other file.
"""
