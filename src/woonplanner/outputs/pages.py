"""Every page and page part is a Jinja2 template in ``outputs/templates/``, rendered here.

Autoescape is on for every template: a name from input data, a run folder or the scenario is
escaped where the template writes it, whatever the page. What a page builds in Python (an SVG
chart, a table cell with a coloured sign) goes in as :class:`markupsafe.Markup` and is escaped
where it is built. The templates share ``base.html.j2`` (document, head, CSS block, body) and
the macros of ``macros.html.j2`` (tables).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from woonplanner.outputs.vocabulary import esc

__all__ = ["Markup", "render"]


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("woonplanner.outputs", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["esc"] = esc
    return env


def render(template: str, /, **context: Any) -> str:
    """``template`` (a file in ``outputs/templates/``) rendered with ``context``."""
    return _environment().get_template(template).render(**context)


def render_macro(template: str, macro: str, /, *args: Any, **kwargs: Any) -> Markup:
    """One macro of ``template`` called with the arguments: a page part as safe HTML."""
    module = _environment().get_template(template).module
    return Markup(getattr(module, macro)(*args, **kwargs))
