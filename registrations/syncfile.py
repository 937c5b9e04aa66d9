"""The desired-state file of ``tas register sync --file registrations.toml``.

```toml
[defaults]                      # optional; any key below, applied to every registration
uri = "sips:tas.example.com:5061"

[[registration]]
number = "+4799990000"
route = "loop"                  # loop, fork, fallback, loop-mo, loop-mt, ingress
mo_prefix = "11"                # optional, digits
mt_prefix = "22"                # optional, digits
```

Every entry is validated (:mod:`registrations.validation`) before anything is stored or called.
A file without any ``[[registration]]`` is refused; ``registration = []`` removes them all.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from registrations.model import Registration
from registrations.validation import InvalidRegistration, validate_registration

__all__ = ["SyncFileError", "load_sync_file", "parse_sync_file"]

_KEYS = {"number", "route", "uri", "mo_prefix", "mt_prefix"}


class SyncFileError(ValueError):
    """The file cannot be read or an entry is invalid; ``str()`` names the file and entry."""


def load_sync_file(path: Path) -> list[Registration]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SyncFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_sync_file(text, source=str(path))


def parse_sync_file(text: str, *, source: str = "<sync file>") -> list[Registration]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SyncFileError(f"{source}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"defaults", "registration"}
    if unknown:
        raise SyncFileError(f"{source}: unknown table(s): {', '.join(sorted(unknown))}")
    if "registration" not in data:
        raise SyncFileError(
            f"{source}: no [[registration]] entries "
            "(write `registration = []` to remove every registration)"
        )
    defaults = _table(data.get("defaults", {}), f"{source}: [defaults]")
    entries = data["registration"]
    if not isinstance(entries, list):
        raise SyncFileError(f"{source}: `registration` must be an array of tables")
    result: list[Registration] = []
    seen: set[str] = set()
    for index, raw in enumerate(entries, start=1):
        where = f"{source}: registration #{index}"
        fields = {**defaults, **_table(raw, where)}
        if "number" in fields:
            where += f" ({fields['number']})"
        missing = [k for k in ("number", "route", "uri") if k not in fields]
        if missing:
            raise SyncFileError(f"{where}: missing {', '.join(missing)}")
        try:
            reg = validate_registration(
                fields["number"],
                fields["route"],
                fields["uri"],
                fields.get("mo_prefix", ""),
                fields.get("mt_prefix", ""),
            )
        except InvalidRegistration as exc:
            raise SyncFileError(f"{where}: {exc}") from exc
        if reg.phone_number in seen:
            raise SyncFileError(f"{where}: number listed twice")
        seen.add(reg.phone_number)
        result.append(reg)
    return result


def _table(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise SyncFileError(f"{where}: must be a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise SyncFileError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise SyncFileError(f"{where}: {key} must be a string")
    return dict(raw)
