"""The client finds its coordinator and token as the CLI does (cli/connection.ts): arguments, then the context
named by ERIS_CONTEXT, then ERIS_* variables, then the contexts file's current context, then the default. The
CLI itself (`eris context current --json`) is asked for the same environments, so the two cannot drift."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from eris_chaos import Client, ErisConfigError, resolve_connection
from eris_chaos.config import DEFAULT_COORDINATOR

from .conftest import Cluster
from .harness import ERIS_BIN, node_binary


def write_contexts(tmp_path: Path, token_file: Path) -> dict[str, str]:
    path = tmp_path / "contexts.yaml"
    path.write_text(
        "current: prod\n"
        "contexts:\n"
        "  prod:\n"
        "    coordinator: prod.example:7700\n"
        f"    tokenFile: {token_file}\n"
        "  local:\n"
        "    coordinator: http://127.0.0.1:7799/\n"
        "    token: local-token\n"
    )
    return {"ERIS_CONFIG": str(path)}


def cli_says(env: dict[str, str]) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ERIS_")} | env
    out = subprocess.run(
        [node_binary(), str(ERIS_BIN), "context", "current", "--json"],
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, object] = json.loads(out.stdout)
    return answer


@pytest.mark.parametrize(
    ("extra", "coordinator", "token", "source"),
    [
        ({}, "http://prod.example:7700", "prod-secret", "context prod"),
        ({"ERIS_CONTEXT": "local"}, "http://127.0.0.1:7799", "local-token", "context local"),
        (
            {"ERIS_COORDINATOR": "https://env.example", "ERIS_TOKEN": "env-token"},
            "https://env.example",
            "env-token",
            "env",
        ),
        (
            {"ERIS_CONTEXT": "local", "ERIS_COORDINATOR": "http://env.example"},
            "http://127.0.0.1:7799",
            "local-token",
            "context local",
        ),
        ({"ERIS_COORDINATOR": "http://env.example"}, "http://env.example", "prod-secret", "env"),
    ],
)
def test_matches_the_cli(tmp_path: Path, extra: dict[str, str], coordinator: str, token: str, source: str) -> None:
    token_file = tmp_path / "prod.token"
    token_file.write_text("# the prod token\nci:prod-secret\n")
    env = write_contexts(tmp_path, token_file) | extra
    conn = resolve_connection(env=env)
    assert (conn.coordinator, conn.token, conn.source) == (coordinator, token, source)
    cli = cli_says(env)
    assert (cli["coordinator"], cli["source"], cli["token"]) == (coordinator, source, True)


def test_defaults_without_anything(tmp_path: Path) -> None:
    env = {"ERIS_CONFIG": str(tmp_path / "none.yaml")}
    conn = resolve_connection(env=env)
    assert (conn.coordinator, conn.token, conn.source) == (DEFAULT_COORDINATOR, None, "default")
    assert cli_says(env) == {"coordinator": DEFAULT_COORDINATOR, "source": "default", "token": False}


def test_arguments_win_and_the_xdg_path_is_used(tmp_path: Path) -> None:
    (tmp_path / "eris").mkdir()
    (tmp_path / "eris" / "contexts.yaml").write_text(
        "current: a\ncontexts:\n  a:\n    coordinator: http://a:1\n    token: ta\n"
    )
    env = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    assert resolve_connection(env=env).coordinator == "http://a:1"
    conn = resolve_connection("http://arg:2", "targ", env=env)
    assert (conn.coordinator, conn.token, conn.source) == ("http://arg:2", "targ", "argument")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("contexts: [1]\n", "contexts"),
        ("contexts:\n  a: 3\n", "contexts.a"),
        ("contexts:\n  a:\n    url: http://x\n", "contexts.a.url"),
    ],
)
def test_a_bad_contexts_file_names_the_field(tmp_path: Path, text: str, path: str) -> None:
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ErisConfigError) as bad:
        resolve_connection(env={"ERIS_CONFIG": str(tmp_path / "c.yaml")})
    assert bad.value.path == path


def test_unknown_context_and_missing_token_file(tmp_path: Path) -> None:
    env = write_contexts(tmp_path, tmp_path / "missing.token")
    with pytest.raises(ErisConfigError, match=r"no context 'nope'.*contexts: prod, local"):
        resolve_connection(context="nope", env=env)
    with pytest.raises(ErisConfigError, match=r"missing\.token"):
        resolve_connection(env=env)
    with pytest.raises(ErisConfigError, match="one of token and token_file"):
        resolve_connection(token="a", token_file="b", env=env)


def test_a_client_from_env_and_token_file_reaches_the_coordinator(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"me:{cluster.token}\n")
    monkeypatch.setenv("ERIS_COORDINATOR", cluster.url.removeprefix("http://"))
    monkeypatch.setenv("ERIS_TOKEN_FILE", str(token_file))
    with Client() as eris:
        assert eris.base_url == cluster.url
        assert len(eris.agents()) == 1
