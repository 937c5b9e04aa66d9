"""Where the call application learns which registrations are ours (for
:func:`tas.calls.routing.decode_leg`): the registrations lifecycle store (what we asked the
operator for and what it accepted) and, with the embedded sandbox, its control plane."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from registrations.model import Registration
from registrations.store import RegistrationStore
from tas.sandbox.grpc_server import ControlPlane

__all__ = [
    "CombinedRegistrations",
    "RegistrationSource",
    "SandboxRegistrations",
    "StaticRegistrations",
    "StoredRegistrations",
]


class RegistrationSource(Protocol):
    async def registrations(self) -> list[Registration]: ...


class StoredRegistrations:
    """The lifecycle store: the accepted registration of each number, else the desired one."""

    def __init__(self, store: RegistrationStore) -> None:
        self.store = store

    async def registrations(self) -> list[Registration]:
        out = []
        for entry in await self.store.entries():
            reg = entry.registered or entry.desired
            if reg is not None:
                out.append(reg)
        return out


class SandboxRegistrations:
    """The live registrations held by an in-process sandbox control plane."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane

    async def registrations(self) -> list[Registration]:
        return [a.registration for a in self.plane.breakouts.active(self.plane.clock())]


class StaticRegistrations:
    """A fixed list (tests, tools)."""

    def __init__(self, registrations: Sequence[Registration]) -> None:
        self._registrations = list(registrations)

    async def registrations(self) -> list[Registration]:
        return list(self._registrations)


class CombinedRegistrations:
    """Several sources, first one wins per (number, route)."""

    def __init__(self, *sources: RegistrationSource) -> None:
        self.sources = sources

    async def registrations(self) -> list[Registration]:
        seen: dict[tuple[str, int], Registration] = {}
        for source in self.sources:
            for reg in await source.registrations():
                seen.setdefault((reg.phone_number, int(reg.route)), reg)
        return list(seen.values())
