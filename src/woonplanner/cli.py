"""The ``woonplanner`` command line (SPEC §6).

Exit codes: 0 plan written; 2 invalid input (scenario or data); 3 infeasible, with a diagnosis;
4 no feasible plan within the time limit; 1 anything unexpected. No traceback unless
``--debug``.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from woonplanner.errors import WoonplannerError
from woonplanner.outcome import Outcome


def _flag_without_type(option: typer.core.TyperOption, ctx: Any) -> str | None:
    """A flag's help line without Typer's ``<bool>``: a flag takes no value, so the type
    tells the reader nothing (and ``--force <bool>`` suggests ``--force true``)."""
    if option.is_flag:
        return None
    return _TYPE_OF_OPTION(option, ctx)


# Typer 0.29 shows "<bool>" for every flag (--help included); this is the one place that drops it.
_TYPE_OF_OPTION = typer.core.TyperOption.display_type_rich
typer.core.TyperOption.display_type_rich = _flag_without_type  # type: ignore[assignment]

app = typer.Typer(
    name="woonplanner",
    help="Plan small-scale out-of-home housing for children (pleeggezinnen, gezinshuizen, "
    "woongroepen) per neighbourhood.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
benchmark_app = typer.Typer(help="Benchmarks of the optimisation core.", no_args_is_help=True)
app.add_typer(benchmark_app, name="benchmark")
data_app = typer.Typer(help="Tools for input data folders.", no_args_is_help=True)
app.add_typer(data_app, name="data")

_state: dict[str, Any] = {"debug": False}

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override one scenario key, its value read as TOML: --set demand.rate_per_1000=8",
    ),
]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Folder with CBS open data (sets data.dir).")
]
ScenarioArgument = Annotated[
    str | None,
    typer.Argument(help="Scenario TOML file (or a name in scenarios/); default: the demo."),
]
TimeLimitOption = Annotated[
    float | None, typer.Option("--time-limit", help="Solver time limit in seconds.")
]
LangOption = Annotated[str | None, typer.Option("--lang", help="Language of the pages: nl or en.")]
JobsOption = Annotated[
    int, typer.Option("--jobs", help="Local Dask worker processes (1: no cluster, run here).")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Address of a running Dask scheduler, e.g. tcp://host:8786."),
]


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    """Plan small-scale out-of-home housing for children per neighbourhood."""
    _state["debug"] = debug
    if not debug:
        ctx.with_resource(_plain_own_warnings())
    if threading.current_thread() is threading.main_thread():
        # SIGTERM takes the Ctrl-C path: the solve is cancelled and the temporary run folder
        # removed, so a stopped run leaves nothing behind.
        signal.signal(signal.SIGTERM, _terminate)
        # A closed terminal (SIGHUP) ends the same way: 130, nothing written.
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, _terminate)


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _plain_own_warnings() -> Iterator[None]:
    """While a command runs, print woonplanner's own warnings as one ``Warning: …`` line.

    They are notices for the user (points that fell back to a straight line, a cache that could
    not be written), not for a developer: the source line Python adds means nothing on the
    command line. Other libraries' warnings are shown as usual; warning filters still apply.
    The data readers' logged notices (suppressed CBS percentages) read the same way: before,
    they were a bare line between the progress lines.
    """
    original = warnings.showwarning
    logger = logging.getLogger("woonplanner")
    handler = _WarningLines(logging.WARNING)

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if category.__module__.partition(".")[0] == "woonplanner":
            _warning_line(str(message))
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    logger.addHandler(handler)
    try:
        yield
    finally:
        warnings.showwarning = original
        logger.removeHandler(handler)


def _warning_line(text: str) -> None:
    """One of woonplanner's notices as the command line prints it."""
    typer.secho(f"Warning: {text}", fg=typer.colors.YELLOW, err=True)


