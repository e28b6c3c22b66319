"""A patch that fails while importing (a name that does not exist)."""

from spec.kernel.structs import NoSuchThing  # noqa: F401
