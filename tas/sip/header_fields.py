"""The header list of a SIP message (RFC 3261 §7.3): ordered, case-insensitive, multi-valued."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from tas.sip.grammar import split_list
from tas.sip.names import LIST_HEADERS, name_key

__all__ = ["Headers"]

#: Versions are unique across all Headers, so a cache keyed on one never matches another.
_VERSIONS = itertools.count()


class Headers:
    """Ordered, case-insensitive multi-map of header fields (§7.3).

    Each field is kept as one entry (a line, possibly with a comma-separated list). ``version``
    changes on every mutation so typed views can cache safely; lookups go through an index by
    name that is rebuilt lazily after a mutation.
    """

    __slots__ = ("_fields", "version", "_index", "_indexed")

    def __init__(self, fields: list[tuple[str, str]] | None = None) -> None:
        self._fields: list[tuple[str, str, str]] = []
        self.version = next(_VERSIONS)
        self._index: dict[str, list[str]] = {}
        self._indexed = -1
        for name, value in fields or ():
            self.add(name, value)

    @classmethod
    def from_fields(
        cls, fields: list[tuple[str, str, str]], index: dict[str, list[str]] | None = None
    ) -> Headers:
        """Adopt ``(key, canonical name, value)`` triples built by the parser (no copying),
        with their by-key index when the caller built it too."""
        new = cls.__new__(cls)
        new._fields = fields
        new.version = next(_VERSIONS)
        new._index = index or {}
        new._indexed = new.version if index is not None else -1
        return new

    def _lookup(self) -> dict[str, list[str]]:
        if self._indexed != self.version:
            index: dict[str, list[str]] = {}
            for key, _, value in self._fields:
                bucket = index.get(key)
                if bucket is None:
                    index[key] = [value]
                else:
                    bucket.append(value)
            self._index = index
            self._indexed = self.version
        return self._index

    def add(self, name: str, value: str) -> None:
        key, name = name_key(name)
        self._fields.append((key, name, value))
        self.version = next(_VERSIONS)

    def prepend(self, name: str, value: str) -> None:
        """Insert before every other field (Via on a new hop, §8.1.1.7)."""
        key, name = name_key(name)
        self._fields.insert(0, (key, name, value))
        self.version = next(_VERSIONS)

    def set(self, name: str, value: str) -> None:
        """Replace every field of this name by one, in the place of the first."""
        key, name = name_key(name)
        out: list[tuple[str, str, str]] = []
        placed = False
        for field in self._fields:
            if field[0] == key:
                if not placed:
                    out.append((key, name, value))
                    placed = True
            else:
                out.append(field)
        if not placed:
            out.append((key, name, value))
        self._fields = out
        self.version = next(_VERSIONS)

    def remove(self, name: str) -> None:
        key = name_key(name)[0]
        self._fields = [f for f in self._fields if f[0] != key]
        self.version = next(_VERSIONS)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first field of this name, as received."""
        bucket = self._lookup().get(name_key(name)[0])
        return bucket[0] if bucket else default

    def fields(self, name: str) -> list[str]:
        """Every field of this name, one entry per line as received."""
        return list(self._lookup().get(name_key(name)[0], ()))

    def values(self, name: str) -> list[str]:
        """Every value of this name; list headers are split on commas (§7.3.1)."""
        key = name_key(name)[0]
        raw = self._lookup().get(key, [])
        if key not in LIST_HEADERS:
            return list(raw)
        out: list[str] = []
        for value in raw:
            out.extend(split_list(value))
        return out

    def count(self, name: str) -> int:
        return len(self._lookup().get(name_key(name)[0], ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name_key(name)[0] in self._lookup()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((f[1], f[2]) for f in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def copy(self) -> Headers:
        return Headers.from_fields(list(self._fields))

    def __repr__(self) -> str:
        return f"Headers({[(f[1], f[2]) for f in self._fields]!r})"
