"""Refusals in plain English: what was refused, the rule, and who to ask.

Every 403 page names the people who can change the answer: the organisation's IG lead for
what its data sharing agreements allow, the hub administrator for roles and accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine

from sharewell.partnership import list_users
from sharewell.web.roles import Principal
from sharewell.web.templating import render

__all__ = ["Contact", "contacts_for", "refusal_page"]


@dataclass(frozen=True)
class Contact:
    """Someone who can change a refusal, and what they are asked about."""

    name: str
    about: str


def contacts_for(engine: Engine, principal: Principal) -> list[Contact]:
    """Who this person should ask: their organisation's IG leads, then the hub administrator."""
    people = [
        Contact(u.display_name, "your organisation's data sharing agreements")
        for u in list_users(engine, principal.organisation)
        if u.role == "ig_lead" and u.active and u.username != principal.name
    ]
    people.append(Contact("your hub administrator", "your role and your account"))
    return people


def refusal_page(
    request: Request,
    engine: Engine,
    principal: Principal,
    *,
    explanation: str,
    rule: str | None = None,
    status_code: int = 403,
) -> Response:
    """The page for a refused request: the plain explanation, who to ask, and the rule."""
    return render(
        request,
        "error.html",
        principal,
        status_code=status_code,
        title="You cannot see this page",
        message=explanation,
        rule=rule,
        contacts=contacts_for(engine, principal),
    )
