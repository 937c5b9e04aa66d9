"""Restart drift, end to end: ``tas register`` against the real sandbox control plane, which is
stopped and started again between commands (one virtual clock for both).

With a data folder the sandbox keeps its registrations (remaining TTL intact). Without one it
forgets them, which is what any operator-side loss looks like to us: the store still says
"registered", so ``run --once`` and ``sync`` must re-upsert rather than trust it, a delete the
operator answers NOT_FOUND must remove the row, and ``delete --local`` forgets one by hand.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import registrations.cli
from registrations.model import Registration, Route
from registrations.schedule import Entry
from registrations.store import RegistrationStore
from tas.cli import cli
from tas.config import SandboxSettings
from tas.sandbox.grpc_server import ControlPlane
from tas.store import Database

N1, N2 = "+4799990001", "+4799990002"
URI = "sips:tas.example.com:5061"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Operator:
    """The sandbox control plane on its own loop thread; :meth:`restart` is a new process's
    plane on the same data folder (or, without one, a plane that remembers nothing)."""

    def __init__(
        self, clock: Clock, monkeypatch: pytest.MonkeyPatch, data_dir: Path | None
    ) -> None:
        self.clock, self.monkeypatch, self.data_dir = clock, monkeypatch, data_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.plane = self._start()

    def _start(self) -> ControlPlane:
        plane = ControlPlane(SandboxSettings(), clock=self.clock, data_dir=self.data_dir)
        address = self.call(lambda: plane.start("127.0.0.1:0"))
        self.monkeypatch.setenv("TAS_SANDBOX__GRPC", address)
        return plane

    def call(self, fn: Callable[[], Any]) -> Any:
        async def on_loop() -> Any:
            result = fn()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(on_loop(), self.loop).result(timeout=10)

    def restart(self) -> None:
        self.call(self.plane.stop)
        self.plane = self._start()

    def registered(self, number: str) -> list[tuple[str, str, float]]:
        rows = self.call(lambda: self.plane.registrations_for(number))
        return [(r.sip_uri, r.route.cli_name, r.expires_at) for r in rows]

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.call(self.plane.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Clock:
    for name in ("TAS_CONFIG", "TAS_DATABASE__URL", "TAS_OPERATOR__TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TAS_OPERATOR__ATTEMPTS", "1")
    virtual = Clock()
    monkeypatch.setattr(registrations.cli, "_clock", virtual)
    return virtual


@pytest.fixture
def keeping(clock: Clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Operator]:
    """A sandbox that keeps its registrations under the data folder."""
    running = Operator(clock, monkeypatch, tmp_path / "data")
    yield running
    running.close()


@pytest.fixture
def forgetful(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Operator]:
    """A sandbox that forgets everything on restart (an operator that lost our state)."""
    running = Operator(clock, monkeypatch, None)
    yield running
    running.close()


def tas(*args: str) -> Result:
    return CliRunner().invoke(cli, ["register", *args], catch_exceptions=False)


def listed() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(tas("list", "--json").stdout)
    return rows


def test_the_sandbox_keeps_registrations_with_their_remaining_ttl(
    keeping: Operator, clock: Clock
) -> None:
    assert tas("upsert", N1, "--route", "fallback", "--uri", URI).exit_code == 0
    clock.now = T0 + 600
    keeping.restart()
    assert keeping.registered(N1) == [(URI, "fallback", T0 + 3600)]  # 3600 s from the upsert
    assert tas("run", "--once").exit_code == 0  # re-asserted on start: counts from now
    assert keeping.registered(N1) == [(URI, "fallback", T0 + 4200)]
    clock.now = T0 + 4200
    keeping.restart()
    assert keeping.registered(N1) == []  # lapsed while down: the operator's rule
    assert keeping.data_dir is not None
    assert (keeping.data_dir / "sandbox" / "registrations.sqlite3").exists()


def test_run_once_and_sync_re_upsert_what_the_operator_lost(
    forgetful: Operator, clock: Clock, tmp_path: Path
) -> None:
    file = tmp_path / "registrations.toml"
    file.write_text(
        f'[defaults]\nuri = "{URI}"\n[[registration]]\nnumber = "{N1}"\nroute = "loop"\n'
        f'[[registration]]\nnumber = "{N2}"\nroute = "loop-mt"\nmt_prefix = "22"\n'
    )
    assert tas("sync", "--file", str(file)).exit_code == 0
    clock.now = T0 + 60
    forgetful.restart()
    assert forgetful.registered(N1) == forgetful.registered(N2) == []
    assert [row["state"] for row in listed()] == ["registered", "registered"]  # the drift

    once = tas("run", "--once", "--help")  # the documented meaning
    assert "Re-upsert every registration" in once.stdout
    assert tas("run", "--once").exit_code == 0
    assert forgetful.registered(N1) == [(URI, "loop", T0 + 3660)]
    assert forgetful.registered(N2) == [(URI, "loop-mt", T0 + 3660)]

    forgetful.restart()
    synced = tas("sync", "--file", str(file), "--json")
    assert synced.exit_code == 0, synced.output
    steps = json.loads(synced.stdout)["steps"]
    assert [(s["number"], s["action"], s["ok"]) for s in steps] == [
        (N1, "refresh", True),
        (N2, "refresh", True),
    ]
    assert [r[:2] for r in forgetful.registered(N2)] == [(URI, "loop-mt")]


def test_delete_of_a_registration_the_operator_lost_removes_the_row(
    forgetful: Operator, clock: Clock
) -> None:
    assert tas("upsert", N1, "--route", "loop", "--uri", URI).exit_code == 0
    forgetful.restart()
    result = tas("delete", N1, "--json")
    assert result.exit_code == 0, result.output
    (step,) = json.loads(result.stdout)["steps"]
    assert (step["action"], step["ok"]) == ("delete", True)
    assert step["note"].startswith("already gone at the operator (no registration of")
    assert listed() == []  # not a stuck "rejected" row


def test_a_stuck_rejected_row_is_healed_on_the_next_run(
    forgetful: Operator, clock: Clock, tmp_path: Path
) -> None:
    """Rows as the old refresher left them: a delete refused, an upsert refused."""

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tas.db'}")
        store = RegistrationStore(db)
        await store.create_schema()
        reg1, reg2 = Registration(N1, Route.LOOP, URI), Registration(N2, Route.FORK, URI)
        refused = f"no registration of {URI} for {N1}"
        await store.save(
            Entry(
                N1,
                desired=None,
                registered=reg1,
                registered_at=T0,
                expires_at=T0 + 3600,
                refresh_at=T0 + 1800,
                failures=1,
                rejected=True,
                last_error=refused,
                updated_at=T0,
            )
        )
        await store.save(
            Entry(N2, reg2, failures=1, rejected=True, last_error="busy", updated_at=T0)
        )
        await db.close()

    asyncio.run(seed())
    assert [row["state"] for row in listed()] == ["rejected", "rejected"]
    clock.now = T0 + 120
    assert tas("run", "--once").exit_code == 0
    (healed,) = listed()  # N1's delete: NOT_FOUND, row gone; N2: upserted, no longer rejected
    assert (healed["number"], healed["state"], healed["last_error"]) == (N2, "registered", None)
    assert [r[:2] for r in forgetful.registered(N2)] == [(URI, "fork")]


def test_delete_local_forgets_without_calling_the_operator(
    forgetful: Operator, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tas("upsert", N1, "--route", "loop-mo", "--uri", URI, "--mo-prefix", "11").exit_code == 0
    forgetful.close()  # no operator at all: --local must not need one
    monkeypatch.setenv("TAS_SANDBOX__GRPC", "127.0.0.1:9")
    result = tas("delete", "--local", N1)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert text.startswith(f"{N1}: forgotten locally (was registered, {URI}); no call was made")
    assert f"tas register delete {N1} --uri {URI} --route loop-mo" in text
    assert listed() == []

    missing = tas("delete", "--local", N1)
    assert missing.exit_code == 2
    assert missing.stderr == f"error: no registration for {N1} in the store; nothing to forget\n"
    both = tas("delete", "--local", N2, "--uri", URI, "--json")
    assert both.exit_code == 2 and json.loads(both.stdout)["kind"] == "bad_input"
