"""The documented contract (the OpenAPI schema is the source of truth) and the seed's shapes."""

import json
import re

import pytest
from django.test import override_settings

from ytempire.core.openapi import NOT_ONLY_WHITESPACE

pytestmark = pytest.mark.django_db

BAD_CREDENTIALS = "Could not validate credentials"


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@pytest.mark.parametrize(
    "accept",
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/yaml", "application/xml", ""],
)
def test_the_schema_is_json_whatever_the_accept_header(api_client, accept):
    response = api_client.get("/api/v1/openapi.json", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    assert json.loads(response.content)["openapi"].startswith("3.")


@pytest.mark.parametrize(("path", "asset"), [("/api/v1/docs", "swagger-ui-bundle.js"), ("/api/v1/redoc", "redoc")])
def test_swagger_ui_and_redoc_are_served_by_the_project(api_client, path, asset):
    response = api_client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html and asset in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html


def test_health_and_metrics_are_documented(schema):
    paths = {path.rstrip("/") for path in schema["paths"]}

    assert {"/health", "/api/v1/health", "/api/v1/health/detailed", "/api/v1/metrics"} <= paths
    metrics = next(item for path, item in schema["paths"].items() if path.rstrip("/") == "/api/v1/metrics")["get"]
    assert "text/plain" in metrics["responses"]["200"]["content"]
    assert "403" in metrics["responses"]
    root = _resolve(schema, schema["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(root["required"]) == {"service", "version", "status"}


def test_every_operation_documents_the_statuses_the_framework_answers(schema):
    for path, method, operation in _operations(schema):
        responses = set(operation["responses"])
        label = f"{method.upper()} {path}"
        if operation.get("security") and {"jwtAuth": []} in operation["security"]:
            assert "401" in responses, label
        body = operation.get("requestBody")
        if body and not path.startswith("/api/v1/webhooks/"):
            assert {"400", "415"} <= responses, label
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in responses, label


def test_error_bodies_are_documented_in_the_seed_shapes(schema):
    unauthorized = _resolve(schema, {"$ref": "#/components/schemas/UnauthorizedError"})
    validation = _resolve(schema, {"$ref": "#/components/schemas/ValidationError"})

    assert set(unauthorized["required"]) == {"detail", "code"}
    assert _resolve(schema, unauthorized["properties"]["detail"])["enum"] == [BAD_CREDENTIALS]
    assert "errors" in validation["required"]


def test_strict_request_bodies_say_so(schema):
    for name in ("RegisterInputRequest", "VideoGenerateInputRequest", "N8NCostAlertInputRequest"):
        assert schema["components"]["schemas"][name]["additionalProperties"] is False, name
    generate = schema["components"]["schemas"]["VideoGenerateInputRequest"]["properties"]
    # Trimmed before the blank check, so whitespace alone is refused: the schema says so, naming the
    # characters Python's strip removes (ECMA's \s is not the same set).
    assert generate["title"]["pattern"] == generate["tags"]["items"]["pattern"] == NOT_ONLY_WHITESPACE
    blank = re.compile(NOT_ONLY_WHITESPACE)
    for text in ("\x1c", " \t", "\u3000", "\x85"):
        assert text.strip() == "" and not blank.search(text)
    for text in ("a", "\ufeff"):
        assert text.strip() != "" and blank.search(text)


def test_text_over_its_max_length_is_refused_before_drf_trims_it(auth_client):
    response = auth_client.patch("/api/v1/auth/me", {"full_name": "\f" * 300}, format="json")

    assert response.status_code == 400  # over maxLength as sent, even if DRF would trim it to nothing
    assert response.json()["errors"] == [
        {"field": "full_name", "message": "Ensure this field has no more than 255 characters."}
    ]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("VideoGenerateOutput", "estimated_cost"),
        ("VideoListOutput", "total_cost"),
        ("CostSummaryOutput", "total_cost"),
        ("CostEstimateOutput", "total"),
        ("N8NVideoCompleteOutput", "total_cost"),
        ("N8NCostAlertOutput", "remaining_budget"),
    ],
)
def test_money_is_documented_as_a_number_with_four_decimals(schema, component, field):
    money = schema["components"]["schemas"][component]["properties"][field]

    assert money["type"] == "number"
    assert money["multipleOf"] == 0.0001


def test_every_authenticated_operation_answers_the_seed_401(api_client, schema):
    for path, method, operation in _operations(schema):
        if not (operation.get("security") and {"jwtAuth": []} in operation["security"]):
            continue
        concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000").replace(
            "{video_id}", "00000000-0000-0000-0000-000000000000"
        )
        response = api_client.generic(method.upper(), concrete, b"{}", content_type="application/json")
        assert response.status_code == 401, f"{method} {path}"
        assert response.json() == {"detail": BAD_CREDENTIALS, "code": "not_authenticated"}, f"{method} {path}"


@pytest.mark.urls("ytempire.core.tests.urls_boom")
def test_a_400_always_carries_errors(api_client):
    response = api_client.get("/refused")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid, expired or already used OAuth state",
        "errors": [{"field": "body", "message": "Invalid, expired or already used OAuth state"}],
    }


def test_the_oauth_callback_400_matches_its_documented_schema(api_client):
    response = api_client.get("/api/v1/youtube/oauth/callback", {"state": "not-a-state-we-issued", "code": "x"})

    assert response.status_code == 400
    assert response.json()["errors"] and {"field", "message"} == set(response.json()["errors"][0])


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/api/v1/nope"), ("post", "/api/v1/nope/deeper"), ("get", "/api/v2/x")]
)
def test_unknown_api_paths_are_the_json_404_even_with_debug_on(client, method, path):
    with override_settings(DEBUG=True):
        response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found"}
