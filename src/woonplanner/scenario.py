"""Scenarios: a validated, frozen description of one planning run.

A scenario is a TOML file. ``extends = "base.toml"`` (a path relative to the file, or the name
of a scenario shipped in ``scenarios/``, such as ``"demo"``) inherits every key of another
scenario; ``--set KEY=VALUE`` overrides one key, its value read as a TOML value (a bare word is
a string). Unknown keys are errors that name the file and the key. Every default below that is
an assumption says so; ``scenarios/demo.toml`` writes them all out with their sources.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import tomllib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from woonplanner.errors import ScenarioError, raise_if_problems

Reason = Literal["parents_cannot_cope", "orphaned", "safety_risk"]
FacilityType = Literal["pleeggezin", "gezinshuis", "woongroep"]
SupportNeed = Literal["none", "extra", "intensive"]
AgeBand = Literal["0_3", "4_11", "12_17"]
ALL_TYPES: tuple[FacilityType, ...] = ("pleeggezin", "gezinshuis", "woongroep")
SMALL_SCALE_TYPES: tuple[FacilityType, ...] = ("gezinshuis", "woongroep")
ALL_AGE_BANDS: tuple[AgeBand, ...] = ("0_3", "4_11", "12_17")

#: Keys whose values are file or folder paths: resolved against the file that set them.
PATH_KEYS = (
    "data.dir",
    "data.neighbourhoods",
    "data.membership",
    "data.jeugdregio_polygons",
    "data.youth_care_index",
    "data.schools",
    "stock.file",
    "stock.from_run",
    "sites.file",
    "placements.file",
    "placements.from_run",
    "demand.caseload",
    "travel.osm_file",
    "travel.cache_dir",
)

#: Scenario names become folder names (``runs/<name>``).
MAX_NAME_LENGTH = 100
_SAFE_NAME = re.compile(r"[\w .,()+\-]+")

# Upper bounds of the numbers: far beyond any real plan, but small enough that sums of them
# stay exact in a float and the solver's numerics hold (1e100 children or 1e308 euros would
# make HiGHS report "optimal" without a plan, or overflow). The error names the key.
#: Distances (km): the Netherlands is about 300 km across.
MAX_KM = 500.0
#: Units in one neighbourhood or one row of a table.
MAX_UNITS = 10_000
#: Euros of one cost item.
MAX_EUR = 1.0e9
#: Euros of a penalty or a budget.
MAX_PENALTY_EUR = 1.0e12
#: Above this rate of children living away from home, a warning (the Dutch rate is 12.6).
ODD_RATE_PER_1000 = 100.0
#: A week.
MAX_TIME_LIMIT_S = 7 * 24 * 3600.0

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


class ScenarioWarning(UserWarning):
    """A setting that is odd but possible (it is used, perhaps adjusted, and the user told)."""


class _Section(BaseModel):
    # NaN and infinity are never valid settings: say so instead of failing in the solver.
    model_config = ConfigDict(
        frozen=True, extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False
    )


class RegionConfig(_Section):
    """Which neighbourhoods to plan."""

    source: Literal["demo", "cbs"] = "demo"
    """``demo``: the embedded synthetic region; ``cbs``: the CBS Wijk- en Buurtkaart."""
    jeugdregio: str | None = None
    """Plan one jeugdregio (``JZ06``); CBS data only."""
    gemeenten: list[str] = Field(default_factory=list)
    """Plan only these gemeenten (``["GM0361"]``); empty plans the whole region."""
    level: Literal["wijk", "buurt"] = "wijk"
    """Neighbourhood level of the input file."""


class DataConfig(_Section):
    """Where input files are. Relative paths are relative to the scenario file."""

    dir: str | None = None
    """Folder with CBS open data (``--data-dir``); its files are found by their usual names."""
    neighbourhoods: str | None = None
    """Neighbourhood polygons (GeoJSON / GeoPackage); overrides the file found in ``dir``."""
    membership: str | None = None
    """Gemeente → jeugdregio table (CSV)."""
    jeugdregio_polygons: str | None = None
    """Jeugdregio polygons, for membership by overlay when no table is given."""
    youth_care_index: str | None = None
    """Per-gemeente youth-care table (CSV) used when ``demand.youth_care_index`` is true."""
    schools: str | None = None
    """School points (GeoJSON / GeoPackage) with a ``type`` column."""


class ReasonShares(_Section):
    """Shares of the three reasons a child cannot live at home; they sum to 1."""

    parents_cannot_cope: float = Field(0.70, ge=0, le=1)
    """Assumption."""
    orphaned: float = Field(0.05, ge=0, le=1)
    """Assumption."""
    safety_risk: float = Field(0.25, ge=0, le=1)
    """Assumption."""

    @model_validator(mode="after")
    def _sum_to_one(self) -> ReasonShares:
        total = self.parents_cannot_cope + self.orphaned + self.safety_risk
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            msg = f"shares must sum to 1, got {total:g}"
            raise ValueError(msg)
        return self


class ExtraSupportShares(_Section):
    """Per reason, the share of children who need extra pedagogical support."""

    parents_cannot_cope: float = Field(0.40, ge=0, le=1)
    """Assumption."""
    orphaned: float = Field(0.30, ge=0, le=1)
    """Assumption."""
    safety_risk: float = Field(0.60, ge=0, le=1)
    """Assumption."""


def _no_family_shares() -> dict[AgeBand, float]:
    return {"0_3": 0.0, "4_11": 0.0, "12_17": 0.25}


class DemandConfig(_Section):
    """How many children need a place, estimated from the population."""

    rate_per_1000: float = Field(12.6, ge=0, le=1000)
    """Children living away from home per 1,000 children aged 0-17. Source: about 43,000 of
    about 3.4 million children in 2019 (Wereld van Aandacht, 2021; CBS)."""
    reason_shares: ReasonShares = Field(default_factory=ReasonShares)
    """Shares of the three reasons."""
    extra_support_share: ExtraSupportShares = Field(default_factory=ExtraSupportShares)
    """Share needing extra pedagogical support, per reason."""
    no_family_share: dict[AgeBand, float] = Field(default_factory=_no_family_shares)
    """Per age band, the share of the children who need extra support that a family setting
    cannot give (support need ``intensive``: only a woongroep suits them). Assumption: no
    figure found in the sources; 0 under 12 (younger children with intensive needs live in a
    gezinshuis), 0.25 for 12-17."""
    youth_care_index: bool = False
    """Scale the rate per gemeente by its share of young people with youth care."""
    caseload: str | None = None
    """A caseload table (one row per child, aggregated on reading) instead of the estimate."""
    keep_siblings_together: bool = True
    """Place each sibling group of the caseload (its ``sibling_group`` column) at one site in
    one type whose unit holds them all, or report it as split and why (docs/caseload.md)."""

    @model_validator(mode="after")
    def _one_source(self) -> DemandConfig:
        if self.caseload and self.youth_care_index:
            msg = (
                "youth_care_index scales the estimated rate and has no effect with a caseload; "
                "set youth_care_index = false"
            )
            raise ValueError(msg)
        return self

    @field_validator("no_family_share")
    @classmethod
    def _shares(cls, v: dict[AgeBand, float]) -> dict[AgeBand, float]:
        bad = {band: share for band, share in v.items() if not 0.0 <= share <= 1.0}
        if bad:
            msg = f"shares must be between 0 and 1, got {bad}"
            raise ValueError(msg)
        return {**_no_family_shares(), **v} if set(v) != set(ALL_AGE_BANDS) else v

    @field_validator("rate_per_1000")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            msg = "must be a finite number"
            raise ValueError(msg)
        if v > ODD_RATE_PER_1000:
            # Possible for a what-if, but eight times the national rate is more likely a typo.
            warnings.warn(
                f"demand.rate_per_1000 = {v:g}: {v / 10:g} % of all children living away from "
                f"home (the Dutch rate is about 12.6 per 1,000); is that meant?",
                ScenarioWarning,
                stacklevel=2,
            )
        return v


class ReasonConfig(_Section):
    """Distance band and suitable types for children placed for one reason."""

    min_km: float = Field(0.0, ge=0, le=MAX_KM)
    """Least distance from the child's home to the site (km)."""
    max_km: float = Field(10.0, gt=0, le=MAX_KM)
    """Largest distance from the child's school (its home without school) to the site (km)."""
    types: list[FacilityType] = Field(default_factory=lambda: list(ALL_TYPES))
    """Housing types that suit this reason."""

    @model_validator(mode="after")
    def _band(self) -> ReasonConfig:
        if self.min_km > self.max_km:
            msg = f"min_km ({self.min_km:g}) is above max_km ({self.max_km:g})"
            raise ValueError(msg)
        if not self.types:
            msg = "types must name at least one facility type"
            raise ValueError(msg)
        return self


