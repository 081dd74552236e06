"""The one vocabulary of the pages, and the templates they are rendered from."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from woonplanner.outputs import pages, vocabulary
from woonplanner.outputs.vocabulary import (
    FACILITY_TYPES,
    LANGS,
    TERMS,
    TYPE_COLOURS,
    Formatter,
    labels,
    type_label,
)
from woonplanner.schema import FACILITY_TYPES as SCHEMA_TYPES

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "src" / "woonplanner" / "outputs" / "templates"


def test_the_types_are_the_schemas() -> None:
    assert FACILITY_TYPES is SCHEMA_TYPES
    assert set(TYPE_COLOURS) == set(FACILITY_TYPES)


@pytest.mark.parametrize("page", ["map", "report", "compare", "sweep"])
def test_every_page_has_the_same_texts_in_every_language(page: str) -> None:
    nl, en = labels(page, lang="nl"), labels(page, lang="en")
    assert set(nl) == set(en)
    assert nl["html_lang"] == "nl"
    assert en["html_lang"] == "en"


def test_no_page_says_a_shared_word_again() -> None:
    """A word in TERMS is said once: no page repeats or overrides it."""
    for page, texts in vocabulary._PAGES.items():
        for lang, own in texts.items():
            assert not set(own) & set(TERMS[lang]), (page, lang)


def test_a_type_reads_the_same_on_every_page() -> None:
    for lang in LANGS:
        names = {labels(page, lang=lang)["type_gezinshuis"] for page in vocabulary._PAGES}
        assert len(names) == 1
    assert type_label("gezinshuis", TERMS["en"], short=True) == "Family home"
    assert type_label("tiny_house", TERMS["nl"]) == "tiny_house"
    assert Formatter(lang="en", threshold=5).type_label("woongroep") == "Group home (woongroep)"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang: must be one of"):
        labels("map", lang="de")


def test_templates_escape_what_they_write() -> None:
    text = pages.render("sweep.html.j2", **_sweep_context("<b>x</b>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    assert "<b>x</b>" not in text
    # What a page builds itself goes in as Markup, unescaped.
    text = pages.render("sweep.html.j2", **_sweep_context("t", curve=pages.Markup("<svg/>")))
    assert "<svg/>" in text


def test_every_template_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["woonplanner.outputs"]
    dependencies = " ".join(config["project"]["dependencies"])
    assert "jinja2" in dependencies
    files = sorted(TEMPLATES.iterdir())
    assert files
    for path in files:
        name = path.relative_to(TEMPLATES.parent).as_posix()
        assert any(fnmatch(name, glob) for glob in globs), name


def _sweep_context(title: str, curve: str = "") -> dict:
    return {
        "lang": "nl",
        "title": title,
        "css": "",
        "curve": curve,
        "caption": "",
        "no_plan": [],
        "head": [],
        "rows": [],
    }
