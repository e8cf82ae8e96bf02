"""The SDK against the coordinator's own OpenAPI document (/openapi.json): every operation it lists is a call
here, and what the document already types (the error body, the query parameters) matches the models and the
calls' parameters. As the document gets typed further, every schema in models.COMPONENTS is checked field by
field (test_models_cover_the_documented_components)."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

from eris_chaos import Client
from eris_chaos import _calls as calls
from eris_chaos.models import COMPONENTS, ApiModel

from .conftest import Cluster

# The operations that are not API calls of a client: scrape, docs, and the drill schema (an editor's concern).
NOT_CALLS = {("get", "/metrics"), ("get", "/docs"), ("get", "/openapi.json"), ("get", "/v1/schemas/drill.json")}

ID, NAME = "__id__", "__name__"


def operation(method: str, path: str) -> tuple[str, str]:
    return method.lower(), path.replace(ID, "{id}").replace(NAME, "{name}")


def sdk_operations() -> set[tuple[str, str]]:
    """What the SDK sends, read from its own call descriptions (the ones both clients send)."""
    built: list[calls.Call[Any]] = [
        calls.health(),
        calls.version(),
        calls.agents(),
        calls.targets(None, None, None, None, None),
        calls.preview({}),
        calls.fault_create({}, "SIGSTOP", None, None, None, None),
        calls.fault_list(),
        calls.fault_get(ID),
        calls.fault_resume(ID),
        calls.audit(None, None, None, None, None, None),
        calls.drill_save({}),
        calls.drill_list(),
        calls.drill_get(NAME),
        calls.drill_delete(NAME),
        calls.run_start(NAME, None, None, False),
        calls.run_list(None, None, None),
        calls.run_get(ID),
        calls.run_abort(ID),
        calls.run_report(ID),
        calls.run_junit(ID),
    ]
    return {operation(c.method, c.path) for c in built} | {operation("GET", calls.run_events_path(ID))}


@pytest.fixture(scope="module")
def document(cluster: Cluster) -> dict[str, Any]:
    doc: dict[str, Any] = httpx.get(f"{cluster.url}/openapi.json", timeout=10).json()
    return doc


def operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "delete", "put", "patch")
    }


def test_every_documented_operation_has_a_call(document: dict[str, Any]) -> None:
    assert operations(document) - NOT_CALLS == sdk_operations()


def query_names(doc: dict[str, Any], method: str, path: str) -> set[str]:
    return {p["name"] for p in doc["paths"][path][method].get("parameters", []) if p["in"] == "query"}


def keyword_names(func: Any) -> set[str]:
    return {name for name, p in inspect.signature(func).parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_query_parameters_match_the_documented_ones(document: dict[str, Any]) -> None:
    assert keyword_names(Client.targets) == query_names(document, "get", "/v1/targets")
    assert keyword_names(Client.audit) == query_names(document, "get", "/v1/audit")


def schema_of(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def assert_model_matches(doc: dict[str, Any], model: type[ApiModel], schema: dict[str, Any], where: str) -> None:
    schema = schema_of(doc, schema)
    wire = {(f.alias or name): f for name, f in model.model_fields.items()}
    properties: dict[str, Any] = schema.get("properties", {})
    assert set(properties) <= set(wire), (
        f"{where}: the document has fields the model lacks: {set(properties) - set(wire)}"
    )
    for name in schema.get("required", []):
        assert wire[name].is_required(), f"{where}.{name}: required in the document, optional in {model.__name__}"


def test_models_match_the_documented_components(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document["components"]["schemas"]
    checked = []
    for name, model in COMPONENTS.items():
        schema = schemas.get(name)
        if schema is None or not schema.get("properties"):
            continue  # not typed in the document (yet): nothing to compare
        # The error component is the whole answer {error: {...}}; the model is its inner object.
        inner = schema["properties"]["error"] if name == "Error" else schema
        assert_model_matches(document, model, inner, name)
        checked.append(name)
    assert "Error" in checked
