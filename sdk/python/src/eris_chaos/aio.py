"""The asyncio client: the same surface as ``Client``, every call awaited, events as an async iterator."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
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


class AsyncClient:
    """``Client`` for asyncio: ``async with AsyncClient() as eris: await eris.version()``."""

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
        self._http = httpx.AsyncClient(**client_options(conn, timeout, verify))
        self.faults = AsyncFaults(self)
        self.drills = AsyncDrills(self)
        self.runs = AsyncRuns(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient({self.base_url!r})"

    async def _do(self, call: calls.Call[T]) -> T:
        request = call.build(self._http)
        try:
            res = await self._http.send(request)
        except httpx.TransportError as exc:
            raise network_error(exc, call.what, self.base_url, self.timeout) from exc
        return call.answer(res)

    async def health(self) -> m.Health:
        """GET /healthz; needs no token."""
        return await self._do(calls.health())

    async def version(self) -> m.VersionInfo:
        return await self._do(calls.version())

    async def agents(self) -> list[m.Agent]:
        return await self._do(calls.agents())

    async def targets(
        self,
        *,
        cluster: str | None = None,
        namespace: str | None = None,
        pod: str | None = None,
        container: str | None = None,
        labels: str | None = None,
        cmdline: str | None = None,
    ) -> list[m.Target]:
        return await self._do(calls.targets(cluster, namespace, pod, container, labels, cmdline))

    async def preview(self, group: TargetGroup) -> m.SelectionPreview:
        return await self._do(calls.preview(group))

    async def audit(
        self,
        *,
        since: int | float | datetime | str | None = None,
        until: int | float | datetime | str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int | None = None,
        cursor: int | None = None,
    ) -> m.AuditPage:
        return await self._do(calls.audit(since, until, actor, action, limit, cursor))

    @asynccontextmanager
    async def freeze(
        self,
        target: TargetGroup,
        lease: str | int = "30s",
        *,
        scope: Literal["all", "init"] | None = None,
        method: Literal["signal", "freezer"] | None = None,
        override: list[str] | None = None,
    ) -> AsyncIterator[m.Fault]:
        """Freezes for the block; resumes on exit, on an exception, on Ctrl-C and on cancellation."""
        fault = await self.faults.create(target, "SIGSTOP", lease=lease, scope=scope, method=method, override=override)
        try:
            yield fault
        finally:
            # Shielded: a task cancelled again while resuming still resumes.
            await asyncio.shield(self.faults.resume(fault.id))

    async def kill(self, target: TargetGroup, *, scope: Literal["all", "init"] | None = None) -> m.Fault:
        return await self.faults.create(target, "SIGKILL", scope=scope)

    async def run(
        self,
        drill: DrillSource | None = None,
        *,
        name: str | None = None,
        seed: str | int | None = None,
        timeout: float | None = None,
        on_event: Callable[[m.RunEvent], None] | None = None,
    ) -> m.RunReport:
        run = await self.runs.start(name, spec=drill, seed=seed)
        return await self.runs.wait(run.id, timeout=timeout, on_event=on_event)


class AsyncFaults:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    async def create(
        self,
        target: TargetGroup,
        signal: str = "SIGSTOP",
        *,
        lease: str | int | None = None,
        scope: Literal["all", "init"] | None = None,
        method: Literal["signal", "freezer"] | None = None,
        override: list[str] | None = None,
    ) -> m.Fault:
        return await self._c._do(calls.fault_create(target, signal, lease, scope, method, override))

    async def list(self) -> list[m.Fault]:
        return await self._c._do(calls.fault_list())

    async def get(self, fault_id: str) -> m.Fault:
        return await self._c._do(calls.fault_get(fault_id))

    async def resume(self, fault_id: str) -> m.ResumedFault:
        return await self._c._do(calls.fault_resume(fault_id))

    async def resume_all(self) -> m.ResumeAll:
        return await self._c._do(calls.resume_all())


class AsyncDrills:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    async def save(self, drill: DrillSource) -> m.SavedDrill:
        return await self._c._do(calls.drill_save(drill))

    async def validate(self, drill: DrillSource) -> m.DrillCheck:
        """Checks a drill as ``eris validate`` does, without storing it: every problem at its line and column."""
        return await self._c._do(calls.drill_validate(drill))

    async def templates(self) -> list[m.DrillTemplate]:
        """The drills ``eris init`` writes, one per template."""
        return await self._c._do(calls.drill_templates())

    async def list(self) -> list[m.DrillSummary]:
        return await self._c._do(calls.drill_list())

    async def get(self, name: str) -> m.StoredDrill:
        return await self._c._do(calls.drill_get(name))

    async def delete(self, name: str) -> str:
        return await self._c._do(calls.drill_delete(name))


class AsyncRuns:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    @overload
    async def start(
        self,
        drill: str | None = None,
        *,
        spec: DrillSource | None = None,
        seed: str | int | None = None,
        dry_run: Literal[False] = False,
    ) -> m.Run: ...
    @overload
    async def start(
        self,
        drill: str | None = None,
        *,
        spec: DrillSource | None = None,
        seed: str | int | None = None,
        dry_run: Literal[True],
    ) -> m.DryRunResult: ...
    async def start(
        self,
        drill: str | None = None,
        *,
        spec: DrillSource | None = None,
        seed: str | int | None = None,
        dry_run: bool = False,
    ) -> m.Run | m.DryRunResult:
        result: m.Run | m.DryRunResult = await self._c._do(calls.run_start(drill, spec, seed, dry_run))
        return result

    async def list(
        self, *, drill: str | None = None, status: m.RunStatus | None = None, limit: int | None = None
    ) -> list[m.RunSummary]:
        return await self._c._do(calls.run_list(drill, status, limit))

    async def get(self, run_id: str) -> m.Run:
        return await self._c._do(calls.run_get(run_id))

    async def abort(self, run_id: str) -> str:
        return await self._c._do(calls.run_abort(run_id))

    @overload
    async def report(self, run_id: str, format: Literal["json"] = "json") -> m.RunReport: ...
    @overload
    async def report(self, run_id: str, format: Literal["junit"]) -> str: ...
    async def report(self, run_id: str, format: Literal["json", "junit"] = "json") -> m.RunReport | str:
        if format == "junit":
            return await self._c._do(calls.run_junit(run_id))
        return await self._c._do(calls.run_report(run_id))

    async def events(self, run_id: str, *, after: int = 0, reconnects: int = 5) -> AsyncIterator[m.RunEvent]:
        """As ``Client.runs.events``: resumes from the last event id when the stream drops."""
        follow = calls.EventFollower(run_id, after, reconnects, self._c.base_url, self._c.timeout)
        while True:
            dropped: httpx.TransportError | None = None
            try:
                async with self._c._http.stream(**follow.stream_args()) as res:
                    if res.is_error:
                        await res.aread()
                        raise calls.error_from(res, follow.what)
                    follow.opened = True
                    async for sse in EventSource(res).aiter_sse():
                        event = follow.take(sse.event, sse.id, sse.data)
                        if event is None:
                            continue
                        yield event
                        if event.is_final:
                            return
            except httpx.TransportError as exc:
                dropped = follow.dropped(exc)
            if dropped is None and (await self.get(run_id)).status in m.FINISHED:
                # Ended without a final event: the run ended without one (its coordinator restarted).
                return
            follow.retry(dropped)
            await asyncio.sleep(0.5)

    async def wait(
        self, run_id: str, *, timeout: float | None = None, on_event: Callable[[m.RunEvent], None] | None = None
    ) -> m.RunReport:
        deadline = None if timeout is None else time.monotonic() + timeout
        async for event in self.events(run_id):
            if on_event is not None:
                on_event(event)
            report = event.report
            if report is not None:
                return report
            if deadline is not None and time.monotonic() > deadline:
                raise ErisTimeoutError(f"run {run_id} did not end within {timeout:g} s")
        return await self.report(run_id)
