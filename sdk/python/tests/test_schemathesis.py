"""schemathesis (PyPI) against a real coordinator, driven by the committed OpenAPI document: no 5xx and every answer
conforms to the document. Coordinator and schemathesis share a network namespace that has only loopback
(``unshare --net``), so no fuzzed probe URL or DNS name can be reached or even looked up off the machine."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from .harness import assert_built

PACKAGE = Path(__file__).resolve().parents[1]


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch() -> None:
    assert_built()
    started = time.monotonic()
    run = subprocess.run(
        [
            "unshare",
            "--net",
            "--map-root-user",
            "--",
            "sh",
            "-c",
            'ip link set lo up && exec "$0" -m tests.schemathesis_run',
            sys.executable,
        ],
        cwd=PACKAGE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=240,
        check=False,
    )
    elapsed = time.monotonic() - started
    summary = re.search(r"(\d+) generated, (\d+) passed(?:, (\d+) failed)?", run.stdout)
    assert run.returncode == 0, run.stdout[-6000:]
    assert summary is not None, run.stdout[-3000:]
    generated, passed = int(summary[1]), int(summary[2])
    print(f"schemathesis: {generated} cases in {elapsed:.0f} s, {passed} passed, 0 5xx")
    assert generated >= 1000 and passed == generated, run.stdout[-3000:]
    assert "coordinator alive after the run: True" in run.stdout
