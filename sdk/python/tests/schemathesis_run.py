"""Run by test_schemathesis.py inside a network namespace of its own (only loopback): a real coordinator with the
default probe policy (no --probe-allow), then schemathesis driven by the committed OpenAPI document against it.
Prints schemathesis's summary; exits with its status."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import ROOT, start_eris

TOKEN = "schemathesis-operator-token-0123456789"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="eris-schemathesis-") as data_dir:
        coordinator = start_eris(
            ["coordinator", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--rate-limit", "0"],
            "eris-coordinator listening",
            {"ERIS_COORDINATOR_TOKEN": TOKEN},
        )
        try:
            run = subprocess.run(
                [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "run",
                    str(ROOT / "schemas" / "openapi" / "coordinator.json"),
                    "--url",
                    coordinator.url,
                    "--header",
                    f"Authorization: Bearer {TOKEN}",
                    "--checks",
                    "not_a_server_error,response_schema_conformance",
                    "--max-examples",
                    os.environ.get("ERIS_SCHEMATHESIS_EXAMPLES", "20"),
                    "--max-time",
                    os.environ.get("ERIS_SCHEMATHESIS_SECONDS", "60"),
                    "--request-timeout",
                    "5",
                    "--seed",
                    os.environ.get("ERIS_FUZZ_SEED", "1"),
                    "--no-color",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
            print(run.stdout)
            alive = coordinator.proc.poll() is None
            print(f"coordinator alive after the run: {alive}")
            return run.returncode if alive else 1
        finally:
            coordinator.stop()


if __name__ == "__main__":
    sys.exit(main())
