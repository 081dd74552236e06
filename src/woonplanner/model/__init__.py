"""The optimisation model: Pyomo build (:mod:`.build`) and HiGHS solve (:mod:`.solve`).

Never reads files and never sees geometry: its only input is a
:class:`~woonplanner.problem.Problem`.
"""

from woonplanner.model.build import MatrixModel, build_matrix, build_model
from woonplanner.model.solve import SolveResult, solve

__all__ = ["MatrixModel", "SolveResult", "build_matrix", "build_model", "solve"]
