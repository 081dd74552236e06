"""The plan form, generated from the scenario schema, and its answers turned into ``--set``.

Every field is a leaf of :class:`woonplanner.scenario.Scenario`: its help is the field's
docstring, its default the value in ``Scenario()``, its value the base
scenario's, and its "assumption" mark comes from the schema's docstring or the comment on the
same key in ``scenarios/demo.toml`` (which writes every assumption out with its source). A
submitted form becomes the ``KEY=VALUE`` overrides of the fields the planner changed, and
nothing else, so the run's ``scenario.toml`` is what ``woonplanner run BASE --set …`` writes.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from woonplanner.scenario import SCENARIO_DIR, Scenario, parse_value

#: Sections of the scenario shown on the form, in order; the first ones start open.
FORM_SECTIONS = (
    "demand",
    "reasons",
    "norm",
    "objective",
    "budget",
    "facility_types",
    "solver",
    "output",
)
OPEN_SECTIONS = ("demand", "reasons", "norm", "objective", "budget")
#: Keys planned from an uploaded table instead of a typed value.
UPLOAD_KEYS = {
    "stock.file": "stock",
    "sites.file": "sites",
    "demand.caseload": "caseload",
}
#: Leaves not worth a field: set by the base scenario or the upload (``caseload``), or
#: technical knobs a planner does not turn.
HIDDEN_LEAVES = {"caseload", "threads", "seed", "lexicographic_tolerance"}
#: Keys the base scenario decides (the demo or CBS data, and its level).
HIDDEN_KEYS = {"region.source", "region.level"}

#: Name of the hidden inputs that list the checkbox fields a form showed.
SHOWN = "shown"

Kind = Literal["number", "integer", "bool", "choice", "choices", "codes", "text"]

#: Units by leaf name, then by name ending: the schema says them in prose only.
_UNITS = {
    "rate_per_1000": "per 1,000 children aged 0-17",
    "inhabitants_per_unit": "inhabitants per unit",
    "places": "children per unit",
    "max_units_per_1000_households": "units per 1,000 households",
    "max_units_per_site": "units per neighbourhood",
    "annual_cost_per_unit": "€ a year",
    "annual_cost_per_place": "€ a year",
    "open_cost": "€ once",
    "close_cost": "€ once",
    "annual_eur": "€ a year",
    "km_weight_eur": "€ a year per child-km",
    "unplaced_penalty_eur": "€ per child",
    "penalty_eur": "€ per unit",
    "mip_gap": "fraction",
    "detour_factor": "×",
    "privacy_threshold": "children",
}
_UNIT_SUFFIXES = (("_km", "km"), ("_s", "s"), ("_eur", "€"))
_SHARE_SECTIONS = ("reason_shares", "extra_support_share")


@dataclass(frozen=True)
class FormField:
    """One input of the form: a leaf of the scenario."""

    key: str
    """Dotted scenario key, as ``--set`` takes it (``demand.rate_per_1000``)."""
    label: str
    """The key's leaf, in words (``rate per 1000``)."""
    help: str
    """The schema's docstring."""
    kind: Kind
    default: Any
    """The value in ``Scenario()``."""
    value: Any
    """The base scenario's value."""
    unit: str = ""
    assumption: str | None = None
    """Why it is an assumption (the schema's or demo.toml's note), or None for a fact."""
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    """What a choice reads as, when more than its value (``JZ15 · Zuid-Kennemerland``)."""
    optional: bool = False
    """``None`` is a valid value (an empty input means "not set")."""

    @property
    def leaf(self) -> str:
        """Last part of the key."""
        return self.key.rpartition(".")[2]

    def show(self, value: Any) -> str:
        """A value as the input shows it (and as it is typed back)."""
        return show_value(value)


@dataclass
class FormSection:
    """A group of fields: one section (or sub-section) of the scenario."""

    key: str
    title: str
    fields: list[FormField] = field(default_factory=list)
    open: bool = False


