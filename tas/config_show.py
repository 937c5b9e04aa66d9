"""Effective settings and where each value came from (``tas config show``).

Every leaf field of :class:`tas.config.Settings` becomes one :class:`Entry`: its dotted path,
its value as JSON (secrets masked) and its source, which is ``default``, the config file's path,
or the name of the ``TAS_…`` variable that set it (precedence: environment > file > default).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tas.config import Settings, config_path, load_settings
from tas.config_check import env_paths, mask, model_of, read_toml

__all__ = ["Entry", "Report", "describe"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One effective value: ``sip.udp = ["127.0.0.1:5060"]`` from ``default``."""

    path: str
    value: Any  # JSON-compatible, secrets masked
    source: str


@dataclass(frozen=True, slots=True)
class Report:
    """The file used (None: defaults and environment only) and every effective value."""

    config_file: Path | None
    origin: str | None  # "TAS_CONFIG" when the file was named by the environment
    settings: Settings
    entries: list[Entry]


def describe(config_file: Path | None = None) -> Report:
    """Load the settings like every command does and trace each value to its source.

    Raises :class:`tas.config.ConfigError` for a bad config, exactly like :func:`load_settings`.
    """
    settings = load_settings(config_file)
    path, origin = config_path(config_file)
    data = read_toml(path, origin) if path is not None else {}
    env = env_paths(Settings, os.environ)
    dumped = settings.model_dump(mode="json")
    entries: list[Entry] = []
    _walk(Settings, dumped, (), data, str(path), env, entries)
    return Report(path, origin, settings, entries)


def _walk(
    model: type[BaseModel],
    dumped: Mapping[str, Any],
    prefix: tuple[str, ...],
    data: Mapping[str, Any] | None,
    file: str,
    env: dict[tuple[str, ...], str],
    out: list[Entry],
) -> None:
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        value = dumped.get(name)
        section = data.get(name) if isinstance(data, Mapping) else None
        sub = model_of(field.annotation)
        if sub is not None and isinstance(value, Mapping):
            _walk(
                sub, value, path, section if isinstance(section, Mapping) else None, file, env, out
            )
            continue
        out.append(Entry(".".join(path), mask(path, value), _source(path, data, name, file, env)))


def _source(
    path: tuple[str, ...],
    data: Mapping[str, Any] | None,
    name: str,
    file: str,
    env: dict[tuple[str, ...], str],
) -> str:
    for depth in range(len(path), 0, -1):
        if path[:depth] in env:
            return env[path[:depth]]
    below = [var for key, var in env.items() if key[: len(path)] == path]
    if below:
        return ", ".join(sorted(below))  # TAS_SANDBOX__SUBSCRIBERS__<number>
    if isinstance(data, Mapping) and name in data:
        return file
    return "default"