class _WarningLines(logging.Handler):
    """A logged warning of woonplanner's as a ``Warning: …`` line on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        _warning_line(record.getMessage())


def _progress(start: float) -> Callable[[str], None]:
    def say(message: str) -> None:
        typer.echo(f"[{time.perf_counter() - start:6.1f} s] {message}", err=True)

    return say


def _fail(err: BaseException) -> None:
    """Print an error the way a user needs it and exit with its code."""
    if _state["debug"]:
        traceback.print_exception(err, file=sys.stderr)
    if isinstance(err, WoonplannerError):
        typer.secho(f"Error: {err}", fg=typer.colors.RED, err=True)
        raise typer.Exit(err.exit_code)
    if isinstance(err, KeyboardInterrupt):
        typer.secho("Interrupted; nothing was written.", fg=typer.colors.RED, err=True)
        raise typer.Exit(Outcome.INTERRUPTED.exit_code)
    typer.secho(
        f"Unexpected error: {type(err).__name__}: {err}\n"
        "Run again with --debug for the traceback, and report it with the scenario used.",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(Outcome.ERROR.exit_code)


def _scenario(
    scenario: str | None,
    overrides: list[str] | None,
    data_dir: Path | None,
    flags: list[tuple[str, str, Any]],
):
    from woonplanner.scenario import load_scenario

    return load_scenario(scenario, overrides=overrides or [], data_dir=data_dir, flags=flags)


def _flags(time_limit: float | None, lang: str | None) -> list[tuple[str, str, Any]]:
    """The options that set one scenario key each, as ``load_scenario``'s ``flags``."""
    flags: list[tuple[str, str, Any]] = []
    if time_limit is not None:
        flags.append(("--time-limit", "solver.time_limit_s", time_limit))
    if lang is not None:
        flags.append(("--lang", "output.lang", lang))
    return flags


@app.command()
def run(
    scenario: ScenarioArgument = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run folder to write (default runs/<name>).")
    ] = None,
    set_: SetOption = None,
    data_dir: DataDirOption = None,
    time_limit: TimeLimitOption = None,
    lang: LangOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing run folder.")] = False,
) -> None:
    """Plan a scenario and write the run folder (plan.gpkg, CSVs, kpis.json, map.html, …)."""
    from woonplanner.outputs.vocabulary import region_counts
    from woonplanner.runner import run as run_plan

    start = time.perf_counter()
    flags = _flags(time_limit, lang)
    try:
        sc = _scenario(scenario, set_, data_dir, flags)
        folder = (out or Path("runs") / sc.name).resolve()
        plan = run_plan(sc, out=folder, force=force, progress=_progress(start))
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    region = plan.kpis["region"]
    status = plan.kpis["status"]
    gap = plan.kpis.get("mip_gap")
    counts = region_counts(plan.neighbourhoods, plan.flows, sc.output.privacy_threshold)
    typer.echo(
        _plan_outcome(status, gap)
        # The children as every page shows them: whole, adding up, and a small count "<5"
        # with nothing beside it that gives it away (docs/privacy.md).
        + f": {counts['children_placed']} of {counts['children_demand']} children "
        f"placed, {counts['children_unplaced']} unplaced, "
        f"mean {region['mean_km'] or 0:.1f} km."
    )
    missing = [g["code"] for g in plan.kpis["gemeenten"] if not g["norm_met"]]
    typer.echo(
        "1-per-40,000 norm met in every gemeente."
        if not missing
        else f"1-per-40,000 norm NOT met in: {', '.join(missing)}."
    )
    typer.echo(f"Run folder: {folder}")
    typer.echo(f"Map: {folder / 'map.html'}")


