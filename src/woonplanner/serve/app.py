"""The workbench's pages: plan, progress, runs, compare, sweep (a Starlette app).

Every page is rendered on the server from ``templates/serve/`` and works without any asset from
the internet; ``static/`` holds the app's own small script and style sheet. The app reads and
writes nothing but the runs folder: uploads go to ``RUNS/uploads/``, every plan, comparison and
sweep is a command-line process writing ``RUNS/<name>/`` (see :mod:`woonplanner.serve.jobs`).

The few places that read a run folder or know the outcome of a run are :func:`read_folder`
and :mod:`woonplanner.serve.jobs`' :class:`Outcome`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import secrets
import tomllib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from woonplanner.errors import WoonplannerError
from woonplanner.outputs.vocabulary import figures_shown
from woonplanner.scenario import SCENARIO_DIR, Scenario, load_scenario
from woonplanner.serve.form import (
    FORM_SECTIONS,
    UPLOAD_KEYS,
    FormField,
    FormSection,
    form_fields,
    overrides_from_form,
    problems_by_key,
    scenario_form,
    show_value,
    toml_text,
)
from woonplanner.serve.jobs import JobQueue, JobState, Outcome, cli_command

HERE = Path(__file__).resolve().parent
#: Name of the access-token cookie and header.
TOKEN_COOKIE = "woonplanner_token"
TOKEN_HEADER = "x-woonplanner-token"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: A run folder's name: letters, digits, ``.``, ``_`` and ``-`` (it is also a URL part).
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
#: Files a run page links first, in this order.
MAIN_FILES = ("map.html", "report.html", "compare.html", "sweep.html")
UPLOAD_DIR = "uploads"
#: Sweep values: a comma-separated list, as ``--vary KEY=V1,V2``.
MAX_SWEEP_VALUES = 12


@dataclass(frozen=True)
class Settings:
    """What ``woonplanner serve`` was started with."""

    runs: Path
    data_dir: Path | None = None
    token: str | None = None
    """Access token every request must carry; None when bound to 127.0.0.1 only."""


# --- run folders ------------------------------------------------------------------------------


@dataclass
class Folder:
    """What the pages show of a folder in the runs folder."""

    name: str
    path: Path
    kind: str
    """``run``, ``compare`` or ``sweep``."""
    kpis: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    scenario_text: str = ""
    modified: float = 0.0

    @property
    def region(self) -> dict[str, Any]:
        """The region's figures of a run (``kpis.json``)."""
        return self.kpis.get("region", {})

    @property
    def children(self) -> dict[str, str]:
        """The region's demand, placed and unplaced children as the run's shared pages show
        them (whole, adding up, a small count "<5" with placed as the range it allows:
        :func:`woonplanner.outputs.vocabulary.figures_shown`); empty without them."""
        try:
            output = tomllib.loads(self.scenario_text).get("output", {})
            threshold = int(output.get("privacy_threshold", 5))
        except (tomllib.TOMLDecodeError, TypeError, ValueError):
            threshold = 5
        return figures_shown(self.region, threshold)

    @property
    def status(self) -> str:
        """The solver status of a run (``optimal``, ``time_limit``)."""
        return str(self.kpis.get("status", ""))

    @property
    def norm_missing(self) -> list[str]:
        """Gemeenten that miss the 1-per-40,000 norm."""
        return [g["code"] for g in self.kpis.get("gemeenten", []) if not g.get("norm_met", True)]

    @property
    def files(self) -> list[Path]:
        """Every file of the folder, the main pages first."""
        found = sorted(p for p in self.path.iterdir() if p.is_file())
        first = [self.path / n for n in MAIN_FILES if (self.path / n).is_file()]
        return first + [p for p in found if p not in first]

    def changes(self) -> list[tuple[str, str, str]]:
        """Settings of a run that differ from woonplanner's defaults: key, value, default."""
        if not self.scenario_text:
            return []
        mine = dict(_flatten(tomllib.loads(self.scenario_text)))
        default = dict(_flatten(Scenario().model_dump(mode="json")))
        return [
            (key, show_value(mine.get(key)), show_value(default.get(key)))
            for key in sorted(set(mine) | set(default))
            if key not in ("name", "description") and mine.get(key) != default.get(key)
        ]


