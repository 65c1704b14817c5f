"""One Jinja environment for every page and report: sharewell's templates, then GOV.UK macros.

The web app renders its pages with it (``web.templating``) and the savings report renders its
HTML and PDF layout with it (``savings.report``), so both share templates such as the answer
box. It sits below every capability: it imports no sharewell module, and the templates it loads
are data (``web/templates``), not code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

__all__ = ["ENVIRONMENT", "TEMPLATES_DIR", "render_template"]

TEMPLATES_DIR = Path(__file__).parent / "web" / "templates"

ENVIRONMENT = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_DIR),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=True,  # every value is escaped unless a template says otherwise: XSS stays inert
)


def render_template(name: str, **context: Any) -> str:
    """Render the template ``name`` (a path under ``web/templates``) with ``context``."""
    return ENVIRONMENT.get_template(name).render(**context)
