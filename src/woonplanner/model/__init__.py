"""The optimisation model: the formulation as data (:mod:`.formulation`, :mod:`.build`), its
HiGHS and Pyomo renderings (:mod:`.highs_model`, :mod:`.pyomo_model`) and the staged solve
(:mod:`.solve`).

Never reads files and never sees geometry: its only input is a
:class:`~woonplanner.problem.Problem`.
"""

from woonplanner.model.build import MatrixModel, build_matrix, build_model, formulate
from woonplanner.model.highs_model import write_model
from woonplanner.model.pyomo_model import SolverUnavailableError
from woonplanner.model.solve import SolveResult, check_solver, solve

__all__ = [
    "MatrixModel",
    "SolveResult",
    "SolverUnavailableError",
    "build_matrix",
    "build_model",
    "check_solver",
    "formulate",
    "solve",
    "write_model",
]