def _plan_outcome(status: str, gap: float | None) -> str:
    """The start of the final sentence of ``run``, in a planner's words.

    Examples
    --------
    >>> _plan_outcome("optimal", 0.0006)
    'Plan optimal'
    >>> _plan_outcome("time_limit", 0.0636)
    'Plan found within the time limit (not proven optimal, gap 6.36 %)'
    """
    if status == Outcome.OPTIMAL:
        return "Plan optimal"
    if status == Outcome.TIME_LIMIT:
        return "Plan found within the time limit (not proven optimal" + (
            f", gap {100 * gap:.2f} %)" if gap else ")"
        )
    return f"Plan ({status})"


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file.")],
    set_: SetOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Check a scenario and its data; solve nothing, write nothing."""
    from woonplanner.outputs.vocabulary import format_total
    from woonplanner.region import load_region
    from woonplanner.runner import read_demand

    try:
        sc = _scenario(scenario, set_, data_dir, [])
        region = load_region(sc)
        demand, _, region = read_demand(sc, region)
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    nb = region.neighbourhoods
    n_gemeenten = nb["gemeente"].nunique()
    # As the pages show a count of children: whole, "<5" below the threshold.
    needing = format_total(float(demand["children"].sum()), sc.output.privacy_threshold, None, "en")
    typer.echo(
        f"Scenario {sc.name!r} is valid: {len(nb)} neighbourhoods in {n_gemeenten} "
        f"gemeente{'' if n_gemeenten == 1 else 'n'}, {int(nb['inhabitants'].sum()):,} inhabitants, "
        f"{int(region.stock['units'].sum())} units of stock, "
        f"{needing} children needing a place."
    )


@app.command()
def export(
    scenario: ScenarioArgument = None,
    out: Annotated[Path, typer.Option("--out", help="File to write.")] = Path("model.mps"),
    file_format: Annotated[
        str, typer.Option("--format", help="mps or lp (HiGHS' writer; any solver reads both).")
    ] = "mps",
    set_: SetOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the scenario's full model (every row, the weighted objective) as MPS or LP."""
    from woonplanner.errors import ScenarioError
    from woonplanner.model import formulate, write_model
    from woonplanner.runner import prepare

    start = time.perf_counter()
    try:
        if file_format not in ("mps", "lp"):
            raise ScenarioError(f"--format {file_format!r}: use mps or lp")
        sc = _scenario(scenario, set_, data_dir, [])
        problem = prepare(sc, progress=_progress(start)).problem
        mm = write_model(formulate(problem), out, file_format)
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    typer.echo(
        f"Model written: {out} ({file_format}, {mm.n_cols:,} columns of which "
        f"{int(mm.integer.sum()):,} integer, {mm.n_rows:,} rows)."
    )


@app.command()
def compare(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Two to four run folders (woonplanner run --out); the first is the "
            "reference the others are compared with."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default runs/compare).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of compare.html: nl or en.")] = "nl",
) -> None:
    """Compare 2-4 runs: synchronised maps and KPI differences (compare.html, compare.csv)."""
    from woonplanner.errors import InputDataError
    from woonplanner.outputs.compare import compare_runs

    try:
        if lang not in ("nl", "en"):
            msg = f"--lang: must be nl or en, got {lang!r}"
            raise InputDataError(msg)
        folder = compare_runs(
            run_dirs, (out or Path("runs") / "compare").resolve(), force=force, lang=lang
        )
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    typer.echo(f"Compared {len(run_dirs)} runs: {', '.join(str(d) for d in run_dirs)}")
    typer.echo(f"Compare folder: {folder}")
    typer.echo(f"Open: {folder / 'compare.html'}")


