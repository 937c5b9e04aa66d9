"""The sandbox's registrations on disk: kept with their expiry, restored with the lifetime
left, lapsed ones dropped (virtual clock, a temp folder)."""

from __future__ import annotations

from pathlib import Path

from registrations.model import Route
from tas.config import SandboxSettings
from tas.sandbox.breakout import BreakoutTable
from tas.sandbox.breakout_file import FILE_NAME, BreakoutFile
from tas.sandbox.grpc_server import ControlPlane

T0 = 1_700_000_000.0
N1, N2 = "+4799990001", "+4799990002"
URI = "sips:tas.example.com:5061"


def test_put_load_remove(tmp_path: Path) -> None:
    file = BreakoutFile.under(tmp_path)
    assert file.path == tmp_path / FILE_NAME and file.path.exists()
    table = BreakoutTable()
    a = table.upsert(N1, Route.FORK, URI, "", "22", now=T0)
    b = table.upsert(N2, "loop-mt", URI, "", "33", now=T0 + 10)
    file.put(b, T0 + 10)
    file.put(a, T0)
    assert BreakoutFile(file.path).load(T0 + 20) == [a, b]  # in order of their upsert
    file.remove(N1, URI)
    assert file.load(T0 + 20) == [b]


def test_re_upsert_replaces_and_lapsed_rows_are_dropped(tmp_path: Path) -> None:
    file = BreakoutFile.under(tmp_path)
    table = BreakoutTable()
    file.put(table.upsert(N1, Route.LOOP, URI, now=T0), T0)
    renewed = table.upsert(N1, Route.LOOP, URI, now=T0 + 1000)
    file.put(renewed, T0 + 1000)
    file.put(table.upsert(N2, Route.LOOP, URI, now=T0), T0)
    assert file.load(T0 + 3600) == [renewed]  # N2 lapsed at T0 + 3600 exactly
    assert file.load(T0 + 4600) == []


def test_restore_keeps_the_remaining_lifetime(tmp_path: Path) -> None:
    first = BreakoutTable()
    active = first.upsert(N1, Route.FALLBACK, URI, now=T0)
    second = BreakoutTable()
    assert second.restore([active], T0 + 600) == 1
    (row,) = second.registrations_for(N1, T0 + 600)
    assert row.time_to_live(T0 + 600) == 3000.0  # 3600 s from the last upsert, not from now
    assert second.restore([active], T0 + 3600) == 0
    assert second.registrations_for(N1, T0 + 3600) == []


def test_control_plane_restores_from_its_data_dir(tmp_path: Path) -> None:
    now = [T0]
    before = ControlPlane(SandboxSettings(), clock=lambda: now[0], data_dir=tmp_path)
    assert before.breakout_file is not None
    before.breakout_file.put(before.breakouts.upsert(N1, Route.LOOP, URI, now=T0), T0)
    now[0] = T0 + 59 * 60
    after = ControlPlane(SandboxSettings(), clock=lambda: now[0], data_dir=tmp_path)
    (row,) = after.registrations_for(N1)
    assert (row.sip_uri, row.route, row.expires_at) == (URI, Route.LOOP, T0 + 3600)
    now[0] = T0 + 3600
    assert after.registrations_for(N1) == []
    assert ControlPlane(SandboxSettings(), clock=lambda: now[0]).breakout_file is None
