"""The one Jinja environment: ``templates/`` → HTML.

Autoescaping on, ``StrictUndefined`` (a typo in a template is an error, not an empty
string), French formatting filters from :mod:`reports.content.fmt`. Templates only lay out ready
objects; they compute nothing. Template errors become :class:`RenderError` naming the file
and line.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

import jinja2

from reports.content import fmt
from reports.errors import RenderError


def make_env(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.filters.update(fmt.FILTERS)
    return env


def _template_location(exc: BaseException, templates_dir: Path) -> str | None:
    """File:line of the innermost template frame of a traceback (Jinja maps lines)."""
    where = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename.endswith((".html", ".j2", ".xml", ".css")):
            where = f"{filename}:{lineno}"
    return where


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    templates_dir = Path(env.loader.searchpath[0])  # type: ignore[union-attr]
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        raise RenderError(
            f"template syntax error: {exc.message}", where=where, hint="fix the template"
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            f"template not found: {exc.name}",
            where=str(templates_dir),
            hint="check the template name in layouts.yaml",
        ) from None
    except jinja2.UndefinedError as exc:
        where = _template_location(exc, templates_dir) or name
        raise RenderError(
            f"template error: {exc.message}",
            where=where,
            hint="check the variable name against the context",
        ) from None
    except jinja2.TemplateError as exc:  # pragma: no cover - other Jinja errors
        where = _template_location(exc, templates_dir) or name
        print(f"{where}", file=sys.stderr)
        raise RenderError(f"template error: {exc}", where=where) from None
