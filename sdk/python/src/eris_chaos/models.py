"""What the coordinator's API answers, as pydantic v2 models (attributes in snake_case, the wire in camelCase).

Unknown fields are kept (``extra="allow"``) so a newer coordinator never breaks an older client. Times are Unix
milliseconds as the API sends them; durations a test asserts on are also given as ``timedelta``.
``COMPONENTS`` maps each model to the OpenAPI component it answers to, so a test can compare the two.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Base of every model: camelCase on the wire, snake_case in Python, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)


def _ms(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(milliseconds=value)


class ErrorBody(ApiModel):
    """The ``error`` object of every error answer."""

    code: str
    message: str
    path: str | None = None
    details: dict[str, Any] | None = None


class Health(ApiModel):
    status: Literal["ok"]
    version: str
    agents: int


class VersionInfo(ApiModel):
    version: str
    coordinator_id: str


class Agent(ApiModel):
    """A connected agent (one per node)."""

    id: str
    cluster: str
    node: str
    zone: str | None
    version: str
    runtime: str | None
    host_processes: bool
    connected_at: int
    last_seen_at: int
    containers: int
    active_faults: int


class Target(ApiModel):
    """A pickable target: a container, or (host mode, ``kind == "process"``) a process."""

    cluster: str
    node: str
    zone: str | None
    namespace: str
    pod: str
    pod_uid: str
    container: str
    container_id: str
    labels: dict[str, str]
    state: str
    kind: Literal["container", "process"]
    pid: int | None = None
    start_time: str | None = None
    cmdline: str | None = None


class SelectionPreview(ApiModel):
    """What a target group matches and would pick right now."""

    wanted: int
    seed: str
    matched: list[Target]
    picked: list[Target]


class ProcessResume(ApiModel):
    """How a process was resumed (or why not); ``by_fault`` when another fault's resume did it."""

    ok: bool
    by_fault: str | None = None
    error: ErrorBody | None = None


class ProcessResult(ApiModel):
    pid: int
    start_time: str
    ok: bool
    verified: bool
    method: Literal["pidfd", "kill", "freezer"] | None = None
    already_gone: Literal[True] | None = None
    exited: Literal[True] | None = None
    appeared_later: Literal[True] | None = None
    error: ErrorBody | None = None
    resume: ProcessResume | None = None


class FaultContainer(ApiModel):
    id: str
    name: str
    namespace: str
    pod: str
    pod_uid: str


class FaultProcess(ApiModel):
    pid: int
    cmdline: str


class FreezerCgroup(ApiModel):
    """The cgroup freezer a ``method: freezer`` fault used (cgroup v1 or v2)."""

    version: Literal[1, 2]
    dir: str


class FaultTarget(ApiModel):
    """One target of an agent's fault and what became of its processes."""

    kind: Literal["container", "process"]
    processes: list[ProcessResult]
    container: FaultContainer | None = None
    process: FaultProcess | None = None
    already_gone: Literal[True] | None = None
    freezer: FreezerCgroup | None = None


class AgentFault(ApiModel):
    """One agent's part of a fault (daemon/faults/manager.ts ``Fault``)."""

    id: str
    signal: str
    scope: Literal["all", "init"]
    state: str
    result: Literal["ok", "partial", "failed"]
    created_at: int
    duration_ms: float
    method: Literal["signal", "freezer"] | None = None
    lease_seconds: float | None = None
    lease_expires_at: int | None = None
    resumed_at: int | None = None
    resume_reason: str | None = None
    resumed_by: str | None = None
    undid: list[str] | None = None
    requested_by: str
    owner: str | None = None
    labels: dict[str, str] | None = None
    targets: list[FaultTarget]


class FaultPart(ApiModel):
    agent: str
    fault: AgentFault
    fired_at: float | None = None
    """When this agent acted, on the coordinator's clock (epoch ms, sub-millisecond): set when the fault went to
    several agents with one fire time."""


class FaultFailure(ApiModel):
    agent: str
    code: str
    message: str


class Fault(ApiModel):
    """An immediate fault (POST /v1/faults): one part per agent, and the agents that failed."""

    id: str
    created_at: int
    signal: str
    seed: str
    targets: list[str]
    parts: list[FaultPart]
    errors: list[FaultFailure]
    created_by: str | None = None
    fire_skew_ms: float | None = None
    """First-to-last spread of the parts' ``fired_at``: how simultaneously the agents acted."""

    @property
    def pids(self) -> list[int]:
        """Every process the fault touched, across agents (host mode and containers alike)."""
        return [p.pid for part in self.parts for t in part.fault.targets for p in t.processes]


