"""Jinja templates: ours first, then GOV.UK Frontend's macros under ``govuk_frontend_jinja/``."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

__all__ = ["GOVUK_ASSETS_DIR", "STATIC_DIR", "templates"]

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
# Built by `make assets` from the govuk-frontend npm package (see Makefile).
GOVUK_ASSETS_DIR = STATIC_DIR / "govuk" / "assets"

_env = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(WEB_DIR / "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=True,  # every value is escaped unless a template says otherwise: XSS stays inert
)
templates = Jinja2Templates(env=_env)
