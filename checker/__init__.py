"""memhp-check's engines and tool: the explorer, Hypothesis lockstep tests, traces, reports and
the ``memhp`` command. The checker uses ``spec``; ``spec`` never imports the checker."""