def show_value(value: Any) -> str:
    """``40000.0`` as ``40000``, ``0.7`` as ``0.7``, ``None`` as empty, lists comma-separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(show_value(v) for v in value)
    return str(value)


def scenario_form(base: Scenario, *, sections: Sequence[str] = FORM_SECTIONS) -> list[FormSection]:
    """The form of ``base``'s key assumptions, one group per (sub-)section of the schema."""
    defaults = Scenario()
    marks = demo_assumptions()
    out: list[FormSection] = []
    for name in sections:
        info = Scenario.model_fields[name]
        model = _model_of(info.annotation)
        if model is None:  # pragma: no cover - every listed section is a model
            continue
        out.extend(
            _sections(
                model,
                name,
                getattr(base, name),
                getattr(defaults, name),
                marks,
                title=_first_sentence(model.__doc__ or name),
                is_open=name in OPEN_SECTIONS,
            )
        )
    return [s for s in out if s.fields]


def form_fields(sections: Sequence[FormSection]) -> dict[str, FormField]:
    """Every field of ``sections`` by key."""
    return {f.key: f for s in sections for f in s.fields}


def _sections(
    model: type[BaseModel],
    key: str,
    value: BaseModel,
    default: BaseModel,
    marks: Mapping[str, str],
    *,
    title: str,
    is_open: bool,
) -> Iterator[FormSection]:
    here = FormSection(key=key, title=title, open=is_open)
    nested: list[FormSection] = []
    for leaf, info in type(value).model_fields.items():
        full = f"{key}.{leaf}"
        if leaf in HIDDEN_LEAVES or full in UPLOAD_KEYS or full in HIDDEN_KEYS:
            continue
        sub = _model_of(info.annotation)
        doc = " ".join((info.description or "").replace("``", "").split())
        if sub is not None:
            heading = f"{title} · {leaf}" if not doc else f"{leaf}: {_first_sentence(doc)}"
            nested.extend(
                _sections(
                    sub,
                    full,
                    getattr(value, leaf),
                    getattr(default, leaf),
                    marks,
                    title=heading,
                    is_open=is_open,
                )
            )
            continue
        kind, choices, optional = _kind(info.annotation)
        assumption = marks.get(full)
        if assumption is None and "assumption" in doc.lower():
            assumption = doc
        here.fields.append(
            FormField(
                key=full,
                label=leaf.replace("_", " "),
                # "Assumption." alone says no more than the mark.
                help="" if doc.lower().rstrip(".") == "assumption" else doc,
                kind=kind,
                default=getattr(default, leaf),
                value=getattr(value, leaf),
                unit=_unit(full),
                assumption=assumption,
                choices=choices,
                optional=optional,
            )
        )
    yield here
    yield from nested


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...], bool]:
    """The input kind of a field's type, its choices, and whether ``None`` is allowed."""
    optional = False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        optional = True
        rest = [a for a in args if a is not type(None)]
        annotation = rest[0]
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation)), optional
    if origin is list:
        (item,) = typing.get_args(annotation)
        if typing.get_origin(item) is Literal:
            return "choices", tuple(str(a) for a in typing.get_args(item)), optional
        return "codes", (), optional
    if annotation is bool:
        return "bool", (), optional
    if annotation is int:
        return "integer", (), optional
    if annotation is float:
        return "number", (), optional
    return "text", (), optional


def _unit(key: str) -> str:
    parts = key.split(".")
    leaf = parts[-1]
    if len(parts) > 1 and parts[-2] in _SHARE_SECTIONS:
        return "share (0-1)"
    if leaf in _UNITS:
        return _UNITS[leaf]
    for suffix, unit in _UNIT_SUFFIXES:
        if leaf.endswith(suffix):
            return unit
    return ""


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?\.)(\s|$)", text)
    return (match.group(1) if match else text).rstrip(".")


@cache
def demo_assumptions(path: Path = SCENARIO_DIR / "demo.toml") -> dict[str, str]:
    """Keys whose comment in ``scenarios/demo.toml`` marks them an assumption, with the note.

    The demo scenario writes every setting out and says of each assumption why (``max_km =
    5.0  # assumption: tight, so that return home stays possible``); the form shows the same.
    """
    marks: dict[str, str] = {}
    if not path.is_file():
        return marks
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        header = re.match(r"\[([\w.]+)\]", stripped)
        if header:
            section = header.group(1)
            continue
        entry = re.match(r"([A-Za-z_]\w*)\s*=.*?#\s*(.*assumption.*)$", stripped, re.IGNORECASE)
        if entry:
            key = f"{section}.{entry.group(1)}" if section else entry.group(1)
            marks[key] = entry.group(2).strip()
    return marks


