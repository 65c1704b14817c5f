"""schemathesis against /openapi.json: no request the schema allows makes the server fail."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sharewell.partnership.accounts import add_api_token
from sharewell.web import create_app
from sharewell.web.deps import SESSION_COOKIE
from tests.web.conftest import LinkedWeb, WebHub, signed_in_client

# Bounded: a handful of generated requests per operation keeps this under a minute.
EXAMPLES = 15


def test_api_never_answers_with_a_server_error(web_hub: WebHub) -> None:
    app = create_app(web_hub.settings)
    token = add_api_token(web_hub.engine, "westshire_fire", label="schemathesis", actor="test")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    checked: list[str] = []

    _check_every_operation(operations, [{"Authorization": f"Bearer {token}"}, {}], checked)
    assert "GET /api/v1/savings/{initiative}/{organisation}" in checked


def _check_every_operation(
    operations: list[Any],
    callers: list[dict[str, str]],
    checked: list[str],
    answered: set[tuple[str, int]] | None = None,
) -> None:
    """Call every operation with generated requests as each caller; no 5xx, errors in shape."""
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            for headers in callers:
                response = case.call(headers=headers)
                where = (case.method, case.formatted_path, response.text[:300])
                assert response.status_code < 500, where
                if answered is not None:
                    answered.add((case.operation.label, response.status_code))
                if response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"error"}, where
                    assert set(body["error"]) == {"kind", "message"}, where

        no_server_error()
        checked.append(operation.label)


@pytest.mark.slow
def test_api_never_fails_for_signed_in_people_on_a_linked_hub(linked_web: LinkedWeb) -> None:
    # The session's linked hub: generated uploads carry no record_id column and generated
    # review decisions name no real record, so both are refused and nothing there changes.
    app = linked_web.app
    sessions = [
        signed_in_client(app, who).cookies[SESSION_COOKIE]
        for who in ("westshire_mht.analyst", "westshire_police.frontline")
    ]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    checked: list[str] = []
    answered: set[tuple[str, int]] = set()
    _check_every_operation(
        operations, [{"Cookie": f"{SESSION_COOKIE}={s}"} for s in sessions], checked, answered
    )
    assert "POST /api/v1/lookup" in checked and "POST /api/v1/uploads" in checked
    # The generated requests got past sign-in into the capabilities, not only to refusals.
    for label in ("GET /api/v1/linkage/review", "GET /api/v1/linkage/runs"):
        assert (label, 200) in answered, label
    # A lookup is decided by the policy before anyone is searched for: a generated purpose
    # the police agreements do not cover is refused there (403, never a sign-in refusal).
    assert answered & {("POST /api/v1/lookup", 200), ("POST /api/v1/lookup", 403)}