def read_folder(path: Path) -> Folder | None:
    """A run, comparison or sweep folder, or None for anything else (the one reader here)."""
    if not path.is_dir() or path.name.startswith("."):
        return None
    modified = path.stat().st_mtime
    if (path / "kpis.json").is_file():
        scenario = path / "scenario.toml"
        try:
            kpis = json.loads((path / "kpis.json").read_text(encoding="utf-8"))
            manifest = _json_or_empty(path / "manifest.json")
            scenario_text = scenario.read_text(encoding="utf-8") if scenario.is_file() else ""
        except (OSError, ValueError):
            # A damaged or half-copied folder is not a run the list can show (nor a 500).
            return None
        return Folder(
            name=path.name,
            path=path,
            kind="run",
            kpis=kpis,
            manifest=manifest,
            scenario_text=scenario_text,
            modified=modified,
        )
    if (path / "compare.html").is_file():
        return Folder(name=path.name, path=path, kind="compare", modified=modified)
    if (path / "sweep.csv").is_file():
        return Folder(name=path.name, path=path, kind="sweep", modified=modified)
    return None


def _json_or_empty(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            items.extend(_flatten(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    return items


def list_folders(runs: Path) -> list[Folder]:
    """Every run, comparison and sweep in the runs folder, newest first."""
    if not runs.is_dir():
        return []
    found = [f for p in runs.iterdir() if (f := read_folder(p)) is not None]
    return sorted(found, key=lambda f: f.modified, reverse=True)


# --- base scenarios ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """A scenario a plan starts from: one shipped in ``scenarios/`` or a previous run's."""

    id: str
    """``scenario:demo`` or ``run:<folder>``."""
    label: str
    path: Path


def bases(runs: Path) -> list[Base]:
    """The shipped scenarios, then the runs in the runs folder (their ``scenario.toml``)."""
    found = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        found.append(Base(f"scenario:{path.stem}", f"{path.stem} (scenarios/{path.name})", path))
    if not found:  # an installed package without scenarios/: the built-in demo
        found.append(Base("scenario:demo", "demo (built in)", Path("demo")))
    for folder in list_folders(runs):
        if folder.kind == "run" and (folder.path / "scenario.toml").is_file():
            found.append(
                Base(f"run:{folder.name}", f"run {folder.name}", folder.path / "scenario.toml")
            )
    return found


def find_base(runs: Path, base_id: str | None) -> Base:
    """The base with this id, else the demo."""
    options = bases(runs)
    for base in options:
        if base.id == base_id:
            return base
    return next((b for b in options if b.id == "scenario:demo"), options[0])


# --- the form ---------------------------------------------------------------------------------


@dataclass
class PlanForm:
    """The plan form of one base scenario, with the answers and problems of a submission."""

    base: Base
    scenario: Scenario
    sections: list[FormSection]
    data_dir: Path | None
    """The server's data folder when the base plans CBS data and names none itself."""
    answers: dict[str, list[str]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    kept_uploads: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, FormField]:
        """The fields by key."""
        return form_fields(self.sections)

    def value(self, f: FormField) -> str:
        """What the input shows: the planner's answer, else the base's value."""
        if f.key in self.answers:
            given = self.answers[f.key]
            return given[-1] if given else ""
        return show_value(f.value)

    def checked(self, f: FormField, choice: str | None = None) -> bool:
        """Whether a checkbox (of a bool, or one choice of a list) is ticked."""
        if self.answers:
            return (choice or "true") in self.answers.get(f.key, [])
        if choice is None:
            return bool(f.value)
        return choice in (f.value or [])

    @property
    def keys(self) -> list[str]:
        """Every key a problem can be shown next to: fields, sections, uploads, the name."""
        return [*self.fields, *(s.key for s in self.sections), *UPLOAD_KEYS, "out", "vary"]


def plan_form(
    settings: Settings, base: Base, *, sections: Sequence[str] = FORM_SECTIONS
) -> PlanForm:
    """The form for ``base``: region choices from the data folder, then the schema's fields."""
    scenario = load_scenario(base.path)
    cbs = scenario.region.source == "cbs"
    data_dir = settings.data_dir if cbs and scenario.data.dir is None else None
    form = scenario_form(scenario, sections=("region", *sections))
    region = form[0]
    if cbs:
        codes, labels = _jeugdregio_choices(data_dir or scenario.data.dir)
        region.fields = [
            replace(f, kind="choice", choices=("", *codes), choice_labels=("–", *labels))
            if f.key == "region.jeugdregio" and codes
            else f
            for f in region.fields
        ]
    else:
        region.fields = [f for f in region.fields if f.key != "region.jeugdregio"]
    region.open = True
    return PlanForm(base=base, scenario=scenario, sections=form, data_dir=data_dir)


def _jeugdregio_choices(data_dir: Path | str | None) -> tuple[list[str], list[str]]:
    if data_dir is None:
        return [], []
    from woonplanner.data.cbs import list_jeugdregios

    try:
        table = list_jeugdregios(data_dir)
    except WoonplannerError:
        return [], []
    codes = [str(c) for c in table["jeugdregio"]]
    names = [f"{c} · {n}" for c, n in zip(codes, table["jeugdregio_name"], strict=True)]
    return codes, names


def answers_of(form: FormData) -> dict[str, list[str]]:
    """Every text answer of a submitted form, by name (several for checkbox groups)."""
    answers: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            answers.setdefault(key, []).append(value)
    return answers


async def save_uploads(form: FormData, settings: Settings) -> tuple[list[str], dict[str, str]]:
    """Store uploaded tables in ``RUNS/uploads/`` and return their overrides and paths.

    A table uploaded with a form that had problems is kept (its path rides along in a hidden
    field), so the planner need not choose the file again.
    """
    folder = settings.runs / UPLOAD_DIR
    overrides: list[str] = []
    kept: dict[str, str] = {}
    for key in UPLOAD_KEYS:
        upload = form.get(f"upload:{key}")
        path: Path | None = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            if data:
                folder.mkdir(parents=True, exist_ok=True)
                stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
                safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(upload.filename).name)
                path = folder / f"{stamp}-{secrets.token_hex(3)}-{safe}"
                path.write_bytes(data)
        else:
            previous = form.get(f"kept:{key}")
            if isinstance(previous, str) and previous:
                candidate = (folder / Path(previous).name).resolve()
                if candidate.is_file() and candidate.parent == folder.resolve():
                    path = candidate
        if path is not None:
            overrides.append(f"{key}={toml_text(str(path.resolve()))}")
            kept[key] = str(path.resolve())
    return overrides, kept


def validate(form: PlanForm, overrides: Sequence[str]) -> Scenario | None:
    """The scenario the overrides make, or None with ``form.problems`` filled in."""
    try:
        return load_scenario(form.base.path, overrides=list(overrides), data_dir=form.data_dir)
    except WoonplannerError as err:
        for key, texts in problems_by_key(str(err), form.keys).items():
            form.problems.setdefault(key, []).extend(texts)
        return None


def check_out(settings: Settings, queue: JobQueue, name: str) -> tuple[Path | None, str | None]:
    """The folder a new run named ``name`` writes, or the problem with that name."""
    if not NAME.match(name) or name == UPLOAD_DIR:
        return None, (
            f"out: {name!r} cannot name a folder here: use letters, digits, '.', '_' and '-' "
            "(at most 80)"
        )
    out = (settings.runs / name).resolve()
    if out.exists():
        return None, f"out: {out} already exists; choose another name"
    if out in queue.busy_outs():
        return None, f"out: a queued job already writes {name}; choose another name"
    return out, None


def free_name(settings: Settings, queue: JobQueue, stem: str) -> str:
    """``stem``, or ``stem-2``, ``stem-3``, … whichever is free."""
    busy = {p.name for p in queue.busy_outs()}
    name, n = stem, 1
    while (settings.runs / name).exists() or name in busy:
        n += 1
        name = f"{stem}-{n}"
    return name


# --- access -----------------------------------------------------------------------------------


class AccessGuard:
    """Lets a request through only when it may reach the planner's runs.

    Bound to 127.0.0.1 (no token): the ``Host`` header must be a loopback name, so a web page
    cannot reach the server through a DNS name that points at 127.0.0.1. With a token (any
    other address): every request carries it, as the cookie set on the first ``?token=…``
    visit or as the ``X-Woonplanner-Token`` header. Either way a form posted from another
    origin is refused.
    """

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        denied = self._denied(request)
        if denied is not None:
            await PlainTextResponse(denied, status_code=403)(scope, receive, send)
            return
        query = parse_qs(request.url.query)
        if self.token is not None and "token" in query:
            # The token is in the address once: move it into a cookie and drop it from the URL.
            rest = {k: v for k, v in query.items() if k != "token"}
            target = request.url.path + (f"?{urlencode(rest, doseq=True)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _denied(self, request: Request) -> str | None:
        host = request.headers.get("host", "")
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc != host:
                return "Forbidden: a form from another site"
        if self.token is None:
            hostname = urlsplit(f"//{host}").hostname or ""
            if hostname not in LOOPBACK_HOSTS and f"[{hostname}]" not in LOOPBACK_HOSTS:
                return "Forbidden: this server answers on 127.0.0.1 only"
            return None
        given = (
            request.headers.get(TOKEN_HEADER)
            or _cookie(request.headers.get("cookie", ""), TOKEN_COOKIE)
            or (parse_qs(request.url.query).get("token") or [""])[0]
        )
        if not given or not secrets.compare_digest(given, self.token):
            return (
                "Forbidden: open the address with ?token=… that woonplanner serve printed "
                "when it started"
            )
        return None


def _cookie(header: str, name: str) -> str:
    cookie = SimpleCookie()
    with contextlib.suppress(Exception):
        cookie.load(header)
    morsel = cookie.get(name)
    return morsel.value if morsel else ""


# --- the app ----------------------------------------------------------------------------------


def create_app(settings: Settings, *, queue: JobQueue | None = None) -> ASGIApp:
    """The workbench as an ASGI app (``uvicorn`` serves it; tests call it directly)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(("html",)),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["value"] = show_value
    env.filters["number"] = _number
    env.filters["when"] = lambda t: dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")
    settings.runs.mkdir(parents=True, exist_ok=True)
    jobs = queue if queue is not None else JobQueue()

    def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        text = env.get_template(f"serve/{name}").render(
            runs_dir=settings.runs, queued=_queue_counts(jobs), **context
        )
        return HTMLResponse(text, status_code=status_code)

    async def home(request: Request) -> Response:
        return page("runs.html", folders=list_folders(settings.runs), jobs=jobs.jobs(), problem="")

    async def plan(request: Request) -> Response:
        if request.method == "GET":
            base = find_base(settings.runs, request.query_params.get("base"))
            form = plan_form(settings, base)
            name = free_name(settings, jobs, form.scenario.name)
            return page("plan.html", form=form, bases=bases(settings.runs), out=name)
        async with request.form() as submitted:
            base = find_base(settings.runs, _text(submitted, "base"))
            form = plan_form(settings, base)
            form.answers = answers_of(submitted)
            uploads, form.kept_uploads = await save_uploads(submitted, settings)
            name = _text(submitted, "out").strip()
        overrides, problems = overrides_from_form(form.fields, form.answers)
        overrides += uploads
        form.problems.update(problems)
        name = name or free_name(settings, jobs, form.scenario.name)
        out, problem = check_out(settings, jobs, name)
        if problem:
            form.problems.setdefault("out", []).append(problem)
        scenario = validate(form, overrides) if not problems else None
        if out is None or scenario is None:
            return page(
                "plan.html", status_code=422, form=form, bases=bases(settings.runs), out=name
            )
        argv = cli_command("run", str(base.path))
        for item in overrides:
            argv += ["--set", item]
        if form.data_dir is not None:
            argv += ["--data-dir", str(form.data_dir)]
        argv += ["--out", str(out)]
        job = jobs.submit("run", f"Plan {name} from {base.label}", argv, out, overrides)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def sweep(request: Request) -> Response:
        if request.method == "GET":
            base = find_base(settings.runs, request.query_params.get("base"))
            form = plan_form(settings, base)
            name = free_name(settings, jobs, f"{form.scenario.name}-sweep")
            return page(
                "sweep.html", form=form, bases=bases(settings.runs), out=name, key="", values=""
            )
        async with request.form() as submitted:
            base = find_base(settings.runs, _text(submitted, "base"))
            form = plan_form(settings, base)
            form.answers = answers_of(submitted)
            key, values = _text(submitted, "key").strip(), _text(submitted, "values").strip()
            name = _text(submitted, "out").strip()
        name = name or free_name(settings, jobs, f"{form.scenario.name}-sweep")
        region = {k: v for k, v in form.fields.items() if k.startswith("region.")}
        overrides, problems = overrides_from_form(region, form.answers)
        form.problems.update(problems)
        out, problem = check_out(settings, jobs, name)
        if problem:
            form.problems.setdefault("out", []).append(problem)
        numbers = {k for k, f in form.fields.items() if f.kind in ("number", "integer")}
        items = [v.strip() for v in values.split(",") if v.strip()]
        if key not in numbers:
            form.problems.setdefault("vary", []).append(f"vary: choose a key, got {key!r}")
        elif not 1 <= len(items) <= MAX_SWEEP_VALUES:
            form.problems.setdefault("vary", []).append(
                f"{key}: give 1 to {MAX_SWEEP_VALUES} values separated by commas, got {len(items)}"
            )
        else:
            for item in items:
                if validate(form, [*overrides, f"{key}={item}"]) is None:
                    break
            # The page shows the region and the key: a value's problem stands by the key.
            for where in [k for k in form.problems if k not in ("out", "vary", "")]:
                if not where.startswith("region."):
                    form.problems.setdefault("vary", []).extend(form.problems.pop(where))
        if form.problems:
            return page(
                "sweep.html",
                status_code=422,
                form=form,
                bases=bases(settings.runs),
                out=name,
                key=key,
                values=values,
            )
        argv = cli_command("sweep", str(base.path), "--vary", f"{key}={','.join(items)}")
        for item in overrides:
            argv += ["--set", item]
        if form.data_dir is not None:
            argv += ["--data-dir", str(form.data_dir)]
        argv += ["--out", str(out)]
        assert out is not None
        title = f"Sweep {key} = {', '.join(items)} from {base.label}"
        job = jobs.submit("sweep", title, argv, out, overrides)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def compare(request: Request) -> Response:
        async with request.form() as submitted:
            names = [n for n in submitted.getlist("run") if isinstance(n, str)]
        folders = [read_folder(settings.runs / n) if NAME.match(n) else None for n in names]
        runs = [f for f in folders if f is not None and f.kind == "run"]
        problem = ""
        if len(runs) != len(names) or len(set(names)) != len(names) or not 2 <= len(runs) <= 4:
            problem = f"Choose two to four different runs to compare (chose {len(names)})."
        if problem:
            return page(
                "runs.html",
                status_code=422,
                folders=list_folders(settings.runs),
                jobs=jobs.jobs(),
                problem=problem,
            )
        name = free_name(settings, jobs, "compare-" + "-".join(f.name for f in runs)[:60])
        out = (settings.runs / name).resolve()
        argv = cli_command("compare", *(str(f.path) for f in runs), "--out", str(out))
        job = jobs.submit("compare", f"Compare {', '.join(f.name for f in runs)}", argv, out)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def job_page(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        if job is None:
            return page("missing.html", status_code=404, what="job")
        return page("job.html", job=job)

    async def job_api(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        since = request.query_params.get("since", "0")
        return JSONResponse(job.as_dict(int(since) if since.isdigit() else 0))

    async def cancel(request: Request) -> Response:
        job = jobs.cancel(request.path_params["job"])
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(job.as_dict(len(job.lines)))
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def folder_page(request: Request) -> Response:
        name = request.path_params["name"]
        folder = read_folder(settings.runs / name) if NAME.match(name) else None
        if folder is None:
            return page("missing.html", status_code=404, what="run")
        return page("run.html", folder=folder)

    async def folder_file(request: Request) -> Response:
        name, rel = request.path_params["name"], request.path_params["path"]
        root = (settings.runs / name).resolve()
        path = (root / rel).resolve()
        if not NAME.match(name) or not path.is_relative_to(root) or not path.is_file():
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(path)

    async def refused(_request: Request, exc: Exception) -> Response:
        # A base scenario that no longer loads (a moved data folder, an edited scenario.toml):
        # say what is wrong instead of failing.
        return page("error.html", status_code=422, message=str(exc))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        # The server stops: cancel what runs, so no process goes on writing on its own.
        jobs.shutdown()

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/plan", plan, methods=["GET", "POST"]),
            Route("/sweep", sweep, methods=["GET", "POST"]),
            Route("/compare", compare, methods=["POST"]),
            Route("/jobs/{job}", job_page),
            Route("/jobs/{job}/cancel", cancel, methods=["POST"]),
            Route("/api/jobs/{job}", job_api),
            Route("/runs/{name}/", folder_page),
            Route("/runs/{name}/{path:path}", folder_file),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        lifespan=lifespan,
        exception_handlers={WoonplannerError: refused},
    )
    app.state.jobs = jobs
    return AccessGuard(app, token=settings.token)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _number(value: Any, decimals: int = 1) -> str:
    if value is None:
        return "–"
    return f"{float(value):,.{decimals}f}"


def _queue_counts(jobs: JobQueue) -> dict[str, int]:
    states = [j.state for j in jobs.jobs()]
    return {
        "running": states.count(JobState.RUNNING),
        "queued": states.count(JobState.QUEUED),
    }


__all__ = [
    "AccessGuard",
    "Folder",
    "Outcome",
    "Settings",
    "create_app",
    "list_folders",
    "read_folder",
]
