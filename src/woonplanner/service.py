r"""Spare places for a service level: utilisation caps from each facility's catchment.

With ``service.level = L`` the plan must place, in a year of fluctuating demand, at least the
share ``L`` of the children within their band (the *fill rate* of inventory theory; checked by
``woonplanner simulate``). The model stays linear: every option ``o`` gets a utilisation cap
:math:`\rho_o \le 1` and its capacity row becomes

.. math::  \sum_{a \in A(o)} d_{g(a)} x_a \le \rho_o\, q_o u_o ,

so the plan holds at least :math:`(1 - \rho_o)` of every facility's places free for the years
with more children than expected. The cap comes from the facility's *catchment*: the groups
that have an arc to it, with expected demand :math:`\mu_o = \sum_{g: (g, o) \in A} d_g`. If
those children were served by a pool of :math:`c` places, the share placed in a year would be
:math:`E[\min(N, c)] / \mu_o` with :math:`N` their random number (Poisson, or negative binomial
with variance :math:`(1 + \alpha)\mu_o` under ``simulate.overdispersion = α``). With
:math:`c^*(\mu_o)` the fewest places for which that share reaches ``L``,

.. math::  \rho_o = \min\left(1,\ \mu_o / c^*(\mu_o)\right).

Exact for a facility that is alone in its catchment; for overlapping catchments an
approximation (each facility is sized as if it served its catchment's pool), which is why the
simulation is the check (benchmarks/RESULTS.md, docs/model.md). Large catchments pool well and
get caps near 1; small ones (a village's foster families) get more spare places.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats

from woonplanner.problem import Problem


def fill_rate_places(mean: float, level: float, *, overdispersion: float = 0.0) -> float:
    """The fewest places ``c`` (real, linear between whole places) with
    ``E[min(N, c)] >= level * mean`` for ``N`` of the given mean (see the module docstring)."""
    if mean <= 0:
        return 0.0
    dist = _distribution(mean, overdispersion)
    sd = np.sqrt(mean * (1.0 + overdispersion))
    top = int(np.ceil(mean + 12.0 * sd + 10.0))
    # E[min(N, c)] for whole c = sum of P(N > k) for k < c.
    expected_min = np.concatenate([[0.0], np.cumsum(dist.sf(np.arange(top)))])
    need = level * mean
    c = int(np.searchsorted(expected_min, need))
    if c == 0:
        return 0.0
    low, high = expected_min[c - 1], expected_min[c]
    return float(c - 1 + (need - low) / (high - low))


def expected_fill_rate(mean: float, places: float, *, overdispersion: float = 0.0) -> float:
    """``E[min(N, places)] / mean`` (places linear between whole numbers)."""
    dist = _distribution(mean, overdispersion)
    whole = int(np.floor(places))
    filled = float(dist.sf(np.arange(whole)).sum())
    filled += (places - whole) * float(dist.sf(whole))
    return filled / mean


def _distribution(mean: float, overdispersion: float):
    if overdispersion == 0:
        return stats.poisson(mean)
    return stats.nbinom(mean / overdispersion, 1.0 / (1.0 + overdispersion))


def catchment_demand(problem: Problem) -> np.ndarray:
    """Expected children of the groups with an arc to each option (``mu_o``)."""
    demand = problem.groups["demand"].to_numpy(dtype=float)
    return np.bincount(
        problem.arcs["option"].to_numpy(),
        weights=demand[problem.arcs["group"].to_numpy()],
        minlength=problem.n_options,
    )


def utilisation_caps(problem: Problem, level: float, *, overdispersion: float = 0.0) -> np.ndarray:
    """``rho_o`` per option for the service level ``level`` (see the module docstring)."""
    mu = catchment_demand(problem)
    caps = np.ones(problem.n_options)
    # Options with the same catchment demand share one quantile computation.
    values, inverse = np.unique(np.round(mu, 9), return_inverse=True)
    rho = np.ones(len(values))
    for k, m in enumerate(values):
        if m > 0:
            c = fill_rate_places(float(m), level, overdispersion=overdispersion)
            rho[k] = min(1.0, m / c) if c > 0 else 1.0
    caps[:] = rho[inverse]
    return caps


def with_service_level(problem: Problem, level: float, *, overdispersion: float = 0.0) -> Problem:
    """``problem`` with the ``utilisation`` column of the caps for ``level``."""
    caps = utilisation_caps(problem, level, overdispersion=overdispersion)
    return replace(problem, options=problem.options.assign(utilisation=caps))
