"""woonplanner: plan small-scale out-of-home housing for children in Dutch youth care regions.

The Python API mirrors the command line::

    import woonplanner
    scenario = woonplanner.load_scenario("scenarios/demo.toml")
    plan = woonplanner.run(scenario, out="runs/demo")
    plan.facilities                 # a table per site and type
    woonplanner.plan_map(plan)      # a Folium map (shows inline in Jupyter)
"""

from woonplanner import _blas  # noqa: F401  (first: one BLAS thread, before numpy loads)
from woonplanner.outputs.maps import plan_map
from woonplanner.plan import Plan
from woonplanner.runner import run
from woonplanner.scenario import Scenario, load_scenario

__all__ = ["Plan", "Scenario", "load_scenario", "plan_map", "run"]
__version__ = "0.1.0"