@app.command()
def sweep(
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            metavar="KEY=V1,V2,…",
            help="KEY=V1,V2,…: plan once per value, e.g. objective.km_weight_eur=0,500,1000,5000",
        ),
    ],
    scenario: ScenarioArgument = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default runs/<name>-sweep).")
    ] = None,
    set_: SetOption = None,
    data_dir: DataDirOption = None,
    time_limit: TimeLimitOption = None,
    lang: LangOption = None,
    jobs: JobsOption = 1,
    scheduler: SchedulerOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
) -> None:
    """Plan a scenario once per value of one key: sweep.csv and the cost-proximity curve."""
    from woonplanner.errors import ScenarioError
    from woonplanner.outcome import exit_code
    from woonplanner.outputs.files import check_out_dir
    from woonplanner.outputs.sweep import write_sweep
    from woonplanner.sweep import parse_vary
    from woonplanner.sweep import sweep as run_sweep

    start = time.perf_counter()
    flags = _flags(time_limit, lang)
    try:
        if len(vary) > 1:
            msg = f"--vary given {len(vary)} times; a sweep varies one key"
            raise ScenarioError(msg)
        key, values = parse_vary(vary[0])
        sc = _scenario(scenario, set_, data_dir, flags)
        folder = (out or Path("runs") / f"{sc.name}-sweep").resolve()
        check_out_dir(folder, force=force, inputs=sc.input_paths())
        table = run_sweep(
            scenario,
            key,
            values,
            overrides=set_ or [],
            data_dir=data_dir,
            flags=flags,
            progress=_progress(start),
            jobs=jobs,
            scheduler=scheduler,
        )
        write_sweep(folder, table, key, scenario=sc, force=force)
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    planned = int(table["annual_cost_eur"].notna().sum())
    typer.echo(f"Planned {planned} of {len(table)} values of {key}: {folder / 'sweep.csv'}")
    typer.echo(f"Curve: {folder / 'sweep.html'}")
    # Like run-all: values without a plan set the exit code; the others are written.
    code = exit_code(table["status"])
    if code:
        raise typer.Exit(code)


@app.command("run-all")
def run_all(
    scenario: Annotated[
        str, typer.Argument(help="Scenario TOML file, e.g. scenarios/jeugdregio.toml.")
    ],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Folder with CBS open data.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for one run per region + summary.")],
    jobs: JobsOption = 1,
    scheduler: SchedulerOption = None,
    regions: Annotated[
        str | None, typer.Option("--regions", help="Comma-separated codes (default: all 42).")
    ] = None,
    set_: SetOption = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver time limit per region (s).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
) -> None:
    """Plan every jeugdregio (or --regions) and write regions.csv and national_map.html."""
    from woonplanner.batch import run_all as plan_all
    from woonplanner.outcome import exit_code

    start = time.perf_counter()
    flags = _flags(time_limit, None)
    codes = [c.strip() for c in regions.split(",") if c.strip()] if regions else None
    try:
        summary = plan_all(
            scenario,
            data_dir=data_dir,
            out=out,
            regions=codes,
            overrides=list(set_ or []),
            flags=flags,
            jobs=jobs,
            scheduler=scheduler,
            force=force,
            progress=_progress(start),
        )
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    status = summary["status"]
    optimal = int((status == Outcome.OPTIMAL).sum())
    limited = int((status == Outcome.TIME_LIMIT).sum())
    typer.echo(
        f"{optimal} of {len(summary)} regions optimal, {limited} with a time-limited plan "
        f"(gap in regions.csv); summary: {out.resolve() / 'regions.csv'}"
    )
    typer.echo(f"Map: {out.resolve() / 'national_map.html'}")
    # Like a single run: a time-limited plan is a plan (0); regions without one set the code.
    code = exit_code(status)
    if code:
        raise typer.Exit(code)


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8765,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to bind (default 127.0.0.1, this machine only); any other address "
            "prints a one-time access token that every request must carry.",
        ),
    ] = "127.0.0.1",
    data_dir: DataDirOption = None,
    runs: Annotated[
        Path, typer.Option("--runs", help="Runs folder: plans, comparisons, sweeps, uploads.")
    ] = Path("runs"),
) -> None:
    """A planner's workbench in the browser: plan, change assumptions, compare, sweep."""
    from woonplanner.serve import serve as run_server

    try:
        run_server(host=host, port=port, runs=runs, data_dir=data_dir, echo=typer.echo)
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)


