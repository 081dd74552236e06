"""Write a data folder of synthetic buurten (``woonplanner data split-buurten``).

The split itself is :mod:`woonplanner.data.buurten`; this writes its files the way every folder
of woonplanner is written: whole or not at all, never over a folder woonplanner did not write,
never over its own input (:func:`woonplanner.outputs.files.write_folder`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from woonplanner.data.buurten import MEAN_BUURTEN_PER_WIJK, data_folder_filler
from woonplanner.outputs.files import write_folder


def write_data_folder(
    data_dir: str | Path,
    out: str | Path,
    regions: Iterable[str],
    *,
    seed: int = 0,
    mean_per_wijk: float = MEAN_BUURTEN_PER_WIJK,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Split the wijken of ``regions`` of ``data_dir`` into synthetic buurten and write the data
    folder ``out`` (:func:`woonplanner.data.buurten.data_folder_filler` says what it holds).

    Returns
    -------
    Path
        ``out``, resolved.
    """
    fill = data_folder_filler(
        data_dir, regions, seed=seed, mean_per_wijk=mean_per_wijk, progress=progress
    )
    return write_folder(out, fill, force=force, inputs=[data_dir])
