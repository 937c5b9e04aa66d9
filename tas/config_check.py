"""Strict settings input: unknown keys, TOML errors and validation errors as one line each.

Everything here is driven by the pydantic models (any ``BaseModel`` tree), never by a list of
keys, so a field added to :mod:`tas.config` is known here without touching this module:

* :func:`read_toml` reads a config file, or raises :class:`ConfigError` naming the file and
  the problem (TOML line and column);
* :func:`unknown_keys` and :func:`unknown_env` find keys of a TOML table or ``TAS_…``
  variables that name no field, with a :mod:`difflib` suggestion
  (``sip.udpp: unknown setting; did you mean udp?``);
* :func:`validation_problems` turns a pydantic ``ValidationError`` into one problem per field
  with its dotted path and the offending input (``media.port_min: Input should be a valid
  integer (got 'abc')``).
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

__all__ = [
    "ConfigError",
    "Problem",
    "NOT_SETTINGS_ENV",
    "env_json_problems",
    "env_paths",
    "is_secret",
    "mask",
    "model_of",
    "read_toml",
    "unknown_env",
    "unknown_keys",
    "validation_problems",
]

#: ``TAS_…`` variables that are not settings fields (read by the CLI itself).
NOT_SETTINGS_ENV = frozenset({"TAS_CONFIG", "TAS_HARNESS_TOKEN", "TAS_ADMIN_TOKEN"})

_SECRET_NAME = re.compile(r"(^|_)(secret|secrets|token|tokens|password|passwd)($|_)")
_NOT_SECRET_SUFFIX = ("_url", "_file", "_path", "_dir", "_ttl", "_timeout")
_URL_PASSWORD = re.compile(r"(://[^/:@\s]*:)[^@/\s]+@")
MASK = "***"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the settings: where (dotted path), what, and from which source."""

    path: str
    message: str
    source: str | None = None  # a file path or an environment variable name

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} ({self.source})" if self.source else text


class ConfigError(Exception):
    """The settings cannot be loaded; ``lines`` holds one self-contained line per problem."""

    def __init__(self, problems: list[Problem] | list[str]) -> None:
        self.lines: tuple[str, ...] = tuple(str(p) for p in problems)
        super().__init__("\n".join(self.lines))


# --- the model tree ---------------------------------------------------------------------------


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The model behind ``Model`` or ``Model | None``; None for any other type."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return model_of(args[0])
    return None


