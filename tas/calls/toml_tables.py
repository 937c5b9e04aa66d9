"""Files of ``[[name]]`` TOML tables (``[[policy]]``, ``[[rule]]``): the one reader both file
formats use (docs/file-formats.md). Errors name the file, and the table by its 1-based index."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["load_tables", "parse_tables"]

T = TypeVar("T")


def parse_tables(
    text: str, source: str, name: str, parse: Callable[[Any], T], error: type[ValueError]
) -> list[T]:
    """Each ``[[name]]`` table of TOML ``text`` through ``parse``; any other top-level key is an
    ``error``, as is what ``parse`` raises (prefixed with ``source`` and ``name #index``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: {exc}") from None
    if unknown := set(data) - {name}:
        raise error(f"{source}: unknown table(s): {', '.join(sorted(unknown))}")
    entries = data.get(name, [])
    if not isinstance(entries, list):
        raise error(f"{source}: expected [[{name}]] tables")
    found = []
    for index, entry in enumerate(entries, 1):
        try:
            found.append(parse(entry))
        except error as exc:
            raise error(f"{source}: {name} #{index}: {exc}") from None
    return found


def load_tables(
    path: Path, name: str, parse: Callable[[Any], T], error: type[ValueError]
) -> list[T]:
    """:func:`parse_tables` of a file; a missing or unreadable file is an ``error`` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {exc}") from None
    return parse_tables(text, str(path), name, parse, error)