class ReasonsConfig(_Section):
    """Rules per reason. All distances are assumptions to be set by the region."""

    parents_cannot_cope: ReasonConfig = Field(
        default_factory=lambda: ReasonConfig(min_km=0, max_km=5)
    )
    """Tight radius so that return home stays possible (assumption: 5 km)."""
    orphaned: ReasonConfig = Field(default_factory=lambda: ReasonConfig(min_km=0, max_km=10))
    """Every type, 10 km (assumption). Orphans prefer a family (policy): the woongroep suits
    only children a family setting cannot support (``facility_types.woongroep.support_needs``
    is ``["intensive"]``), so an orphan lives in a family-like type unless that is the case."""
    safety_risk: ReasonConfig = Field(default_factory=lambda: ReasonConfig(min_km=3, max_km=15))
    """At least 3 km from home for safety, at most 15 km from school (assumption)."""


class FacilityTypeConfig(_Section):
    """One housing type: capacity, suitability, limits and costs (euros)."""

    places: float = Field(ge=0.1, le=20)
    """Places per unit (children)."""
    support_needs: list[SupportNeed]
    """Support needs this type suits."""
    age_bands: list[AgeBand] = Field(default_factory=lambda: list(ALL_AGE_BANDS))
    """Age bands this type suits."""
    max_units_per_site: int | None = Field(None, ge=0, le=MAX_UNITS)
    """At most this many units per neighbourhood (``None``: only the per-household limit)."""
    max_units_per_1000_households: float | None = Field(None, ge=0, le=1000)
    """Units a neighbourhood can host per 1,000 households, rounded up: foster families and
    gezinshuisouders that can be recruited, groups that can be sited. Scales with the
    neighbourhood, so it works for small buurten and large rural wijken alike."""
    annual_cost_per_unit: float = Field(ge=0, le=MAX_EUR)
    """Annual fixed cost of a unit that exists in the plan."""
    annual_cost_per_place: float = Field(ge=0, le=MAX_EUR)
    """Annual cost per occupied place (per child)."""
    open_cost: float = Field(ge=0, le=MAX_EUR)
    """One-off cost of opening (recruiting) a unit."""
    close_cost: float = Field(ge=0, le=MAX_EUR)
    """One-off cost of closing an existing unit."""


