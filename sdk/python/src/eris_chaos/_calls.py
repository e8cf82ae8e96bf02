"""Every API call as data: the request to send and how to read the answer. Shared by Client and AsyncClient, so
the two cannot drift apart (the transports only send)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import yaml
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from . import models as m
from ._transport import network_error, stream_timeout
from .errors import ErisApiError, ErisConfigError, ErisConnectionError, ErisError, api_error

T = TypeVar("T")
Query = Mapping[str, str | int | bool | None]
DrillSource = Mapping[str, Any] | str | os.PathLike[str]
"""A drill: a dict (as the YAML file holds it), YAML text, or a path to a drill file."""
TargetGroup = Mapping[str, Any] | BaseModel
"""A drill target group, e.g. ``{"processes": {"cmdline": "^etcd"}}`` or ``{"namespaces": ["db"], "pod": "^etcd-0$"}``."""


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the parser of its 2xx answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    query: Query = field(default_factory=dict)
    json_body: Any = None
    content: str | None = None
    content_type: str | None = None

    @property
    def what(self) -> str:
        return f"{self.method} {self.path}"

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.query.items():
            if value is None or value == "":
                continue
            out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out

    def build(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        headers = {"accept": "application/json"}
        if self.content is not None:
            headers["content-type"] = self.content_type or "text/plain"
            return http.build_request(
                self.method, self.path, params=self.params(), headers=headers, content=self.content
            )
        if self.json_body is not None:
            return http.build_request(
                self.method, self.path, params=self.params(), headers=headers, json=self.json_body
            )
        return http.build_request(self.method, self.path, params=self.params(), headers=headers)

    def answer(self, res: httpx.Response) -> T:
        """The parsed 2xx answer, or the error answer raised as ErisApiError."""
        if res.is_error:
            raise error_from(res, self.what)
        return self.parse(res)


def _enc(segment: str) -> str:
    return quote(segment, safe="")


def _model(adapter: TypeAdapter[T], what: str, key: str | None = None) -> Callable[[httpx.Response], T]:
    def parse(res: httpx.Response) -> T:
        try:
            data = res.json()
            return adapter.validate_python(data[key] if key is not None else data)
        except (ValueError, KeyError, TypeError, PydanticValidationError) as exc:
            raise ErisError(
                f"{what}: the coordinator answered with something this SDK does not understand: {exc}"
            ) from exc

    return parse


def _of(model: type[T], what: str, key: str | None = None) -> Callable[[httpx.Response], T]:
    return _model(TypeAdapter(model), what, key)


def _text(res: httpx.Response) -> str:
    return res.text


def error_from(res: httpx.Response, what: str) -> ErisApiError:
    """The coordinator's ``{error: {code, message, path?}}`` as an exception; anything else (a proxy's page) as
    ``ERIS_ERR_HTTP`` with the start of the body."""
    try:
        body = m.ErrorBody.model_validate(res.json()["error"])
        return api_error(res.status_code, body.code, body.message, what, body.path, body.details)
    except (ValueError, KeyError, TypeError, PydanticValidationError):
        snippet = res.text.strip()[:200]
        message = f"HTTP {res.status_code} {res.reason_phrase}" + (f": {snippet}" if snippet else "")
        return api_error(res.status_code, "ERIS_ERR_HTTP", message, what)


def as_dict(group: TargetGroup) -> Any:
    return group.model_dump(by_alias=True, exclude_none=True) if isinstance(group, BaseModel) else dict(group)


def drill_body(drill: DrillSource) -> tuple[Any, str | None]:
    """``(json, yaml_text)``: a path is read and sent as YAML (kept as written), so is YAML text; a dict as JSON."""
    if isinstance(drill, os.PathLike):
        path = Path(drill)
        try:
            return None, path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ErisConfigError(f"drill file {path}: {exc}", path="drill") from exc
    if isinstance(drill, str):
        return None, drill
    return dict(drill), None


def drill_spec(drill: DrillSource) -> Any:
    """A drill as the object ``POST /v1/runs {spec}`` takes."""
    json_body, text = drill_body(drill)
    if text is None:
        return json_body
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ErisConfigError(f"drill: malformed YAML: {exc}", path="drill") from exc
    if isinstance(spec, str):
        # "drills/x.yaml" is YAML for a string: almost surely meant as a file.
        raise ErisConfigError(
            f"drill: {text!r} is not a drill; to read a file, pass pathlib.Path({text!r})", path="drill"
        )
    return spec


def _time(value: int | float | datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return str(int(value.timestamp() * 1000))
    return str(value)


def health() -> Call[m.Health]:
    return Call("GET", "/healthz", _of(m.Health, "GET /healthz"))


def version() -> Call[m.VersionInfo]:
    return Call("GET", "/v1/version", _of(m.VersionInfo, "GET /v1/version"))


def agents() -> Call[list[m.Agent]]:
    return Call("GET", "/v1/agents", _of(list[m.Agent], "GET /v1/agents", "agents"))


def targets(
    cluster: str | None,
    namespace: str | None,
    pod: str | None,
    container: str | None,
    labels: str | None,
    cmdline: str | None = None,
) -> Call[list[m.Target]]:
    query = {
        "cluster": cluster,
        "namespace": namespace,
        "pod": pod,
        "container": container,
        "labels": labels,
        "cmdline": cmdline,
    }
    return Call("GET", "/v1/targets", _of(list[m.Target], "GET /v1/targets", "targets"), query=query)


def preview(group: TargetGroup) -> Call[m.SelectionPreview]:
    return Call("POST", "/v1/selections", _of(m.SelectionPreview, "POST /v1/selections"), json_body=as_dict(group))


def fault_create(
    target: TargetGroup,
    signal: str,
    lease: str | int | None,
    scope: str | None,
    method: str | None,
    override: list[str] | None,
) -> Call[m.Fault]:
    body: dict[str, Any] = {"target": as_dict(target), "signal": signal}
    for key, value in (("lease", lease), ("scope", scope), ("method", method), ("override", override)):
        if value is not None:
            body[key] = value
    return Call("POST", "/v1/faults", _of(m.Fault, "POST /v1/faults"), json_body=body)


def fault_list() -> Call[list[m.Fault]]:
    return Call("GET", "/v1/faults", _of(list[m.Fault], "GET /v1/faults", "faults"))


def fault_get(fault_id: str) -> Call[m.Fault]:
    return Call("GET", f"/v1/faults/{_enc(fault_id)}", _of(m.Fault, "GET /v1/faults/{id}"))


def fault_resume(fault_id: str) -> Call[m.ResumedFault]:
    return Call("DELETE", f"/v1/faults/{_enc(fault_id)}", _of(m.ResumedFault, "DELETE /v1/faults/{id}"))


def resume_all() -> Call[m.ResumeAll]:
    return Call("POST", "/v1/resume-all", _of(m.ResumeAll, "POST /v1/resume-all"))


def audit(
    since: int | float | datetime | str | None,
    until: int | float | datetime | str | None,
    actor: str | None,
    action: str | None,
    limit: int | None,
    cursor: int | None,
) -> Call[m.AuditPage]:
    query = {
        "since": _time(since),
        "until": _time(until),
        "actor": actor,
        "action": action,
        "limit": limit,
        "cursor": cursor,
    }
    return Call("GET", "/v1/audit", _of(m.AuditPage, "GET /v1/audit"), query=query)


def _post_drill(path: str, drill: DrillSource, parse: Callable[[httpx.Response], T]) -> Call[T]:
    """A drill in a POST body: YAML text as written (a path is read), a dict as JSON."""
    json_body, text = drill_body(drill)
    if text is not None:
        return Call("POST", path, parse, content=text, content_type="application/yaml")
    return Call("POST", path, parse, json_body=json_body)


def drill_save(drill: DrillSource) -> Call[m.SavedDrill]:
    return _post_drill("/v1/drills", drill, _of(m.SavedDrill, "POST /v1/drills"))


def drill_validate(drill: DrillSource) -> Call[m.DrillCheck]:
    return _post_drill("/v1/drills/validate", drill, _of(m.DrillCheck, "POST /v1/drills/validate"))


def drill_templates() -> Call[list[m.DrillTemplate]]:
    return Call("GET", "/v1/drill-templates", _of(list[m.DrillTemplate], "GET /v1/drill-templates", "templates"))


def drill_list() -> Call[list[m.DrillSummary]]:
    return Call("GET", "/v1/drills", _of(list[m.DrillSummary], "GET /v1/drills", "drills"))


def drill_get(name: str) -> Call[m.StoredDrill]:
    return Call("GET", f"/v1/drills/{_enc(name)}", _of(m.StoredDrill, "GET /v1/drills/{name}"))


def drill_delete(name: str) -> Call[str]:
    return Call("DELETE", f"/v1/drills/{_enc(name)}", _of(str, "DELETE /v1/drills/{name}", "deleted"))


def run_start(drill: str | None, spec: DrillSource | None, seed: str | int | None, dry_run: bool) -> Call[Any]:
    body: dict[str, Any]
    if drill is not None and spec is None:
        body = {"drill": drill}
    elif spec is not None and drill is None:
        body = {"spec": drill_spec(spec)}
    else:
        raise ErisConfigError("give exactly one of drill (a stored drill's name) or spec (a drill)", path="drill")
    if seed is not None:
        body["seed"] = seed
    if dry_run:
        body["dryRun"] = True
    model: type[Any] = m.DryRunResult if dry_run else m.Run
    return Call("POST", "/v1/runs", _of(model, "POST /v1/runs"), json_body=body)


def run_list(drill: str | None, status: str | None, limit: int | None) -> Call[list[m.RunSummary]]:
    query = {"drill": drill, "status": status, "limit": limit}
    return Call("GET", "/v1/runs", _of(list[m.RunSummary], "GET /v1/runs", "runs"), query=query)


def run_get(run_id: str) -> Call[m.Run]:
    return Call("GET", f"/v1/runs/{_enc(run_id)}", _of(m.Run, "GET /v1/runs/{id}"))


def run_abort(run_id: str) -> Call[str]:
    return Call("POST", f"/v1/runs/{_enc(run_id)}/abort", _of(str, "POST /v1/runs/{id}/abort", "status"))


def run_report(run_id: str) -> Call[m.RunReport]:
    return Call(
        "GET", f"/v1/runs/{_enc(run_id)}/report", _of(m.RunReport, "GET /v1/runs/{id}/report"), query={"format": "json"}
    )


def run_junit(run_id: str) -> Call[str]:
    return Call("GET", f"/v1/runs/{_enc(run_id)}/report", _text, query={"format": "junit"})


def run_events_path(run_id: str) -> str:
    """GET: the run's server-sent events (read by the clients' ``runs.events``, not through a Call)."""
    return f"/v1/runs/{_enc(run_id)}/events"


def event_of(name: str, event_id: str, data: str, what: str) -> m.RunEvent | None:
    """A parsed run event, or None for event types this SDK does not know (a newer coordinator's)."""
    if name not in m.EVENT_TYPES:
        return None
    try:
        payload = json.loads(data) if data else {}
    except ValueError as exc:
        raise ErisError(f"{what}: an event is not JSON: {exc}") from exc
    return m.RunEvent(type=name, seq=int(event_id) if event_id else None, data=payload)


class EventFollower:
    """Following a run's events across dropped streams, without the I/O (the clients' ``runs.events`` open the
    stream and sleep): what to ask for, which events to pass on (none twice) and when to give up."""

    what = "GET /v1/runs/{id}/events"

    def __init__(self, run_id: str, after: int, reconnects: int, base_url: str, timeout: float) -> None:
        self.run_id = run_id
        self.after = after
        self.reconnects = reconnects
        self.retries = reconnects
        self.opened = False
        self.base_url = base_url
        self.timeout = timeout

    def stream_args(self) -> dict[str, Any]:
        """``http.stream(**…)`` from the last event seen on."""
        return {
            "method": "GET",
            "url": run_events_path(self.run_id),
            "params": {"after": str(self.after)},
            "headers": {"accept": "text/event-stream"},
            "timeout": stream_timeout(self.timeout),
        }

    def take(self, name: str, event_id: str, data: str) -> m.RunEvent | None:
        """The event to pass on, or None for one of an unknown type or already passed on."""
        event = event_of(name, event_id, data, self.what)
        if event is None or (event.seq is not None and event.seq <= self.after):
            return None
        if event.seq is not None:
            self.after = event.seq
            self.retries = self.reconnects
        return event

    def dropped(self, exc: httpx.TransportError) -> httpx.TransportError:
        """A stream that never opened is a connection error; a drop after that is retried."""
        if not self.opened:
            raise network_error(exc, self.what, self.base_url, self.timeout) from exc
        return exc

    def retry(self, dropped: httpx.TransportError | None) -> None:
        """Counts a re-open; ErisConnectionError after ``reconnects`` in a row without a new event."""
        if self.retries <= 0:
            raise ErisConnectionError(
                f"the event stream of run {self.run_id} at {self.base_url} keeps dropping"
            ) from dropped
        self.retries -= 1
