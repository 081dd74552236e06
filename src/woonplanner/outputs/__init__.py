"""Run outputs: the run folder, maps, reports and comparisons. Never imports Pyomo."""
