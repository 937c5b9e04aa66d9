"""The embedded sandbox's live registrations as a per-number source for the call directory
(:class:`tas.calls.sources.NumberSource`): the call application routes by what the sandbox
core accepted, without importing the sandbox (issue #12, "no layer leaks")."""

from __future__ import annotations

from collections.abc import Sequence

from registrations.model import Registration
from tas.sandbox.grpc_server import ControlPlane

__all__ = ["SandboxRegistrations"]


class SandboxRegistrations:
    """The live (unexpired) registrations an in-process :class:`ControlPlane` holds; read
    from its table in memory on each lookup, so an upsert or delete counts at once."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane

    def registrations_for(self, number: str) -> Sequence[Registration]:
        rows = self.plane.breakouts.registrations_for(number, self.plane.clock())
        return tuple(row.registration for row in rows)
