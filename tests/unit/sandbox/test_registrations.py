"""The sandbox's per-number registration source for the call directory: live rows only,
upserts and deletes visible at once, expiry honoured."""

from __future__ import annotations

import ast
from pathlib import Path

import tas.calls
from registrations.model import Route
from tas.calls.directory import Directory
from tas.sandbox.grpc_server import ControlPlane
from tas.sandbox.registrations import SandboxRegistrations

ALICE = "+4799990000"
URI = "sips:tas.example.com"


def test_live_registrations_by_number_follow_the_table() -> None:
    now = [1000.0]
    plane = ControlPlane(clock=lambda: now[0])
    source = SandboxRegistrations(plane)
    assert source.registrations_for(ALICE) == ()
    plane.breakouts.upsert(ALICE, Route.LOOP, URI, now=now[0])
    (reg,) = source.registrations_for(ALICE)
    assert reg.route is Route.LOOP and reg.sip_uri == URI

    directory = Directory([source], clock=lambda: now[0])
    directory.confirmed()
    info = directory.find(ALICE, "+4712345678")
    assert info is not None and info.subscriber == ALICE

    now[0] += plane.breakouts.ttl + 1  # lapsed
    assert source.registrations_for(ALICE) == ()


def test_the_call_application_does_not_import_the_sandbox() -> None:
    """Issue #12: no calls -> sandbox layer leak (the sandbox provides its own source)."""
    calls = Path(tas.calls.__file__ or "").parent
    for path in sorted(calls.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [n for n in names if n.startswith("tas.sandbox")], path.name
