"""ruff (lint and format) and mypy --strict over the package, its tests and the example, as part of the suite."""

from __future__ import annotations

import subprocess
import sys

from .harness import ROOT

PACKAGE = ROOT / "sdk" / "python"
EXAMPLE = ROOT / "examples" / "python"
CHECKED = [str(PACKAGE / "src"), str(PACKAGE / "tests"), str(EXAMPLE)]
# One configuration for all three (the example has no pyproject.toml of its own).
CONFIG = ("--config", str(PACKAGE / "pyproject.toml"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=PACKAGE, capture_output=True, text=True, timeout=300)


def test_ruff_lint() -> None:
    result = run("ruff", "check", *CONFIG, *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run("ruff", "format", *CONFIG, "--check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = run("mypy", "--strict", str(PACKAGE / "src"), str(PACKAGE / "tests"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_mypy_strict_on_the_example() -> None:
    # A run of its own: the example's conftest.py and the tests' would clash as one module name.
    result = run("mypy", "--strict", "--config-file", str(PACKAGE / "pyproject.toml"), str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