@app.command()
def simulate(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (woonplanner run --out).")],
    draws: Annotated[
        int | None, typer.Option("--draws", help="Years of demand to draw (default 500).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default RUN_DIR/simulate).")
    ] = None,
    jobs: JobsOption = 1,
    scheduler: SchedulerOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
) -> None:
    """Check a plan against fluctuating demand: its service level over many demand draws."""
    from woonplanner.simulate import simulate_run

    start = time.perf_counter()
    try:
        summary = simulate_run(
            run_dir,
            draws=draws,
            seed=seed,
            out=out,
            jobs=jobs,
            scheduler=scheduler,
            force=force,
            progress=_progress(start),
        )
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    region = summary["region"]
    typer.echo(
        f"Service level {100 * region['service_level']:.1f} % over {region['draws']} draws "
        f"(5th percentile {100 * region['service_level_p5']:.1f} %; every child placed in "
        f"{100 * region['share_all_placed']:.0f} % of the draws)"
    )
    folder = (out or run_dir / "simulate").resolve()
    typer.echo(f"Page: {folder / 'simulate.html'}")


@benchmark_app.command("orlib")
def benchmark_orlib(
    files: Annotated[
        list[Path], typer.Argument(help="OR-Library files: cap41.txt … capc.txt, pmed1.txt …")
    ],
    optima: Annotated[
        Path | None,
        typer.Option(
            "--optima", help="optima.tsv or pmedopt.txt (default: the one next to each file)."
        ),
    ] = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="One JSON object per line instead of a table.")
    ] = False,
    single_source: Annotated[
        bool, typer.Option("--single-source", help="Serve each customer from one site.")
    ] = False,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds per instance.")
    ] = None,
) -> None:
    """Solve OR-Library instances and compare with their published optima."""
    from woonplanner.orlib import format_rows, run_benchmark

    try:
        rows = run_benchmark(
            files, optima=optima, single_source=single_source, time_limit=time_limit
        )
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    typer.echo(format_rows(rows, json=json_lines))
    off = [r for r in rows if r.get("optimum") is not None and r.get("status") != "optimal"]
    if off:
        raise typer.Exit(4)


@data_app.command("split-buurten")
def data_split_buurten(
    data_dir: Annotated[
        Path, typer.Argument(help="CBS data folder with the wijken, e.g. ../shared/data/nl.")
    ],
    regions: Annotated[
        str, typer.Option("--regions", help="Comma-separated jeugdregio codes, e.g. JZ02,JZ15.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Data folder to write.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random split.")] = 0,
    per_wijk: Annotated[
        float | None,
        typer.Option(
            "--per-wijk",
            help="Buurten per average wijk (default 4.26, the 2024 Wijk- en Buurtkaart's); "
            "larger makes a larger benchmark.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
) -> None:
    """Split the wijken of jeugdregio's into SYNTHETIC buurten: a data folder for the buurt
    level (a scale benchmark, not CBS data; docs/buurten.md)."""
    from woonplanner.data.buurten import MEAN_BUURTEN_PER_WIJK
    from woonplanner.outputs.datafolder import write_data_folder

    start = time.perf_counter()
    codes = [c.strip() for c in regions.split(",") if c.strip()]
    try:
        folder = write_data_folder(
            data_dir,
            out,
            codes,
            seed=seed,
            mean_per_wijk=MEAN_BUURTEN_PER_WIJK if per_wijk is None else per_wijk,
            force=force,
            progress=_progress(start),
        )
    except (Exception, KeyboardInterrupt) as err:
        _fail(err)
        return
    typer.echo(f"Data folder: {folder} (synthetic buurten; only {', '.join(codes)})")
    typer.echo(
        f"Plan it: woonplanner run scenarios/jeugdregio.toml --data-dir {folder} "
        f"--set region.jeugdregio={codes[0]} --set region.level=buurt"
    )


if __name__ == "__main__":  # pragma: no cover
    app()
