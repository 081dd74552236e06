"""The researcher's notebook runs top to bottom on the real data.

``notebooks/open_data_region.ipynb`` is executed with nbclient in a fresh kernel started from
this interpreter (so it sees the installed woonplanner). It reads ``../shared/data/nl`` (or
``$WOONPLANNER_SHARED_DATA/nl``) and is skipped with a reason when that is absent. The notebook
is kept in git without outputs (checked here, data or not); the run executes an in-memory copy
and never writes it back.
"""

from __future__ import annotations

import pytest
from conftest import NL, REPO

NOTEBOOK = REPO / "notebooks" / "open_data_region.ipynb"
#: Per cell: the two plans of the notebook take a few seconds each; a hung kernel fails fast.
CELL_TIMEOUT_S = 120


def test_notebook_is_committed_without_outputs() -> None:
    """Outputs (a map is ~200 kB of HTML) would make every diff of the notebook unreadable."""
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    with_output = [i for i, c in enumerate(code) if c.outputs or c.execution_count is not None]
    assert not with_output, f"code cells {with_output} have outputs: clear them before committing"


@pytest.mark.shared_data
@pytest.mark.skipif(not NL.is_dir(), reason="../shared/data not found; set WOONPLANNER_SHARED_DATA")
def test_notebook_runs_top_to_bottom() -> None:
    """Every cell runs without error; the plans, tables, map and comparison come out."""
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the dev extra")
    pytest.importorskip("ipykernel", reason="ipykernel is in the dev extra")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        # The kernel starts in notebooks/, as Jupyter would start it.
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell

    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                texts.append(out.text)
            elif out.output_type == "execute_result":
                texts.append(out.data.get("text/plain", ""))
                texts.append(out.data.get("text/html", ""))
    text = "\n".join(texts)
    # Both plans were solved (proven optimal or at least with a plan) and reported.
    assert text.count("status:") == 2
    # The comparison table has the changed rate in its header and the KPI rows.
    assert "children_unplaced" in text
    assert "annual_cost_eur" in text
    # The map rendered as HTML (folium's iframe), not as an error or a bare repr.
    assert "leaflet" in text.lower()