def _items_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """``("list", Model)`` for ``list[Model]``, ``("dict", Model)`` for ``dict[str, Model]``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (list, tuple) and args and (model := model_of(args[0])) is not None:
        return "list", model
    if origin is dict and len(args) == 2 and (model := model_of(args[1])) is not None:
        return "dict", model
    return None


def _keys(model: type[BaseModel]) -> dict[str, str]:
    """Accepted input key -> field name (field names and string aliases)."""
    keys: dict[str, str] = {}
    for name, field in model.model_fields.items():
        keys[name] = name
        if isinstance(field.alias, str):
            keys[field.alias] = name
    return keys


def _suggest(key: str, model: type[BaseModel], cutoff: float = 0.6) -> str | None:
    close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=cutoff)
    return close[0] if close else None


def _unknown(path: str, key: str, model: type[BaseModel], source: str | None) -> Problem:
    hint = _suggest(key, model)
    message = "unknown setting" + (f"; did you mean {hint}?" if hint else "")
    return Problem(path, message, source)


def unknown_keys(
    model: type[BaseModel], data: Mapping[str, Any], source: str | None = None, prefix: str = ""
) -> list[Problem]:
    """Keys of ``data`` (a parsed TOML document or table) that name no field of ``model``."""
    problems: list[Problem] = []
    keys = _keys(model)
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in keys:
            problems.append(_unknown(path, key, model, source))
            continue
        annotation = model.model_fields[keys[key]].annotation
        if (sub := model_of(annotation)) is not None and isinstance(value, Mapping):
            problems += unknown_keys(sub, value, source, f"{path}.")
        elif (items := _items_model(annotation)) is not None:
            kind, sub = items
            entries: list[tuple[object, Any]] = []
            if kind == "list" and isinstance(value, list):
                entries = list(enumerate(value))
            elif kind == "dict" and isinstance(value, Mapping):
                entries = list(value.items())
            for index, entry in entries:
                if isinstance(entry, Mapping):
                    problems += unknown_keys(sub, entry, source, f"{path}.{index}.")
    return problems


# --- environment ------------------------------------------------------------------------------


def _env_settings(
    environ: Mapping[str, str], prefix: str, delimiter: str
) -> Iterator[tuple[str, list[str]]]:
    """``(name, [lower-case path parts])`` of each variable that may be a setting."""
    for name in environ:
        upper = name.upper()
        if not upper.startswith(prefix) or upper in NOT_SETTINGS_ENV:
            continue
        parts = upper[len(prefix) :].lower().split(delimiter)
        if parts and all(parts):
            yield name, parts


def unknown_env(
    model: type[BaseModel],
    environ: Mapping[str, str],
    prefix: str = "TAS_",
    delimiter: str = "__",
) -> list[Problem]:
    """``TAS_<SECTION>__<FIELD>`` variables that name no field (``TAS_SIP__UDPP``).

    A nested name (with ``__``) must resolve completely. A single-part name is refused only
    when it is a near miss of a top-level field (``TAS_LOG_LEVLE``): other ``TAS_…`` variables
    (read by other tools) are left alone.
    """
    problems: list[Problem] = []
    for name, parts in _env_settings(environ, prefix, delimiter):
        current: type[BaseModel] | None = model
        for depth, part in enumerate(parts):
            if current is None:
                break  # below a scalar, dict or list field: pydantic-settings decides
            keys = _keys(current)
            if part not in keys:
                path = ".".join(parts[: depth + 1])
                if depth > 0:
                    problems.append(_unknown(path, part, current, name))
                elif (hint := _suggest(part, current, cutoff=0.8)) is not None:
                    problems.append(Problem(path, f"unknown setting; did you mean {hint}?", name))
                break
            current = model_of(current.model_fields[keys[part]].annotation)
    return problems


def _complex(annotation: Any) -> bool:
    """Whether pydantic-settings reads the variable as JSON (lists, tables, models)."""
    if model_of(annotation) is not None:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_complex(a) for a in get_args(annotation) if a is not type(None))
    return get_origin(annotation) in (list, tuple, set, frozenset, dict)


def env_json_problems(
    model: type[BaseModel],
    environ: Mapping[str, str],
    prefix: str = "TAS_",
    delimiter: str = "__",
) -> list[Problem]:
    """Variables for a list, table or section whose value is not JSON (``TAS_SIP__UDP=x``)."""
    problems: list[Problem] = []
    for path, name in env_paths(model, environ, prefix, delimiter).items():
        annotation = _annotation(model, path)
        if annotation is None or not _complex(annotation):
            continue
        try:
            json.loads(environ[name])
        except ValueError:
            value = _shown(mask(path, environ[name]))
            message = f"not valid JSON (got {value}); write lists and tables as JSON"
            problems.append(Problem(".".join(path), message, name))
    return problems


def _annotation(model: type[BaseModel], path: tuple[str, ...]) -> Any:
    current: type[BaseModel] | None = model
    annotation: Any = None
    for part in path:
        if current is None or part not in current.model_fields:
            return None
        annotation = current.model_fields[part].annotation
        current = model_of(annotation)
    return annotation


def env_paths(
    model: type[BaseModel],
    environ: Mapping[str, str],
    prefix: str = "TAS_",
    delimiter: str = "__",
) -> dict[tuple[str, ...], str]:
    """Dotted path (as a tuple of field names) -> the variable that sets it."""
    paths: dict[tuple[str, ...], str] = {}
    for name, parts in _env_settings(environ, prefix, delimiter):
        current: type[BaseModel] | None = model
        resolved: list[str] = []
        for part in parts:
            if current is None:
                resolved.append(part)
                continue
            keys = _keys(current)
            if part not in keys:
                break
            resolved.append(keys[part])
            current = model_of(current.model_fields[keys[part]].annotation)
        else:
            paths[tuple(resolved)] = name
    return paths


# --- files ------------------------------------------------------------------------------------


def read_toml(path: Path, origin: str | None = None) -> dict[str, Any]:
    """The parsed file, or :class:`ConfigError` with one line naming the file and the problem.

    ``origin`` says where the name came from (``TAS_CONFIG``) when not from the command line.
    """
    where = f" (from {origin})" if origin else ""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found{where}"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, not a config file{where}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}){where}"]) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError([f"{path}: cannot read config file: {reason}{where}"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: invalid TOML: {exc}{where}"]) from None


# --- validation errors ------------------------------------------------------------------------


def is_secret(path: tuple[str, ...] | list[str]) -> bool:
    """Whether a field's value must not be shown (client_secret, tokens, passwords)."""
    return any(
        _SECRET_NAME.search(part) and not part.endswith(_NOT_SECRET_SUFFIX)
        for part in path
        if isinstance(part, str)
    )


