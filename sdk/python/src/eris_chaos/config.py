"""Which coordinator to talk to and with which token, resolved exactly as the ``eris`` CLI does (cli/connection.ts).

First wins: arguments; the context named by ``context=`` / ``ERIS_CONTEXT``; ``ERIS_COORDINATOR``, ``ERIS_TOKEN``,
``ERIS_TOKEN_FILE``; the current context of the contexts file (``$ERIS_CONFIG``, else
``$XDG_CONFIG_HOME/eris/contexts.yaml``, else ``~/.config/eris/contexts.yaml``); ``http://127.0.0.1:7700``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .errors import ErisConfigError

DEFAULT_COORDINATOR = "http://127.0.0.1:7700"
_CONTEXT_KEYS = ("coordinator", "token", "tokenFile")


@dataclass(frozen=True)
class Connection:
    """A resolved coordinator URL and token; ``source`` says where the URL came from (for messages)."""

    coordinator: str
    token: str | None
    source: str


@dataclass(frozen=True)
class _Layer:
    name: str
    coordinator: str | None = None
    token: str | None = None
    token_file: str | None = None


def contexts_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the CLI keeps its named coordinators."""
    env = os.environ if env is None else env
    if env.get("ERIS_CONFIG"):
        return Path(env["ERIS_CONFIG"]).resolve()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "eris" / "contexts.yaml"


def read_contexts(path: Path) -> tuple[str | None, dict[str, dict[str, str]]]:
    """``(current, contexts)`` from the contexts file, validated as the CLI validates it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, {}
    except OSError as exc:
        raise ErisConfigError(f"cannot read the contexts file {path}: {exc}", path="contexts") from exc
    try:
        data = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise ErisConfigError(f"{path}: {exc}", path="contexts") from exc
    if data is None:
        return None, {}
    if not isinstance(data, dict):
        raise ErisConfigError(f"{path}: must be a map with current and contexts", path="contexts")
    contexts = data.get("contexts") or {}
    if not isinstance(contexts, dict):
        raise ErisConfigError(
            f"{path}: contexts: must be a map of name → {{coordinator, token | tokenFile}}", path="contexts"
        )
    out: dict[str, dict[str, str]] = {}
    for name, entry in contexts.items():
        if not isinstance(entry, dict):
            raise ErisConfigError(
                f"{path}: contexts.{name}: must be a map {{coordinator, token | tokenFile}}", path=f"contexts.{name}"
            )
        for key in entry:
            if key not in _CONTEXT_KEYS:
                raise ErisConfigError(
                    f"{path}: contexts.{name}.{key}: unknown key (coordinator, token, tokenFile)",
                    path=f"contexts.{name}.{key}",
                )
        out[str(name)] = {k: str(v) for k, v in entry.items() if v is not None}
    current = data.get("current")
    return (current if isinstance(current, str) else None), out


def first_secret(path: Path) -> str:
    """The first line of a token file that is not blank or a comment; ``name:token`` gives ``token``."""
    for raw in path.read_text(encoding="utf-8").split("\n"):
        line = raw.strip()
        if line and not line.startswith("#"):
            m = re.fullmatch(r"([A-Za-z0-9_.-]{1,64}):(.+)", line)
            return m.group(2) if m else line
    raise ErisConfigError(f"tokenFile: {path} holds no token", path="tokenFile")


def normalise_url(url: str, where: str) -> str:
    """Adds ``http://`` when no scheme is given and drops trailing slashes; only http(s) is accepted."""
    with_scheme = url if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE) else f"http://{url}"
    parts = urlsplit(with_scheme)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ErisConfigError(f"{where}: not an http(s) URL: {url!r}", path=where)
    return with_scheme.rstrip("/")


def resolve_connection(
    base_url: str | None = None,
    token: str | None = None,
    token_file: str | os.PathLike[str] | None = None,
    context: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """The coordinator and token the CLI would use with these flags in this environment."""
    env = os.environ if env is None else env
    if token is not None and token_file is not None:
        raise ErisConfigError("give one of token and token_file", path="token")
    layers = [_Layer("argument", base_url, token, None if token_file is None else os.fspath(token_file))]
    context_name = context if context is not None else (env.get("ERIS_CONTEXT") or None)
    path = contexts_path(env)
    current, contexts = read_contexts(path)

    def context_layer(name: str) -> _Layer:
        entry = contexts.get(name)
        if entry is None:
            known = ", ".join(contexts)
            hint = f" (contexts: {known})" if known else " (eris context add NAME --url URL)"
            raise ErisConfigError(f"no context {name!r} in {path}{hint}", path="context")
        return _Layer(f"context {name}", entry.get("coordinator"), entry.get("token"), entry.get("tokenFile"))

    if context_name is not None:
        layers.append(context_layer(context_name))
    layers.append(_Layer("env", env.get("ERIS_COORDINATOR"), env.get("ERIS_TOKEN"), env.get("ERIS_TOKEN_FILE")))
    if context_name is None and current is not None and current in contexts:
        layers.append(context_layer(current))

    url_layer = next((layer for layer in layers if layer.coordinator), None)
    coordinator = (
        normalise_url(url_layer.coordinator, "base_url" if url_layer.name == "argument" else url_layer.name)
        if url_layer is not None and url_layer.coordinator
        else DEFAULT_COORDINATOR
    )
    token_layer = next((layer for layer in layers if layer.token or layer.token_file), None)
    resolved: str | None = None
    if token_layer is not None and token_layer.token:
        resolved = token_layer.token.strip()
    elif token_layer is not None and token_layer.token_file:
        file = Path(token_layer.token_file).expanduser()
        try:
            resolved = first_secret(file)
        except OSError as exc:
            raise ErisConfigError(f"token file {file} ({token_layer.name}): {exc}", path="tokenFile") from exc
    return Connection(coordinator, resolved, url_layer.name if url_layer is not None else "default")