def _pleeggezin() -> FacilityTypeConfig:
    return FacilityTypeConfig(
        places=1.3,
        support_needs=["none"],
        max_units_per_1000_households=3.0,
        annual_cost_per_unit=2_000,
        annual_cost_per_place=9_000,
        open_cost=5_000,
        close_cost=5_000,
    )


def _gezinshuis() -> FacilityTypeConfig:
    return FacilityTypeConfig(
        places=4,
        support_needs=["none", "extra"],
        max_units_per_1000_households=1.0,
        annual_cost_per_unit=60_000,
        annual_cost_per_place=35_000,
        open_cost=50_000,
        close_cost=25_000,
    )


def _woongroep() -> FacilityTypeConfig:
    return FacilityTypeConfig(
        places=4,
        support_needs=["intensive"],
        age_bands=["12_17"],
        max_units_per_1000_households=0.5,
        annual_cost_per_unit=250_000,
        annual_cost_per_place=20_000,
        open_cost=100_000,
        close_cost=150_000,
    )


class FacilityTypesConfig(_Section):
    """The three housing forms (docs/model.md). Costs and limits are assumptions."""

    pleeggezin: FacilityTypeConfig = Field(default_factory=_pleeggezin)
    """Foster family: children without extra support; 1.3 children on average."""
    gezinshuis: FacilityTypeConfig = Field(default_factory=_gezinshuis)
    """Family home: extra support in a family setting; at most 6 children."""
    woongroep: FacilityTypeConfig = Field(default_factory=_woongroep)
    """Small residential group: the children a family setting cannot support (``intensive``),
    ages 12-17; at most 6, preferably 4."""

    @field_validator(*SMALL_SCALE_TYPES)
    @classmethod
    def _small_scale(cls, v: FacilityTypeConfig) -> FacilityTypeConfig:
        # A field validator, not a model validator: each bad type is its own error, all listed.
        if v.places > 6:
            msg = f"must be at most 6 (small-scale), got {v.places:g}"
            raise PydanticCustomError("small_scale", msg, {"key": "places"})
        return v


