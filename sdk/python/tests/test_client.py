"""Every call of the sync client against the real coordinator and host-mode agent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from eris_chaos import (
    Client,
    ConflictError,
    ErisApiError,
    ErisConfigError,
    ErisConnectionError,
    ErisError,
    ErisTimeoutError,
    NoTargetsError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)
from eris_chaos.models import DryRunResult, Run

from .conftest import Cluster
from .harness import free_port, proc_state, sample_drill, wait_for


def member(cluster: Cluster, name: str) -> dict[str, object]:
    return {"processes": {"cmdline": f"--name {name} .*--tag {cluster.tag}"}}


def test_version_health_agents_targets(client: Client, cluster: Cluster) -> None:
    version = client.version()
    assert version.version[0].isdigit()
    assert len(version.coordinator_id) > 0
    health = Client(f"{cluster.url}/").health()  # no token needed; a trailing slash is fine
    assert (health.status, health.version, health.agents) == ("ok", version.version, 1)
    [agent] = client.agents()
    assert (agent.id, agent.cluster, agent.node, agent.zone, agent.host_processes) == (
        "lab/node-1",
        "lab",
        "node-1",
        "z1",
        True,
    )
    assert client.targets(namespace="no-such-namespace") == []
    processes = client.targets(cmdline=f"--name m\\d .*--tag {cluster.tag}")
    assert sorted(t.pid or 0 for t in processes) == sorted(cluster.members.pids())


def test_preview_picks_the_same_with_the_same_seed_and_touches_nothing(client: Client, cluster: Cluster) -> None:
    group = {"processes": {"cmdline": f"--tag {cluster.tag}"}, "count": 1, "seed": "preview"}
    a, b = client.preview(group), client.preview(group)
    assert len(a.matched) == 3
    assert [t.pid for t in a.picked] == [t.pid for t in b.picked]
    assert a.picked[0].kind == "process"
    assert a.picked[0].labels["port"] in {str(p) for p in cluster.members.ports.values()}
    assert a.seed == "preview"
    assert cluster.members.stopped() == []


def test_api_errors_keep_code_path_status_and_request(client: Client, cluster: Cluster) -> None:
    with pytest.raises(ValidationError) as bad:
        client.preview({"processes": {"cmdline": "("}})
    assert isinstance(bad.value, ErisApiError) and isinstance(bad.value, ErisError)
    assert (bad.value.status, bad.value.code, bad.value.request) == (400, "ERIS_ERR_VALIDATION", "POST /v1/selections")
    assert (bad.value.path or "").startswith("target.processes.cmdline")
    assert "target.processes.cmdline" in str(bad.value)
    with pytest.raises(NoTargetsError) as none:
        client.preview({"processes": {"cmdline": "no-such-process-xyz-123"}})
    assert (none.value.status, none.value.code) == (422, "ERIS_ERR_NO_TARGETS")
    with pytest.raises(NotFoundError) as missing:
        client.runs.get("no-such-run")
    assert (missing.value.status, missing.value.path) == (404, "id")
    with pytest.raises(UnauthorizedError):
        Client(cluster.url, "wrong").version()
    with pytest.raises(ValidationError) as run_bad:
        client.runs.list(limit=0)
    assert run_bad.value.path == "query.limit"


def test_a_refused_connection_and_a_silent_server_are_distinct_errors() -> None:
    port = free_port()
    with pytest.raises(ErisConnectionError) as refused:
        Client(f"http://127.0.0.1:{port}", "t").agents()
    assert f"127.0.0.1:{port}" in str(refused.value)
    assert refused.value.code == "ERIS_ERR_UNAVAILABLE"
    assert refused.value.__cause__ is not None, "the httpx error is kept"

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        held: list[socket.socket] = []
        accepting = threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True)
        accepting.start()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ErisTimeoutError) as slow:
            Client(url, timeout=0.3).health()
        assert url in str(slow.value)
        assert not isinstance(slow.value, ErisConnectionError)
        assert slow.value.__cause__ is not None
        for conn in held:
            conn.close()


def test_bad_base_urls_are_refused_with_the_field(cluster: Cluster) -> None:
    with pytest.raises(ErisConfigError) as ftp:
        Client("ftp://x")
    assert ftp.value.path == "base_url"
    with pytest.raises(ErisConfigError, match="not an http"):
        Client("unix:///run/eris.sock")


@pytest.fixture
def frozen_m0(client: Client, cluster: Cluster) -> Iterator[str]:
    fault = client.faults.create(member(cluster, "m0"), "stop", lease="30s")
    try:
        yield fault.id
    finally:
        client.faults.resume(fault.id)


def test_places_lists_gets_and_resumes_an_immediate_fault(client: Client, cluster: Cluster) -> None:
    fault = client.faults.create(member(cluster, "m0"), "stop", lease="30s")
    try:
        assert fault.signal == "SIGSTOP"
        assert fault.pids == [cluster.members.pid("m0")]
        assert proc_state(fault.pids[0]) == "T"
        assert fault.id in [f.id for f in client.faults.list()]
        assert client.faults.get(fault.id).parts[0].fault.state == "active"
        resumed = client.faults.resume(fault.id)
        assert resumed.parts[0].fault.state == "resumed"
        assert resumed.resume.confirmed is True
        wait_for(lambda: proc_state(fault.pids[0]) in ("S", "R"), 3, "m0 running")
        with pytest.raises(NotFoundError):
            client.faults.get("nope")
    finally:
        client.faults.resume(fault.id)


def test_drills_from_a_dict_yaml_text_and_a_path(client: Client, cluster: Cluster, tmp_path: Path) -> None:
    text = sample_drill(cluster.tag, "py-stored")
    saved = client.drills.save(text)
    assert saved.name == "py-stored"
    as_dict = yaml.safe_load(text) | {"metadata": {"name": "py-dict"}}
    assert client.drills.save(as_dict).name == "py-dict"
    path = tmp_path / "drill.yaml"
    path.write_text(sample_drill(cluster.tag, "py-file"))
    assert client.drills.save(path).name == "py-file"
    names = [d.name for d in client.drills.list()]
    assert {"py-stored", "py-dict", "py-file"} <= set(names)
    assert client.drills.get("py-stored").yaml == text, "YAML is kept as written"
    assert client.drills.get("py-dict").yaml is None
    assert client.drills.delete("py-dict") == "py-dict"
    with pytest.raises(NotFoundError):
        client.drills.get("py-dict")
    with pytest.raises(ValidationError) as bad:
        client.drills.save("apiVersion: nope\n")
    assert (bad.value.status, bad.value.path) == (400, "apiVersion")
    with pytest.raises(ErisConfigError, match="drill file"):
        client.drills.save(tmp_path / "missing.yaml")


def test_validate_checks_templates_and_points_at_a_problem(client: Client, cluster: Cluster) -> None:
    templates = client.drills.templates()
    assert len(templates) >= 3
    for template in templates:
        check = client.drills.validate(template.yaml)
        assert check.ok, f"template {template.name}: {check.problems}"
        assert check.name
    text = sample_drill(cluster.tag, "py-check").replace("timeout: ", "timeout: soon # ", 1)
    check = client.drills.validate(text)
    assert not check.ok
    problem = check.problems[0]
    line = text.splitlines()[problem.line - 1]
    assert "timeout" in problem.path
    assert "timeout" in line, f"{problem} points at {line!r}"
    assert client.drills.validate(yaml.safe_load(sample_drill(cluster.tag, "py-check"))).ok, "a dict is checked too"
    assert "py-check" not in [d.name for d in client.drills.list()], "nothing is stored"


def test_a_dry_run_previews_without_touching(client: Client, cluster: Cluster) -> None:
    client.drills.save(sample_drill(cluster.tag, "py-dry"))
    preview = client.runs.start("py-dry", dry_run=True, seed=3)
    assert isinstance(preview, DryRunResult)
    assert preview.groups["member"].wanted == 1
    assert preview.groups["all"].matched == 3
    assert preview.groups["member"].picked[0].key.startswith("lab/node-1/")
    again = client.runs.start(spec=sample_drill(cluster.tag, "py-dry"), dry_run=True, seed=3)
    assert again.groups["member"].picked[0].pid == preview.groups["member"].picked[0].pid, "same seed, same pick"
    assert cluster.members.stopped() == []
    with pytest.raises(ErisConfigError, match="exactly one"):
        client.runs.start("py-dry", spec={"a": 1})


def test_run_returns_the_report_with_timedeltas_and_junit(client: Client, cluster: Cluster) -> None:
    cluster.members.healthy()
    seen: list[str] = []
    report = client.run(
        sample_drill(cluster.tag, "py-run"), seed=7, timeout=120, on_event=lambda e: seen.append(e.type)
    )
    assert report.status == "passed", report.describe()
    assert report.seed == "7"
    assert {"run", "step", "fault", "probe", "timeline"} <= set(seen)
    [entry] = report.timeline
    assert entry.time_to_detect is not None and entry.time_to_recover is not None
    assert entry.time_to_detect.total_seconds() > 0
    assert entry.time_to_recover.total_seconds() * 1000 == pytest.approx(entry.time_to_recover_ms)
    assert client.runs.report(report.id).timeline[0].recovered_at == entry.recovered_at
    junit = client.runs.report(report.id, "junit")
    assert junit.startswith("<?xml") and "time to recover" in junit
    run = client.runs.get(report.id)
    assert isinstance(run, Run) and run.status == "passed" and run.result is not None
    assert report.id in [r.id for r in client.runs.list(drill="py-run", status="passed")]
    with pytest.raises(ConflictError) as not_running:
        client.runs.abort(report.id)
    assert not_running.value.path == "id"
    wait_for(lambda: cluster.members.stopped() == [], 5, "nothing left stopped")


def test_abort_resumes_what_the_run_froze(client: Client, cluster: Cluster) -> None:
    cluster.members.healthy()
    drill = yaml.safe_load(sample_drill(cluster.tag, "py-abort", detect_timeout="10s"))
    # Hold the frozen member for a minute: only an abort ends this run early.
    drill["spec"]["steps"] = [
        {"name": "freeze", "signal": "SIGSTOP", "target": "member", "lease": "120s"},
        {"name": "hold", "wait": "health", "target": "member", "until": "pass", "timeout": "60s"},
    ]
    run = client.runs.start(spec=drill)
    for event in client.runs.events(run.id):
        if event.type == "fault":
            break
    wait_for(lambda: len(cluster.members.stopped()) == 1, 5, "one member frozen")
    assert client.runs.abort(run.id) == "aborting"
    report = client.runs.wait(run.id, timeout=30)
    assert report.status == "aborted"
    wait_for(lambda: cluster.members.stopped() == [], 5, "the abort resumed it")


def test_audit_pages_newest_first(client: Client, cluster: Cluster, frozen_m0: str) -> None:
    page = client.audit(action="fault.create", limit=1)
    assert len(page.records) == 1
    assert page.records[0].target == frozen_m0
    assert page.records[0].action == "fault.create"
    assert page.next_cursor is not None
    older = client.audit(action="fault.create", limit=1, cursor=page.next_cursor)
    assert older.records == [] or older.records[0].seq < page.records[0].seq
    assert client.audit(since="2999-01-01T00:00:00Z").records == []


def test_a_path_given_as_text_is_caught_before_it_is_sent(client: Client) -> None:
    with pytest.raises(ErisConfigError, match=r"pass pathlib\.Path") as meant_a_file:
        client.run("drills/etcd-member.yaml")
    assert meant_a_file.value.path == "drill"
