"""The one Jinja environment: ``templates/`` → HTML.

Autoescaping on, ``StrictUndefined`` (a typo in a template is an error, not an empty
string), French formatting filters from :mod:`reports.content.fmt`, French typography of the
result (:mod:`reports.render.typography`). Templates only lay out ready objects; they compute
nothing. Template errors become :class:`RenderError` naming the file
and line.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import jinja2

from reports import edition
from reports.content import fmt
from reports.errors import RenderError, ReportsError
from reports.render import typography


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
    env.globals["years"] = dict(edition.current().years)  # {{ years.museums_last }}
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
        return typography.html(env.get_template(name).render(**context))
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        raise RenderError(
            f"template syntax error: {exc.message}", where=where, hint="fix the template"
        ) from None
    except jinja2.TemplateNotFound as exc:
        including = _template_location(exc, templates_dir)  # an {% include %} or {% extends %}
        raise RenderError(
            f"template not found: {exc.name}" + ("" if including else f" in {templates_dir}"),
            where=including or name,
            hint=f"check the name included or extended (under {templates_dir})"
            if including
            else "check the template name in layouts.yaml",
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
        raise RenderError(f"template error: {exc}", where=where) from None
    except ReportsError:
        raise
    except Exception as exc:  # raised by an expression of a template ({{ 1 // 0 }})
        where = _template_location(exc, templates_dir)
        if where is None:  # not the template's
            raise
        raise RenderError(
            f"template error: {type(exc).__name__}: {exc}",
            where=where,
            hint="templates compute nothing: print a value prepared in reports/content",
        ) from None
