"""The web app and API: GOV.UK-style pages and JSON endpoints over every capability."""

from sharewell.web.app import create_app

__all__ = ["create_app"]
