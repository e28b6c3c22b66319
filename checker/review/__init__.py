"""Reviewing kernel changes: the behavioural diff's reports and ``memhp review`` of a patched
kernel mirror (checker.review.diff does the exploration)."""