def mask(path: tuple[str, ...] | list[str], value: Any) -> Any:
    """``value`` with secrets replaced by ``***`` (passwords inside URLs too)."""
    if value is None or value == "" or value == [] or value == {}:
        return value
    if is_secret(path):
        if isinstance(value, list):
            return [MASK for _ in value]
        if isinstance(value, dict):
            return {key: MASK for key in value}
        return MASK
    if isinstance(value, str):
        return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", value)
    if isinstance(value, list):
        return [mask(path, item) for item in value]
    if isinstance(value, dict):
        return {key: mask([*path, str(key)], item) for key, item in value.items()}
    return value


def _field_path(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The part of a pydantic error location that names fields (drops union member tags)."""
    path: list[str] = []
    current: type[BaseModel] | None = model
    annotation: Any = None
    for part in loc:
        if current is not None and isinstance(part, str) and part in _keys(current):
            name = _keys(current)[part]
            path.append(name)
            annotation = current.model_fields[name].annotation
            current = model_of(annotation)
        elif current is None and (items := _items_model(annotation)) is not None:
            path.append(str(part))
            current, annotation = items[1], None
        elif current is None and isinstance(part, int):
            path.append(str(part))  # an element of a list of scalars
            annotation = None
        else:
            break
    return tuple(path)


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validation_problems(
    model: type[BaseModel],
    exc: ValidationError,
    source_of: Callable[[tuple[str, ...]], str | None] | None = None,
) -> list[Problem]:
    """One problem per field of ``exc``; ``source_of(path)`` names the file or variable."""
    problems: list[Problem] = []
    seen: set[tuple[str, ...]] = set()
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = _field_path(model, loc)
        if error["type"] == "extra_forbidden":
            path = tuple(str(part) for part in loc)
        if path in seen:
            continue  # a union: the first member's complaint is enough
        seen.add(path)
        source = source_of(path) if source_of is not None else None
        dotted = ".".join(path)
        if error["type"] == "extra_forbidden":
            parent = _parent_model(model, path[:-1])
            problems.append(
                _unknown(dotted, path[-1], parent, source)
                if parent
                else Problem(dotted, "unknown setting", source)
            )
            continue
        message = str(error["msg"])
        value = error.get("input")
        if error["type"] != "missing" and not isinstance(value, Mapping):
            message += f" (got {_shown(mask(path, value))})"
        problems.append(Problem(dotted or "settings", message, source))
    return problems


def _parent_model(model: type[BaseModel], path: tuple[str, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in path:
        if current is None or part not in _keys(current):
            return None
        current = model_of(current.model_fields[_keys(current)[part]].annotation)
    return current
