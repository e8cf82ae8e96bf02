"""Helpers for tests: freeze for a block, and assert a run's detect/recover times with its timeline on failure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Literal

from ._calls import TargetGroup
from .client import Client
from .models import Fault, RunReport

Duration = timedelta | float | int | str
"""A timedelta, seconds as a number, or text as drills spell it: ``"500ms"``, ``"5s"``, ``"2m"``, ``"1h"``."""

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(value: Duration) -> timedelta:
    """``"1.5s"`` → ``timedelta(seconds=1.5)``; a ValueError names what it could not read."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*", value)
    if match is None:
        raise ValueError(f"not a duration: {value!r} (e.g. 500ms, 5s, 2m)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def frozen(
    client: Client, target: TargetGroup, lease: str | int = "30s", *, scope: Literal["all", "init"] | None = None
) -> AbstractContextManager[Fault]:
    """``with frozen(eris, {"processes": {"cmdline": "^etcd"}}):`` — ``client.freeze`` for tests."""
    return client.freeze(target, lease, scope=scope)


class RecoveryAssertionError(AssertionError):
    """A run missed its detect/recover bounds; the message holds the whole timeline."""


def assert_recovery(
    report: RunReport,
    detected_within: Duration | None = None,
    recovered_within: Duration | None = None,
    *,
    require_passed: bool = True,
) -> None:
    """Every target of the run was detected within ``detected_within`` of its first injection and recovered
    within ``recovered_within`` of the last; otherwise AssertionError with the run's timeline, step by step."""
    problems = list(_problems(report, detected_within, recovered_within, require_passed))
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise RecoveryAssertionError(f"run {report.id} missed its bounds:\n{listed}\n\ntimeline:\n{report.describe()}")


def _problems(
    report: RunReport, detected_within: Duration | None, recovered_within: Duration | None, require_passed: bool
) -> Iterator[str]:
    if require_passed and report.status != "passed":
        yield f"the run ended {report.status}, not passed"
    if not report.timeline and (detected_within is not None or recovered_within is not None):
        yield "the run's timeline is empty: nothing was injected"
    detect = None if detected_within is None else duration(detected_within)
    recover = None if recovered_within is None else duration(recovered_within)
    for t in report.timeline:
        if detect is not None:
            if t.time_to_detect is None:
                yield f"{t.group} pid {t.target.pid or '-'}: never detected (wanted within {detect})"
            elif t.time_to_detect > detect:
                yield f"{t.group} pid {t.target.pid or '-'}: detected after {t.time_to_detect}, wanted within {detect}"
        if recover is not None:
            if t.time_to_recover is None:
                yield f"{t.group} pid {t.target.pid or '-'}: never recovered (wanted within {recover})"
            elif t.time_to_recover > recover:
                yield f"{t.group} pid {t.target.pid or '-'}: recovered after {t.time_to_recover}, wanted within {recover}"
