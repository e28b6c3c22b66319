"""The compiled explorer: the spec's one transition relation, with the Monitor's history,
generated as Python over packed states for one world and profile (docs/design.md section 1).

notes.py the relation's paths with the history findings and twins each reports; pack.py the
bit layout of a search state; codegen.py the generated module; engine.py the breadth-first
search on it, which gives the interpreted explorer's result (checker.engines.explore).
"""