class ResumeCheck(ApiModel):
    confirmed: bool
    seen: dict[str, int]
    parts: list[dict[str, Any]]


class ResumedFault(Fault):
    """A resume's answer: ``resume.confirmed`` is true when every process was seen running (or gone) afterwards."""

    resume: ResumeCheck


class ResumeAllRun(ApiModel):
    id: str
    result: Literal["aborting", "failed"]
    message: str | None = None


class ResumeAllFault(ApiModel):
    id: str
    result: Literal["resumed", "unconfirmed", "failed"]
    seen: dict[str, int] | None = None
    message: str | None = None


class ResumeAll(ApiModel):
    """The emergency resume's answer: each run aborted and each fault resumed in the token's scope; ``failures`` counts
    runs not aborted and faults not confirmed resumed."""

    runs: list[ResumeAllRun]
    faults: list[ResumeAllFault]
    failures: int


class AuditRecord(ApiModel):
    seq: int
    at: int
    actor: str | None
    role: str | None
    action: str
    target: str | None
    result: str
    details: Any


class AuditPage(ApiModel):
    records: list[AuditRecord]
    next_cursor: int | None


class SavedDrill(ApiModel):
    name: str
    drill: Any


class DrillSummary(ApiModel):
    name: str
    created_at: int
    updated_at: int
    spec: Any


class StoredDrill(DrillSummary):
    yaml: str | None


class DrillProblem(ApiModel):
    """One problem of a drill file, where ``eris validate`` would put it."""

    line: int
    column: int
    path: str
    message: str


class DrillCheck(ApiModel):
    """``POST /v1/drills/validate``: ``ok`` with no problems, or every problem at its line and column."""

    ok: bool
    name: str | None = None
    problems: list[DrillProblem]
    warnings: list[DrillProblem]


class DrillTemplate(ApiModel):
    """A drill ``eris init --template NAME`` writes."""

    name: str
    yaml: str


RunStatus = Literal["pending", "running", "passed", "failed", "aborted", "interrupted", "error"]
FINISHED: frozenset[str] = frozenset({"passed", "failed", "aborted", "interrupted", "error"})


class StepFire(ApiModel):
    agent: str
    at: float


class StepRecord(ApiModel):
    path: str
    name: str
    kind: str
    status: Literal["running", "passed", "failed", "skipped"]
    started_at: int
    ended_at: int | None = None
    duration_ms: float | None = None
    error: ErrorBody | None = None
    fired_at: list[StepFire] | None = None
    """A signal step over several agents placed with one fire time: when each agent acted."""
    fire_skew_ms: float | None = None


class TimelineTarget(ApiModel):
    cluster: str
    node: str
    zone: str | None
    namespace: str
    pod: str
    container: str
    kind: str
    #: The pod's labels, or a host process's (from its command line); None in reports recorded before.
    labels: dict[str, str] | None = None
    #: As users name it: ``default/etcd-0 (etcd) on node-1``, ``name=m0 (pid 913) on node-1``.
    name: str | None = None
    #: A host process: its pid when the run ended (a restarted process's new one).
    pid: int | None = None
    #: A host process restarted during the run: the pids it had before, oldest first.
    earlier_pids: list[int] | None = None


class Injection(ApiModel):
    signal: str
    at: int
    fault_id: str
    agent: str


class TimelineEntry(ApiModel):
    """One target's story in a run: injected → detected → recovered."""

    group: str
    target: TimelineTarget
    injected: list[Injection]
    detected_at: int | None = None
    recovered_at: int | None = None
    time_to_detect_ms: float | None = None
    time_to_recover_ms: float | None = None
    outage_ms: float | None = None

    @property
    def time_to_detect(self) -> timedelta | None:
        """First injection → the wait ``until: fail`` saw the failure; None when it was not detected."""
        return _ms(self.time_to_detect_ms)

    @property
    def time_to_recover(self) -> timedelta | None:
        """Last injection before recovery (e.g. the SIGKILL) → the wait ``until: pass`` saw it healthy."""
        return _ms(self.time_to_recover_ms)

    @property
    def outage(self) -> timedelta | None:
        return _ms(self.outage_ms)

    def describe(self) -> str:
        """One line for a timeline print-out."""
        t = self.target
        where = t.name or (
            f"{t.cluster}/{t.node}/pid {t.pid}" if t.kind == "process" else f"{t.namespace}/{t.pod}/{t.container}"
        )
        signals = ", ".join(i.signal for i in self.injected) or "nothing injected"
        detect = f"detected after {self.time_to_detect}" if self.time_to_detect is not None else "not detected"
        recover = f"recovered after {self.time_to_recover}" if self.time_to_recover is not None else "not recovered"
        return f"{self.group} {where}: {signals}; {detect}; {recover}"