class NormConfig(_Section):
    """At least one small-scale facility per 40,000 inhabitants (Wereld van Aandacht)."""

    inhabitants_per_unit: float = Field(40_000, ge=100, le=100_000_000)
    """Inhabitants per required small-scale unit. Source: Wereld van Aandacht (2021)."""
    mode: Literal["hard", "soft"] = "hard"
    """``hard``: must be met; ``soft``: a shortfall costs ``penalty_eur`` per unit."""
    level: Literal["gemeente", "region"] = "gemeente"
    """``gemeente``: every gemeente and the region; ``region``: the region only."""
    types: list[FacilityType] = Field(default_factory=lambda: list(SMALL_SCALE_TYPES))
    """Types that count as small-scale facilities."""
    rounding: Literal["ceil", "round", "floor"] = "ceil"
    """Required units = rounding(inhabitants / inhabitants_per_unit)."""
    penalty_eur: float = Field(1.0e6, ge=0, le=MAX_PENALTY_EUR)
    """Penalty per missing unit in soft mode."""


class TravelConfig(_Section):
    """How distances are measured (docs/travel.md)."""

    mode: Literal["straight", "network"] = "straight"
    """``straight``: straight line in RD New between representative points × detour factor;
    ``network``: shortest path on the roads of ``osm_file`` (osmnx, cached)."""
    detour_factor: float = Field(1.3, ge=1, le=5)
    """Road distance / straight-line distance (assumption: typical for Dutch roads). In network
    mode it applies to points that fall back to a straight line and to the local floor."""
    osm_file: str | None = None
    """OpenStreetMap extract for network mode: OSM XML (``.osm``, ``.osm.bz2``) or a GraphML file
    saved by osmnx. Never downloaded: bring the file (e.g. from Geofabrik, converted to XML)."""
    network_type: Literal["drive", "bike", "walk"] = "drive"
    """Which roads count, as osmnx defines the network type (one-way rules are not applied)."""
    speed_kmh: float | None = Field(None, gt=0, le=200)
    """Speed that turns network km into travel minutes; ``None``: 30 (drive), 15 (bike) or 5
    (walk) km/h, door-to-door averages in town (assumption)."""
    max_snap_m: float = Field(500, gt=0, le=100_000)
    """Points farther than this from the network use straight line × detour (assumption)."""
    cache_dir: str | None = None
    """Folder for cached network distances; ``None``: ``$WOONPLANNER_CACHE_DIR``, else
    ``woonplanner/travel`` in the user's cache folder (``~/.cache`` on Linux)."""

    @model_validator(mode="after")
    def _network_needs_file(self) -> TravelConfig:
        if self.mode == "network" and not self.osm_file:
            msg = 'mode = "network" needs osm_file (an OSM XML extract or a GraphML file)'
            raise ValueError(msg)
        return self

    @property
    def effective_speed_kmh(self) -> float:
        """``speed_kmh``, or the default of the network type."""
        return self.speed_kmh or _DEFAULT_SPEED_KMH[self.network_type]


#: Door-to-door average speeds in town (assumption), for travel times in network mode.
_DEFAULT_SPEED_KMH = {"drive": 30.0, "bike": 15.0, "walk": 5.0}


class ObjectiveConfig(_Section):
    """How unplaced children, child-km and cost are traded off (docs/model.md)."""

    mode: Literal["weighted", "lexicographic"] = "weighted"
    """``weighted``: one weighted sum; ``lexicographic``: unplaced, then km, then cost."""
    unplaced_penalty_eur: float = Field(1.0e6, ge=0, le=MAX_PENALTY_EUR)
    """Weight per unplaced child: far above any cost, so children are placed first."""
    km_weight_eur: float = Field(1_000, ge=0, le=MAX_EUR)
    """Euros a year the region gives to bring one child one km closer to school (assumption)."""
    lexicographic_tolerance: float = Field(0.0, ge=0, le=1)
    """Relative slack on each earlier part in lexicographic mode."""


class BudgetConfig(_Section):
    """Optional cap on the plan's cost."""

    annual_eur: float | None = Field(None, ge=0, le=MAX_PENALTY_EUR)
    """Total cost (units, places, opening, closing) at most this; ``None``: no cap."""


class StockConfig(_Section):
    """The current stock of facilities."""

    file: str | None = None
    """CSV with ``neighbourhood, type, units``; the demo ships its own."""
    from_run: str | None = None
    """A previous run folder whose planned units become this year's stock."""


class PlacementsConfig(_Section):
    """The children living in each facility now (the yearly re-assessment, docs/model.md)."""

    file: str | None = None
    """CSV with ``site, type, origin, reason, support_need, age_band, children`` (aggregated
    counts; ``site`` and ``origin`` neighbourhood codes)."""
    from_run: str | None = None
    """A previous run folder whose ``flows.csv`` (where its children were placed) becomes this
    year's placements; use it with ``stock.from_run`` of the same folder."""

    @model_validator(mode="after")
    def _one_source(self) -> PlacementsConfig:
        if self.file and self.from_run:
            msg = "file and from_run are both set; keep one of them"
            raise ValueError(msg)
        return self