# --- answers ----------------------------------------------------------------------------------


def toml_text(value: Any) -> str:
    """A value as TOML, the right-hand side of ``--set KEY=VALUE``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def overrides_from_form(
    fields: Mapping[str, FormField], answers: Mapping[str, Sequence[str]]
) -> tuple[list[str], dict[str, list[str]]]:
    """The ``KEY=VALUE`` overrides of the fields whose answer differs from the base's value.

    Parameters
    ----------
    fields
        The form's fields by key.
    answers
        The submitted values per key (several for a group of checkboxes). A key that is absent
        is left as the base has it; but a checkbox that is not ticked is absent too, so the
        form lists its checkbox fields under :data:`SHOWN` (a hidden input each).

    Returns
    -------
    overrides, problems
        ``--set`` strings, and problems the form itself finds (by key); the scenario's own
        validation comes after, on the overrides.
    """
    overrides: list[str] = []
    problems: dict[str, list[str]] = {}
    shown = set(answers.get(SHOWN, ()))
    for key, f in fields.items():
        if key not in answers and not (f.kind in ("bool", "choices") and key in shown):
            continue
        given = [a for a in answers.get(key, ()) if a is not None]
        if f.kind == "bool":
            value: Any = bool(given) and given[-1] not in ("", "false", "0", "off")
            if value != bool(f.value):
                overrides.append(f"{key}={toml_text(value)}")
            continue
        if f.kind == "choices":
            chosen = [c for c in f.choices if c in given]
            if sorted(chosen) != sorted(f.value or []):
                overrides.append(f"{key}={toml_text(chosen)}")
            continue
        text = given[-1].strip() if given else ""
        if f.kind == "codes":
            codes = [c for c in re.split(r"[\s,;]+", text) if c]
            if codes != list(f.value or []):
                overrides.append(f"{key}={toml_text(codes)}")
            continue
        if f.kind == "choice":
            if text and text != (f.value or ""):
                overrides.append(f"{key}={toml_text(text)}")
            continue
        if text == "":
            if f.value is not None:
                problems.setdefault(key, []).append(
                    f"{key}: needs a value (the base scenario sets {show_value(f.value)})"
                )
            continue
        if f.kind in ("number", "integer"):
            # As typed on the command line: a TOML value; anything else reaches the schema,
            # which says what is wrong with it in the CLI's words.
            value = parse_value(text)
            if _same(value, f.value):
                continue
            overrides.append(f"{key}={text}")
            continue
        if text != show_value(f.value):
            overrides.append(f"{key}={toml_text(text)}")
    return overrides, problems


def _same(value: Any, current: Any) -> bool:
    if isinstance(value, bool) or isinstance(current, bool):
        return value is current
    if isinstance(value, int | float) and isinstance(current, int | float):
        return float(value) == float(current)
    return value == current


# --- errors -----------------------------------------------------------------------------------

_PROBLEM = re.compile(r"^\s*-\s+(?:(?P<where>.+?): )?(?P<key>[a-z_]\w*(?:\.\w+)+)(?P<rest>.*)$")


def problems_by_key(message: str, keys: Sequence[str]) -> dict[str, list[str]]:
    """Split a :class:`ScenarioError` message into its problems, each under the key it names.

    The scenario's validation prefixes every problem with where it comes from and its dotted
    key (``--set: demand.rate_per_1000: Input should be …``). A problem goes to the longest of
    ``keys`` (fields and sections) that is its key or a parent of it, so a section-level problem
    such as shares that do not sum to 1 goes to the section; one that names no key on the form
    goes under ``""`` (the form's top).
    """
    found: dict[str, list[str]] = {}
    lines = message.splitlines()
    items = [ln for ln in lines if ln.lstrip().startswith("- ")] or lines
    for line in items:
        match = _PROBLEM.match(line)
        text = line.strip().removeprefix("- ")
        target = ""
        if match:
            key = match.group("key")
            text = (key + match.group("rest")).strip()
            owners = [k for k in keys if key == k or key.startswith(k + ".")]
            if owners:
                target = max(owners, key=len)
        found.setdefault(target, []).append(text)
    return found