class ProbeStats(ApiModel):
    evaluations: int
    failures: int
    p50_latency_ms: float | None
    max_latency_ms: float | None


class ResumedSummary(ApiModel):
    faults: int
    errors: int
    confirmed: int | None = None
    seen: dict[str, int] | None = None


class RunReport(ApiModel):
    """A finished run: its steps, each target's timeline, probe statistics and what its end resumed."""

    id: str
    drill: str
    status: RunStatus
    started_at: int
    ended_at: int
    duration_ms: float
    seed: str
    error: ErrorBody | None = None
    steps: list[StepRecord]
    timeline: list[TimelineEntry]
    probes: dict[str, ProbeStats]
    resumed: ResumedSummary

    @property
    def duration(self) -> timedelta:
        return timedelta(milliseconds=self.duration_ms)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def describe(self) -> str:
        """The run as text: status, steps, and every target's timeline (what a failing test prints)."""
        lines = [f"run {self.id} of {self.drill}: {self.status} in {self.duration} (seed {self.seed})"]
        if self.error is not None:
            lines.append(f"  error: {self.error.code}: {self.error.message}")
        for s in self.steps:
            took = f" in {timedelta(milliseconds=s.duration_ms)}" if s.duration_ms is not None else ""
            err = f": {s.error.message}" if s.error is not None else ""
            lines.append(f"  step {s.path} {s.name}: {s.status}{took}{err}")
        lines.extend(f"  target {t.describe()}" for t in self.timeline)
        return "\n".join(lines)


class RunSummary(ApiModel):
    """A run as GET /v1/runs lists it."""

    id: str
    drill_name: str | None
    status: RunStatus
    dry_run: bool
    created_at: int
    started_at: int | None
    ended_at: int | None
    error: Any
    # The slowest target's times once the run ended (None before, or if no target got that far).
    time_to_detect_ms: float | None
    time_to_recover_ms: float | None


class Run(RunSummary):
    """A run as GET /v1/runs/{id} answers it; ``result`` is the report once it has ended."""

    spec: Any
    result: RunReport | None


class DryRunPick(Target):
    key: str


class DryRunGroup(ApiModel):
    wanted: int
    matched: int
    seed: str
    picked: list[DryRunPick]


class DryRunResult(ApiModel):
    """What each group of a drill would hit; nothing was touched."""

    dry_run: Literal[True]
    drill: str
    groups: dict[str, DryRunGroup]


EventType = Literal["step", "probe", "fault", "timeline", "selection", "resumed", "run", "ping"]
EVENT_TYPES: frozenset[str] = frozenset({"step", "probe", "fault", "timeline", "selection", "resumed", "run", "ping"})


class RunEvent(ApiModel):
    """One server-sent event of a run. ``seq`` is its id (None on keep-alive pings); ``data`` its JSON payload."""

    type: EventType
    seq: int | None
    data: dict[str, Any]

    @property
    def is_final(self) -> bool:
        """The ``run`` event that ends the run (its data carries the report)."""
        return self.type == "run" and self.data.get("status") not in (None, "running")

    @property
    def report(self) -> RunReport | None:
        return RunReport.model_validate(self.data["report"]) if self.is_final and "report" in self.data else None


COMPONENTS: dict[str, type[ApiModel]] = {
    "Error": ErrorBody,
    "Health": Health,
    "Version": VersionInfo,
    "Agent": Agent,
    "Target": Target,
    "SelectionPreview": SelectionPreview,
    "AgentFault": AgentFault,
    "ImmediateFault": Fault,
    "ResumedFault": ResumedFault,
    "ResumeAll": ResumeAll,
    "AuditRecord": AuditRecord,
    "AuditPage": AuditPage,
    "SavedDrill": SavedDrill,
    "DrillSummary": DrillSummary,
    "StoredDrill": StoredDrill,
    "DrillCheck": DrillCheck,
    "StepRecord": StepRecord,
    "TimelineEntry": TimelineEntry,
    "RunReport": RunReport,
    "RunSummary": RunSummary,
    "Run": Run,
    "DryRun": DryRunResult,
}
"""OpenAPI component name → model, by the names the coordinator's document gives its schemas. A component the
document does not type (yet) is skipped by the comparison test; every one it types is checked field by field."""
