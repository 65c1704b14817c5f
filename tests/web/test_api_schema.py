"""schemathesis against /openapi.json: no request the schema allows makes the server fail."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from sharewell.web import create_app
from sharewell.web.accounts import add_api_token
from tests.web.conftest import WebHub

# Bounded: a handful of generated requests per operation keeps this under a minute.
EXAMPLES = 15


def test_api_never_answers_with_a_server_error(web_hub: WebHub) -> None:
    app = create_app(web_hub.settings)
    token = add_api_token(web_hub.engine, "westshire_fire", label="schemathesis", actor="test")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    checked: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            for headers in ({"Authorization": f"Bearer {token}"}, {}):
                response = case.call(headers=headers)
                where = (case.method, case.formatted_path, response.text[:300])
                assert response.status_code < 500, where
                if response.status_code >= 400:
                    body = response.json()
                    assert set(body) == {"error"}, where
                    assert set(body["error"]) == {"kind", "message"}, where

        no_server_error()
        checked.append(operation.label)
    assert "GET /api/v1/savings/{initiative}/{organisation}" in checked
