"""Z3 engines."""
