"""One BLAS thread, set before numpy is imported (``import woonplanner`` does it first).

OpenBLAS splits a long dot product (``costs @ x`` over a jeugdregio's 100,000 columns) over its
threads and adds the parts: with two threads the sum is rounded differently than with one, so
the last digit of an objective or a child-km figure would depend on the machine's cores, and
differ between this process and a Dask worker (which runs with one BLAS thread). Measured
2026-12-03: a dot of 13,577 terms gave 3409.1580761895057 with one thread, …506 with two. With
one thread everywhere the figures are the same to the bit on any machine. The solver's threads
are HiGHS' own (``solver.threads``), not BLAS's, and nothing in woonplanner needs a threaded
BLAS. A process that imported numpy before woonplanner keeps its own setting.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
