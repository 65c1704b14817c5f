"""API tokens: one organisation's systems calling ``/api/v1``."""

from __future__ import annotations

from typing import Annotated

import typer

from sharewell.cli.options import (
    HubOption,
    JsonOption,
    governance_hub,
)
from sharewell.cli.output import (
    console,
    emit_json,
    rows_table,
)
from sharewell.cli.root import app

token_app = typer.Typer(help="API tokens: one organisation's systems calling /api/v1.")
app.add_typer(token_app, name="token")


@token_app.command("add")
def token_add(
    org: Annotated[str, typer.Option("--org", help="Organisation the token acts for.")],
    label: Annotated[str, typer.Option(help="What the token is for, e.g. the system's name.")] = (
        "api token"
    ),
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make an API token for an organisation and print it once (only its hash is kept)."""
    from sharewell.partnership.accounts import add_api_token

    engine, actor = governance_hub(hub)
    token = add_api_token(engine, org, label=label, actor=actor)
    if as_json:
        emit_json({"organisation": org, "label": label, "token": token})
    else:
        console.print(f"API token for {org} (shown once; send as `Authorization: Bearer ...`):")
        print(token)


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """List API tokens by id (never the tokens themselves), revoked ones included."""
    from sharewell.partnership.accounts import list_api_tokens

    engine, _ = governance_hub(hub)
    tokens = list_api_tokens(engine, org)
    engine.dispose()
    if as_json:
        emit_json(tokens)
        return
    console.print(
        rows_table(
            "API tokens",
            ["id", "organisation", "label", "created", "by", "revoked"],
            [
                [
                    t.id,
                    t.organisation,
                    t.label,
                    f"{t.created_at:%Y-%m-%d %H:%M}",
                    t.created_by,
                    "yes" if t.revoked else "",
                ]
                for t in tokens
            ],
        )
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `token list` shows it.")],
    hub: HubOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke an API token at once: calls with it are refused from now on."""
    from sharewell.partnership.accounts import revoke_api_token

    engine, actor = governance_hub(hub)
    token = revoke_api_token(engine, token_id, actor=actor)
    engine.dispose()
    if as_json:
        emit_json(token)
    else:
        console.print(f"Revoked API token {token.id} of {token.organisation} ({token.label}).")
