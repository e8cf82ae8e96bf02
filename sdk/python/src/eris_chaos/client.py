"""The synchronous client: ``Client(base_url, token)`` with ``faults``, ``drills`` and ``runs`` namespaces, a
``freeze()`` context manager that always resumes, and ``run()`` that returns the report."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal, TypeVar, overload

import httpx
from httpx_sse import EventSource

from . import _calls as calls
from . import models as m
from ._calls import DrillSource, TargetGroup
from ._transport import Verify, client_options, network_error
from .config import resolve_connection
from .errors import ErisTimeoutError

T = TypeVar("T")


class Client:
    """A connection to an eris coordinator.

    Arguments not given are resolved as the ``eris`` CLI resolves them (``ERIS_CONTEXT``, ``ERIS_COORDINATOR``,
    ``ERIS_TOKEN``, ``ERIS_TOKEN_FILE``, the contexts file). ``timeout`` (seconds) bounds every request; the events
    stream is bounded while connecting and then by the coordinator's 15 s keep-alive pings.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        verify: Verify = True,
        *,
        token_file: str | os.PathLike[str] | None = None,
        context: str | None = None,
    ) -> None:
        conn = resolve_connection(base_url, token, token_file, context)
        self.base_url = conn.coordinator
        self.timeout = timeout
        self._http = httpx.Client(**client_options(conn, timeout, verify))
        self.faults = Faults(self)
        self.drills = Drills(self)
        self.runs = Runs(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    def _do(self, call: calls.Call[T]) -> T:
        request = call.build(self._http)
        try:
            res = self._http.send(request)
        except httpx.TransportError as exc:
            raise network_error(exc, call.what, self.base_url, self.timeout) from exc
        return call.answer(res)

    def health(self) -> m.Health:
        """GET /healthz; needs no token."""
        return self._do(calls.health())

    def version(self) -> m.VersionInfo:
        return self._do(calls.version())

    def agents(self) -> list[m.Agent]:
        return self._do(calls.agents())

    def targets(
        self,
        *,
        cluster: str | None = None,
        namespace: str | None = None,
        pod: str | None = None,
        container: str | None = None,
        labels: str | None = None,
        cmdline: str | None = None,
    ) -> list[m.Target]:
        """Every container of every agent: exact cluster and namespace, regexes on pod and container, a label selector;
        with ``cmdline`` (a regex), the host processes it matches on host-mode agents instead."""
        return self._do(calls.targets(cluster, namespace, pod, container, labels, cmdline))

    def preview(self, group: TargetGroup) -> m.SelectionPreview:
        """What a target group matches and would pick right now; touches nothing."""
        return self._do(calls.preview(group))

    def audit(
        self,
        *,
        since: int | float | datetime | str | None = None,
        until: int | float | datetime | str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int | None = None,
        cursor: int | None = None,
    ) -> m.AuditPage:
        """The audit trail, newest first; page on with ``cursor=page.next_cursor``. Times: Unix ms, datetime, ISO."""
        return self._do(calls.audit(since, until, actor, action, limit, cursor))

    @contextmanager
    def freeze(
        self,
        target: TargetGroup,
        lease: str | int = "30s",
        *,
        scope: Literal["all", "init"] | None = None,
        method: Literal["signal", "freezer"] | None = None,
        override: list[str] | None = None,
    ) -> Iterator[m.Fault]:
        """Freezes (SIGSTOP) what ``target`` picks for the block, and resumes it on exit, on an exception and on
        Ctrl-C. The lease is the backstop: should this process die inside the block, the agent resumes at its end."""
        fault = self.faults.create(target, "SIGSTOP", lease=lease, scope=scope, method=method, override=override)
        try:
            yield fault
        finally:
            self._resume_despite_interrupts(fault.id)

    def _resume_despite_interrupts(self, fault_id: str) -> None:
        # A second Ctrl-C while resuming must not leave the target frozen until its lease: resume, then re-raise.
        try:
            self.faults.resume(fault_id)
        except KeyboardInterrupt:
            self.faults.resume(fault_id)
            raise

    def kill(self, target: TargetGroup, *, scope: Literal["all", "init"] | None = None) -> m.Fault:
        """SIGKILL what ``target`` picks, now."""
        return self.faults.create(target, "SIGKILL", scope=scope)

    def run(
        self,
        drill: DrillSource | None = None,
        *,
        name: str | None = None,
        seed: str | int | None = None,
        timeout: float | None = None,
        on_event: Callable[[m.RunEvent], None] | None = None,
    ) -> m.RunReport:
        """Runs a drill (a dict, YAML text or a path; or a stored one by ``name``) and returns its report once it
        has ended. The timeline gives ``time_to_detect`` / ``time_to_recover`` per target as ``timedelta``."""
        run = self.runs.start(name, spec=drill, seed=seed)
        return self.runs.wait(run.id, timeout=timeout, on_event=on_event)


class Faults:
    """Immediate faults: freeze, kill or resume what a target group picks, now."""

    def __init__(self, client: Client) -> None:
        self._c = client

    def create(
        self,
        target: TargetGroup,
        signal: str = "SIGSTOP",
        *,
        lease: str | int | None = None,
        scope: Literal["all", "init"] | None = None,
        method: Literal["signal", "freezer"] | None = None,
        override: list[str] | None = None,
    ) -> m.Fault:
        return self._c._do(calls.fault_create(target, signal, lease, scope, method, override))

    def list(self) -> list[m.Fault]:
        return self._c._do(calls.fault_list())

    def get(self, fault_id: str) -> m.Fault:
        return self._c._do(calls.fault_get(fault_id))

    def resume(self, fault_id: str) -> m.ResumedFault:
        """Resumes what the fault stopped (idempotent); ``resume.confirmed`` says every process was seen running."""
        return self._c._do(calls.fault_resume(fault_id))

    def resume_all(self) -> m.ResumeAll:
        """Emergency: aborts every running run and resumes every active fault in the token's scope, in one audited call."""
        return self._c._do(calls.resume_all())


class Drills:
    """Stored drills."""

    def __init__(self, client: Client) -> None:
        self._c = client

    def save(self, drill: DrillSource) -> m.SavedDrill:
        """Stores a drill under its ``metadata.name``: a dict, YAML text (kept as written) or a path to a file."""
        return self._c._do(calls.drill_save(drill))

    def validate(self, drill: DrillSource) -> m.DrillCheck:
        """Checks a drill as ``eris validate`` does, without storing it: every problem at its line and column."""
        return self._c._do(calls.drill_validate(drill))

    def templates(self) -> list[m.DrillTemplate]:
        """The drills ``eris init`` writes, one per template."""
        return self._c._do(calls.drill_templates())

    def list(self) -> list[m.DrillSummary]:
        return self._c._do(calls.drill_list())

    def get(self, name: str) -> m.StoredDrill:
        return self._c._do(calls.drill_get(name))

    def delete(self, name: str) -> str:
        """Deletes it; returns the name."""
        return self._c._do(calls.drill_delete(name))


class Runs:
    """Runs of drills: start, follow, abort, report."""

    def __init__(self, client: Client) -> None:
        self._c = client

    @overload
    def start(
        self,
        drill: str | None = None,
        *,
        spec: DrillSource | None = None,
        seed: str | int | None = None,
        dry_run: Literal[False] = False,
    ) -> m.Run: ...
    @overload
    def start(
        self,
        drill: str | None = None,
        *,
        spec: DrillSource | None = None,
        seed: str | int | None = None,
        dry_run: Literal[True],
    ) -> m.DryRunResult: ...
    def start(
        self,
        drill: str | None = None,
        *,
        spec: DrillSource | None = None,
        seed: str | int | None = None,
        dry_run: bool = False,
    ) -> m.Run | m.DryRunResult:
        """Starts a stored drill by name, or ``spec`` (a dict, YAML text or a path). ``dry_run`` only previews."""
        result: m.Run | m.DryRunResult = self._c._do(calls.run_start(drill, spec, seed, dry_run))
        return result

    def list(
        self, *, drill: str | None = None, status: m.RunStatus | None = None, limit: int | None = None
    ) -> list[m.RunSummary]:
        return self._c._do(calls.run_list(drill, status, limit))

    def get(self, run_id: str) -> m.Run:
        return self._c._do(calls.run_get(run_id))

    def abort(self, run_id: str) -> str:
        """Asks the coordinator to abort (everything the run stopped is resumed); ConflictError if it is not running."""
        return self._c._do(calls.run_abort(run_id))

    @overload
    def report(self, run_id: str, format: Literal["json"] = "json") -> m.RunReport: ...
    @overload
    def report(self, run_id: str, format: Literal["junit"]) -> str: ...
    def report(self, run_id: str, format: Literal["json", "junit"] = "json") -> m.RunReport | str:
        """The report as a model, or as JUnit XML text (one testcase per step and per target)."""
        if format == "junit":
            return self._c._do(calls.run_junit(run_id))
        return self._c._do(calls.run_report(run_id))

    def events(self, run_id: str, *, after: int = 0, reconnects: int = 5) -> Iterator[m.RunEvent]:
        """The run's events, replayed then live, ending with the ``run`` event that ends it.

        A dropped stream is re-opened from the last event id seen (``?after=SEQ``), so no event is lost or
        repeated; after ``reconnects`` failed re-opens in a row, ErisConnectionError.
        """
        follow = calls.EventFollower(run_id, after, reconnects, self._c.base_url, self._c.timeout)
        while True:
            dropped: httpx.TransportError | None = None
            try:
                with self._c._http.stream(**follow.stream_args()) as res:
                    if res.is_error:
                        res.read()
                        raise calls.error_from(res, follow.what)
                    follow.opened = True
                    for sse in EventSource(res).iter_sse():
                        event = follow.take(sse.event, sse.id, sse.data)
                        if event is None:
                            continue
                        yield event
                        if event.is_final:
                            return
            except httpx.TransportError as exc:
                dropped = follow.dropped(exc)
            if dropped is None and self.get(run_id).status in m.FINISHED:
                # Ended without a final event: the run ended without one (its coordinator restarted).
                return
            follow.retry(dropped)
            time.sleep(0.5)

    def wait(
        self, run_id: str, *, timeout: float | None = None, on_event: Callable[[m.RunEvent], None] | None = None
    ) -> m.RunReport:
        """Follows the run until it ends and returns its report. ``timeout`` (seconds) is checked at every event
        (the coordinator pings at least every 15 s); ``on_event`` sees every event (live progress)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for event in self.events(run_id):
            if on_event is not None:
                on_event(event)
            report = event.report
            if report is not None:
                return report
            if deadline is not None and time.monotonic() > deadline:
                raise ErisTimeoutError(f"run {run_id} did not end within {timeout:g} s")
        return self.report(run_id)