class ContinuityConfig(_Section):
    """What happens to children already placed (no chain of re-placements)."""

    mode: Literal["soft", "hard"] = "soft"
    """``soft``: a placed child may be moved (a re-placement) at ``replacement_penalty_eur``;
    ``hard``: never, their facility keeps the units their places need."""
    replacement_penalty_eur: float = Field(250_000, ge=0)
    """Weight of one re-placement in the objective, in euros (assumption: high, above the
    yearly cost of a woongroep place, so a facility that houses children is closed only when
    keeping it is far more expensive; below the unplaced penalty, so a child who must move is
    moved rather than left without a place)."""


class SitesConfig(_Section):
    """Where units may be (the candidate sites)."""

    file: str | None = None
    """CSV with ``neighbourhood, type, max_units``: only the listed neighbourhoods may host a type
    the file names, at most ``max_units`` each; types it does not name keep the per-type limits of
    ``facility_types``. ``None``: every neighbourhood may host every type (docs/data.md)."""


class ServiceConfig(_Section):
    """How often a child must find a place when demand fluctuates (docs/model.md)."""

    level: float | None = Field(None, gt=0, lt=1)
    """Target service level: the share of children, in a year of fluctuating demand, who find a
    place within their distance band (e.g. 0.95). The plan then holds the spare places that reach
    it (utilisation caps per facility from Poisson quantiles of its catchment's demand).
    ``None`` (default): the plan is sized for the expected demand; ``woonplanner simulate``
    reports the level it reaches."""


class SimulateConfig(_Section):
    """``woonplanner simulate``: the demand model of the draws."""

    overdispersion: float = Field(0.0, ge=0)
    """Assumption on how much more demand varies than Poisson: the children of a group in a year
    are negative binomial with variance ``(1 + overdispersion) × mean``; 0: Poisson."""
    draws: int = Field(500, ge=1)
    """Years of demand drawn (``--draws``)."""
    seed: int = 0
    """Seed of the draws (``--seed``); draw ``r`` uses ``[seed, r]``."""


class SolverConfig(_Section):
    """Solver settings."""

    name: str = "highs"
    """``"highs"``: HiGHS directly (the staged solve, the fast path). Any other name is a solver
    Pyomo's ``SolverFactory`` runs on the same model, every row in place (``"appsi_highs"``,
    ``"cbc"``, ``"glpk"``, ``"gurobi"``, …); it must be installed."""
    time_limit_s: float = Field(120, gt=0, le=MAX_TIME_LIMIT_S)
    """Seconds before the best plan found is returned (not proven optimal)."""
    mip_gap: float = Field(1e-3, ge=0, le=1)
    """Relative optimality gap at which the solve stops."""
    threads: int = Field(1, ge=1, le=1024)
    """HiGHS threads; 1 keeps runs reproducible."""
    seed: int = Field(0, ge=0, le=2**31 - 1)
    """HiGHS random seed."""

    @field_validator("threads")
    @classmethod
    def _machine(cls, v: int) -> int:
        # More threads than cores only slows HiGHS down (1000 threads made a 5 s limit take
        # 29 s): use the cores there are, and say so.
        cores = os.cpu_count() or 1
        if v > cores:
            warnings.warn(
                f"solver.threads = {v}, but this machine has {cores} cores; using {cores}",
                ScenarioWarning,
                stacklevel=2,
            )
            return cores
        return v


class OutputConfig(_Section):
    """What the run folder shows."""

    privacy_threshold: int = Field(5, ge=1, le=100)
    """Children counts below this are shown as "<5" in map.html and report.html."""
    lang: Literal["nl", "en"] = "nl"
    """Language of the map and report."""


