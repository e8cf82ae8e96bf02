"""The SDK against the coordinator's own OpenAPI document (/openapi.json): every operation it lists is a call
here, and what the document already types (the error body, the query parameters) matches the models and the
calls' parameters. As the document gets typed further, every schema in models.COMPONENTS is checked field by
field (test_models_cover_the_documented_components)."""

from __future__ import annotations

import copy
import inspect
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import httpx
import pytest

from eris_chaos import Client
from eris_chaos import _calls as calls
from eris_chaos.models import COMPONENTS, ApiModel

from .conftest import Cluster

# The operations that are not API calls of a client: scrape, docs, the drill schema (an editor's concern) and whoami.
NOT_CALLS = {
    ("get", "/metrics"),
    ("get", "/docs"),
    ("get", "/openapi.json"),
    ("get", "/v1/schemas/drill.json"),
    ("get", "/v1/whoami"),  # the console's (what to hide for a viewer)
}

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
        calls.resume_all(),
        calls.audit(None, None, None, None, None, None),
        calls.drill_save({}),
        calls.drill_validate("x"),
        calls.drill_templates(),
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


# What a JSON type may hold in Python. An int field also takes a documented "number": the Unix-ms times (Date.now(),
# always whole) are documented as z.number(); pydantic still refuses a fractional one loudly.
JSON_TYPES: dict[type, set[str]] = {
    str: {"string"},
    int: {"integer", "number"},
    float: {"number", "integer"},
    bool: {"boolean"},
}


def variants(doc: dict[str, Any], schema: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The non-null alternatives of a schema ($refs resolved, anyOf/oneOf flattened) and whether null is allowed."""
    schema = schema_of(doc, schema)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives is None:
        types = schema.get("type")
        if isinstance(types, list) and "null" in types:
            rest = [t for t in types if t != "null"]
            return ([{**schema, "type": rest[0] if len(rest) == 1 else rest}] if rest else []), True
        if types == "null":
            return [], True
        return [schema], schema.get("nullable") is True
    found: list[dict[str, Any]] = []
    nullable = False
    for alternative in alternatives:
        inner, null = variants(doc, alternative)
        found += inner
        nullable |= null
    return found, nullable


def type_matches(doc: dict[str, Any], annotation: Any, schema: dict[str, Any], where: str) -> None:
    """The model's annotation against one (non-null) schema, recursing into objects, arrays and maps."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any or schema == {}:
        return  # either side leaves the value open
    if isinstance(annotation, type) and issubclass(annotation, ApiModel):
        assert schema.get("type", "object") == "object", f"{where}: {annotation.__name__} for a {schema.get('type')}"
        assert_model_matches(doc, annotation, schema, where)
        return
    if origin is list:
        assert schema.get("type") == "array", f"{where}: a list in the model, {schema.get('type')} in the document"
        annotation_matches(doc, args[0], schema.get("items", {}), f"{where}[]")
        return
    if origin is dict:
        assert schema.get("type") == "object", f"{where}: a dict in the model, {schema.get('type')} in the document"
        extra = schema.get("additionalProperties", {})
        for name, prop in schema.get("properties", {}).items():
            annotation_matches(doc, args[1], prop, f"{where}.{name}")
        if isinstance(extra, dict):
            annotation_matches(doc, args[1], extra, f"{where}{{}}")
        return
    if origin is Literal:
        documented = schema.get("enum", [schema["const"]] if "const" in schema else None)
        assert documented is not None, (
            f"{where}: Literal{list(args)} in the model, any {schema.get('type')} in the document"
        )
        assert set(documented) <= set(args), f"{where}: the document allows {documented}, the model only {list(args)}"
        return
    assert annotation in JSON_TYPES, f"{where}: no rule for {annotation!r}"
    documented_type = schema.get("type")
    assert documented_type in JSON_TYPES[annotation], (
        f"{where}: {annotation.__name__} in the model, {documented_type} in the document"
    )


def annotation_matches(doc: dict[str, Any], annotation: Any, schema: dict[str, Any], where: str) -> None:
    """Optional[X] takes a null; the other alternatives of the document must each fit what remains."""
    if annotation is Any:
        return  # the model takes anything, null included
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    optional = type(None) in members
    rest = [m for m in members if m is not type(None)]
    alternatives, nullable = variants(doc, schema)
    assert optional or not nullable, f"{where}: the document allows null, the model does not"
    inner = rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007 - a Union built at run time
    for alternative in alternatives:
        type_matches(doc, inner, alternative, where)


def assert_model_matches(doc: dict[str, Any], model: type[ApiModel], schema: dict[str, Any], where: str) -> None:
    """Every documented field is a field of the model, of a matching type (recursively); required means required
    on both sides, so a valid answer always validates and a documented field is never silently dropped."""
    schema = schema_of(doc, schema)
    wire = {(f.alias or name): f for name, f in model.model_fields.items()}
    properties: dict[str, Any] = schema.get("properties", {})
    assert set(properties) <= set(wire), (
        f"{where}: the document has fields the model lacks: {set(properties) - set(wire)}"
    )
    required = set(schema.get("required", []))
    for name in required:
        assert wire[name].is_required(), f"{where}.{name}: required in the document, optional in {model.__name__}"
    for name, field in wire.items():
        if field.is_required():
            assert name in required, f"{where}.{name}: required in {model.__name__}, optional in the document"
    for name, prop in properties.items():
        annotation_matches(doc, wire[name].annotation, prop, f"{where}.{name}")


# Components the document has only inside a list answer: where their items are.
LISTED_IN = {"DrillSummary": ("DrillList", "drills")}


def test_models_match_the_documented_components(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document["components"]["schemas"]
    checked = []
    for name, model in COMPONENTS.items():
        schema = schemas.get(name)
        if name in LISTED_IN:  # a component only as the items of a list answer
            wrapper, field = LISTED_IN[name]
            schema = schemas[wrapper]["properties"][field]["items"]
        if schema is None or not schema.get("properties"):
            continue  # not typed in the document (yet): nothing to compare
        # The error component is the whole answer {error: {...}}; the model is its inner object.
        inner = schema["properties"]["error"] if name == "Error" else schema
        assert_model_matches(document, model, inner, name)
        checked.append(name)
    assert "Error" in checked
    assert set(checked) == set(COMPONENTS), f"not typed in the document: {set(COMPONENTS) - set(checked)}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["TimelineEntry"]["properties"]["target"]["properties"].update(pid={"type": "string"}),
            r"TimelineEntry\.target\.pid: int in the model, string",
        ),
        (
            lambda d: d["AgentFault"]["properties"]["targets"]["items"]["properties"].update(extra={"type": "string"}),
            r"AgentFault\.targets\[\]: the document has fields the model lacks: \{'extra'\}",
        ),
        (
            lambda d: d["RunReport"]["properties"]["probes"]["additionalProperties"]["properties"].update(
                failures={"type": ["integer", "null"]}
            ),
            r"RunReport\.probes\{\}\.failures: the document allows null",
        ),
    ],
)
def test_a_nested_difference_is_caught(document: dict[str, Any], change: Any, message: str) -> None:
    doctored = copy.deepcopy(document)
    change(doctored["components"]["schemas"])
    with pytest.raises(AssertionError, match=message):
        test_models_match_the_documented_components(doctored)