class Scenario(_Section):
    """A full planning scenario; every section has defaults (the embedded demo)."""

    name: str = "demo"
    """Short name, used for the default run folder: letters, digits, spaces and ``-_.,()+``,
    at most 100 characters, not starting with a dot (a folder name on every system)."""
    description: str = "Embedded synthetic demo region (4 gemeenten, fictional)"
    """One line for reports."""
    region: RegionConfig = Field(default_factory=RegionConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    demand: DemandConfig = Field(default_factory=DemandConfig)
    reasons: ReasonsConfig = Field(default_factory=ReasonsConfig)
    facility_types: FacilityTypesConfig = Field(default_factory=FacilityTypesConfig)
    norm: NormConfig = Field(default_factory=NormConfig)
    travel: TravelConfig = Field(default_factory=TravelConfig)
    objective: ObjectiveConfig = Field(default_factory=ObjectiveConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    stock: StockConfig = Field(default_factory=StockConfig)
    sites: SitesConfig = Field(default_factory=SitesConfig)
    placements: PlacementsConfig = Field(default_factory=PlacementsConfig)
    continuity: ContinuityConfig = Field(default_factory=ContinuityConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    simulate: SimulateConfig = Field(default_factory=SimulateConfig)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    @field_validator("name")
    @classmethod
    def _folder_name(cls, v: str) -> str:
        # The name becomes runs/<name>: "../x" would write outside runs/, 300 characters fail
        # with "File name too long" only after the solve.
        if not v.strip():
            msg = "must not be empty"
            raise ValueError(msg)
        if len(v) > MAX_NAME_LENGTH:
            msg = f"at most {MAX_NAME_LENGTH} characters (it names the run folder), got {len(v)}"
            raise ValueError(msg)
        if v.startswith(".") or v != v.strip() or not _SAFE_NAME.fullmatch(v):
            msg = (
                "must be a plain folder name: letters, digits, spaces and - _ . , ( ) +, "
                "not starting with a dot (no / or \\)"
            )
            raise ValueError(msg)
        return v

    #: The scenario files it was read from (the ``extends`` chain), for the run's manifest.
    _source_files: tuple[Path, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _no_family_children_have_a_type(self) -> Scenario:
        # A share with no type to live in would only ever be reported unplaced: say so now.
        unsuited = [
            band
            for band, share in self.demand.no_family_share.items()
            if share > 0
            and not any(
                "intensive" in cfg.support_needs and band in cfg.age_bands
                for cfg in (getattr(self.facility_types, t) for t in ALL_TYPES)
            )
        ]
        if unsuited:
            msg = (
                f"demand.no_family_share: children aged {', '.join(unsuited)} who cannot live "
                "in a family setting have no type that suits them; add the band to the "
                'age_bands of a type whose support_needs include "intensive", or set the share '
                "to 0"
            )
            raise ValueError(msg)
        return self

    def __eq__(self, other: object) -> bool:
        """Equal settings make equal scenarios, whichever files they were read from."""
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.model_dump_json())

    @property
    def source_files(self) -> tuple[Path, ...]:
        """The scenario files it was read from, the ``extends`` chain included (none for the
        built-in demo or a scenario made in Python)."""
        return self._source_files

    def input_paths(self) -> tuple[Path, ...]:
        """Every file or folder the scenario reads (its own files included): a run may not
        write over any of them."""
        values = self.model_dump()
        paths = [Path(p) for p in self._source_files]
        for key in PATH_KEYS:
            section, _, leaf = key.partition(".")
            value = values[section].get(leaf)
            if value and key != "travel.cache_dir":
                paths.append(Path(value))
        return tuple(paths)

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML (all defaults filled in)."""
        return dumps_toml(self.model_dump(mode="json"))


# --- loading ---------------------------------------------------------------------------------


def load_scenario(
    path: str | Path | Scenario | None = None,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    data_dir: str | Path | None = None,
    flags: Sequence[tuple[str, str, Any]] = (),
) -> Scenario:
    """Read a scenario file (or the demo defaults when ``path`` is None) and validate it.

    Parameters
    ----------
    path
        TOML file, or the name of a scenario shipped in ``scenarios/`` (``"demo"``), or a
        :class:`Scenario` already loaded (the overrides then apply to a copy of it).
    overrides
        ``KEY=VALUE`` strings (``demand.rate_per_1000=8``), applied after ``extends``.
    data_dir
        Sets ``data.dir`` (the ``--data-dir`` option).
    flags
        ``(option, key, value)`` of command-line options that set one key each
        (``("--time-limit", "solver.time_limit_s", 60.0)``), applied last; an error in one
        names the option the user typed, not ``--set``.

    Raises
    ------
    ScenarioError
        Listing every problem found, each prefixed with the file and key it comes from.
    """
    raw: dict[str, Any] = {}
    origin: dict[str, str] = {}
    files: list[Path] = []
    if isinstance(path, Scenario):
        raw = path.model_dump(mode="json")
        files = list(path.source_files)
    elif path is not None:
        raw, origin = _read_with_extends(_locate(path, None), chain=(), files=files)
    problems: list[str] = []
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"--set {item}: expected KEY=VALUE, e.g. demand.rate_per_1000=8")
            continue
        value = parse_value(text.strip())
        if key in PATH_KEYS and isinstance(value, str):
            value = str(Path(value).expanduser().resolve())
        try:
            _set_dotted(raw, key, value)
        except ScenarioError as err:
            problems.append(f"--set {key}: {err}")
            continue
        _set_origin(origin, key, "--set")
    if data_dir is not None:
        flags = [("--data-dir", "data.dir", str(Path(data_dir).expanduser().resolve())), *flags]
    for flag, key, value in flags:
        _set_dotted(raw, key, value)
        _set_origin(origin, key, flag)
    try:
        scenario = validate_scenario(raw, origin=origin)
    except ScenarioError as err:
        # One message for every problem: the --set syntax and the schema's.
        if not problems:
            raise
        problems += [line.removeprefix("  - ") for line in str(err).splitlines()[1:]]
    raise_if_problems(problems, ScenarioError, header="Invalid scenario")
    scenario._source_files = tuple(files)
    return scenario


def validate_scenario(raw: dict[str, Any], *, origin: dict[str, str] | None = None) -> Scenario:
    """Validate a raw scenario dict, naming the file and key of every problem."""
    origin = origin or {}
    # Merge over the full defaults so that a partial section (only ``places`` of one facility
    # type, say) keeps every other default of that section.
    raw = _merge(Scenario().model_dump(), raw)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            # A validator of a section that is about one of its keys names it in ``ctx["key"]``.
            loc = (*e["loc"], e["ctx"]["key"]) if "key" in e.get("ctx", {}) else e["loc"]
            key = ".".join(str(p) for p in loc)
            where = _origin_of(key, origin)
            what = _unknown_key(key) if e["type"] == "extra_forbidden" else e["msg"]
            if e["type"] != "extra_forbidden" and "input" in e and not isinstance(e["input"], dict):
                got = repr(e["input"])
                what += f", got {got if len(got) <= 60 else got[:40] + ' …'}"
            problems.append(f"{where}: {key}: {what}")
        raise_if_problems(problems, ScenarioError, header="Invalid scenario")
        raise  # unreachable: raise_if_problems raised
    raise_if_problems(_demo_problems(scenario, origin), ScenarioError, header="Invalid scenario")
    return scenario


def _demo_problems(scenario: Scenario, origin: dict[str, str]) -> list[str]:
    """Settings that only CBS data uses, in a scenario that plans the built-in demo region.

    ``woonplanner run --data-dir DIR --set region.jeugdregio=JZ15`` without a scenario plans the
    demo; silently, that would be the demo's fictional gemeenten under a real region's name.
    """
    if scenario.region.source != "demo":
        return []
    use = 'give scenarios/jeugdregio.toml as the scenario (or set region.source = "cbs")'
    problems = []
    if scenario.region.jeugdregio is not None:
        problems.append(
            f"{_origin_of('region.jeugdregio', origin)}: region.jeugdregio = "
            f"{scenario.region.jeugdregio!r}, but the scenario plans the built-in demo region "
            f'(region.source = "demo"); to plan a jeugdregio from CBS data, {use}'
        )
    if scenario.region.level != "wijk":
        problems.append(
            f"{_origin_of('region.level', origin)}: region.level = "
            f"{scenario.region.level!r}, but the built-in demo region has wijken only "
            f'(region.source = "demo"); to plan buurten from CBS data, {use}'
        )
    for key, value in scenario.data.model_dump().items():
        if value is not None:
            problems.append(
                f"{_origin_of(f'data.{key}', origin)}: data.{key} is set, but the built-in demo "
                f'region reads no data files (region.source = "demo"); for CBS data, {use}'
            )
    return problems


def _unknown_key(key: str) -> str:
    """``unknown key``, with the nearest known key when there is one (a typo)."""
    known = _dotted_keys(Scenario().model_dump())
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
    return f"unknown key (did you mean {near[0]}?)" if near else "unknown key"


def _set_origin(origin: dict[str, str], key: str, source: str) -> None:
    """Record that ``source`` set ``key`` last: ``origin`` keeps the order keys were applied."""
    origin.pop(key, None)
    origin[key] = source


def _origin_of(key: str, origin: dict[str, str]) -> str:
    """The file (or option) that last set ``key`` or one of its children, else its nearest parent.

    ``origin`` is in the order keys were applied, so a section-level error (shares that do not
    sum to 1, ``min_km`` above ``max_km``) goes to the ``--set`` that changed the section after
    the file that wrote it out in full.
    """
    own = [src for k, src in origin.items() if k == key or k.startswith(key + ".")]
    if own:
        return own[-1]
    parts = key.split(".")
    for n in range(len(parts) - 1, 0, -1):
        source = origin.get(".".join(parts[:n]))
        if source:
            return source
    return "scenario"


def _locate(name: str | Path, base: Path | None) -> Path:
    """A scenario path: as given, relative to ``base``, or a name in ``scenarios/``."""
    candidates = []
    p = Path(name).expanduser()
    if p.is_absolute():
        candidates.append(p)
    else:
        if base is not None:
            candidates.append(base / p)
        candidates.append(Path.cwd() / p)
        stem = p.name if p.suffix == ".toml" else f"{p.name}.toml"
        if p.parent == Path("."):
            candidates.append(SCENARIO_DIR / stem)
    for c in candidates:
        if c.is_file():
            return c.resolve()
    if str(name) == "demo" or Path(name).name == "demo.toml":
        # A non-editable install has no scenarios/ folder: the demo is the schema's defaults.
        return Path("<builtin demo>")
    msg = f"scenario file not found: {name} (looked in {', '.join(str(c) for c in candidates)})"
    shipped = sorted(f.stem for f in SCENARIO_DIR.glob("*.toml"))
    if shipped:
        msg += f"; the scenarios shipped in {SCENARIO_DIR}: {', '.join(shipped)}"
    raise ScenarioError(msg)


def _read_with_extends(
    path: Path, chain: tuple[Path, ...], files: list[Path]
) -> tuple[dict, dict[str, str]]:
    """The raw settings of ``path`` over those it extends, each key's file, and (in ``files``)
    every file read."""
    if str(path) == "<builtin demo>":
        return {}, {}
    if path in chain:
        msg = f"{path}: extends forms a cycle: {' -> '.join(str(c) for c in (*chain, path))}"
        raise ScenarioError(msg)
    try:
        # utf-8-sig: Windows editors (Notepad) start a UTF-8 file with a byte-order mark.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as err:
        msg = f"{path}: not valid TOML: {err}"
        raise ScenarioError(msg) from None
    except UnicodeDecodeError as err:
        msg = (
            f"{path}: not UTF-8 text (byte {err.start}); save the scenario as UTF-8 "
            "(TOML files are UTF-8)"
        )
        raise ScenarioError(msg) from None
    except RecursionError:
        msg = f"{path}: not valid TOML: nested too deeply"
        raise ScenarioError(msg) from None
    except OSError as err:
        msg = f"{path}: cannot be read: {err.strerror}"
        raise ScenarioError(msg) from None
    files.append(path)
    _resolve_paths(data, path.parent)
    origin = {k: str(path) for k in _dotted_keys(data)}
    parent = data.pop("extends", None)
    origin.pop("extends", None)
    if parent is None:
        return data, origin
    if not isinstance(parent, str):
        msg = f"{path}: extends: must be a file name or scenario name, got {parent!r}"
        raise ScenarioError(msg)
    base_raw, base_origin = _read_with_extends(_locate(parent, path.parent), (*chain, path), files)
    for key, source in origin.items():
        _set_origin(base_origin, key, source)
    return _merge(base_raw, data), base_origin


def _resolve_paths(data: dict, base: Path) -> None:
    for key in PATH_KEYS:
        section, _, leaf = key.partition(".")
        value = data.get(section, {}).get(leaf) if isinstance(data.get(section), dict) else None
        if isinstance(value, str) and value:
            data[section][leaf] = str((base / Path(value).expanduser()).resolve())


def _dotted_keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for k, v in data.items():
        full = f"{prefix}{k}"
        keys.append(full)
        if isinstance(v, dict):
            keys.extend(_dotted_keys(v, full + "."))
    return keys


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_value(text: str) -> Any:
    """A TOML value (``8``, ``true``, ``["GM0503"]``, ``"x"``); anything else is a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text


def _set_dotted(data: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            msg = f"{part} is not a section"
            raise ScenarioError(msg)
        node = child
    node[parts[-1]] = value


# --- writing ---------------------------------------------------------------------------------


def dumps_toml(data: dict[str, Any]) -> str:
    """Write a dict of scalars, lists and nested tables as TOML (``None`` values are omitted)."""
    lines: list[str] = []
    _dump_table(data, [], lines)
    return "\n".join(lines).strip() + "\n"


def _dump_table(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and v is not None}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and scalars:
        lines.append(f"\n[{'.'.join(path)}]")
    for k, v in scalars.items():
        lines.append(f"{k} = {_toml_value(v)}")
    for k, v in tables.items():
        _dump_table(v, [*path, k], lines)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    msg = f"cannot write {type(v).__name__} to TOML"
    raise TypeError(msg)
