"""``tas register`` against the real sandbox control plane (tas.sandbox), sharing one virtual
clock: registrations lapse in the sandbox when virtual time passes their TTL unless refreshed.
Also: a client built only from the operator's protoset (no stubs of ours) talks to it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from click.testing import CliRunner, Result
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor_pb2 import FileDescriptorSet

import registrations.cli
from registrations.client import SipBreakoutClient, Target
from registrations.errors import OperatorRejected
from registrations.model import Registration, Route
from registrations.validation import NOT_SIPS
from tas.cli import cli
from tas.config import SandboxSettings

grpc_server = pytest.importorskip("tas.sandbox.grpc_server", reason="tas.sandbox not built yet")
ControlPlane = grpc_server.ControlPlane

N1, N2 = "+4799990001", "+4799990002"
URI = "sips:tas.example.com:5061"
T0 = 1_700_000_000.0
PROTOSET = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "wgtwo.protoset"
T = TypeVar("T")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Sandbox:
    """The control plane on its own event loop in a thread (the CLI runs asyncio.run)."""

    def __init__(self, clock: Clock) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.plane = ControlPlane(SandboxSettings(registration_ttl=3600.0), clock=clock)
        self.address: str = self.call(lambda: self.plane.start("127.0.0.1:0"))

    def call(self, fn: Callable[[], Any]) -> Any:
        async def on_loop() -> Any:
            result = fn()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(on_loop(), self.loop).result(timeout=10)

    def registered(self, number: str) -> list[tuple[str, str, float]]:
        rows = self.call(lambda: self.plane.registrations_for(number))
        return [(r.sip_uri, r.route.cli_name, r.expires_at) for r in rows]

    def close(self) -> None:
        self.call(self.plane.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    virtual = Clock()
    monkeypatch.setattr(registrations.cli, "_clock", virtual)
    return virtual


@pytest.fixture
def sandbox(clock: Clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    for name in ("TAS_CONFIG", "TAS_DATABASE__URL", "TAS_OPERATOR__TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TAS_OPERATOR__ATTEMPTS", "1")
    running = Sandbox(clock)
    monkeypatch.setenv("TAS_SANDBOX__GRPC", running.address)
    yield running
    running.close()


def tas(*args: str) -> Result:
    return CliRunner().invoke(cli, ["register", *args], catch_exceptions=False)


def test_upsert_refresh_expiry_and_delete(sandbox: Sandbox, clock: Clock) -> None:
    result = tas("upsert", N1, "--route", "fallback", "--uri", URI, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"][0]["ttl"] == 3600.0
    assert sandbox.registered(N1) == [(URI, "fallback", T0 + 3600)]

    clock.now = T0 + 1800  # half the TTL: the refresher re-upserts
    assert tas("run", "--once").exit_code == 0
    assert sandbox.registered(N1) == [(URI, "fallback", T0 + 5400)]
    clock.now = T0 + 3700  # past the first TTL: still registered thanks to the refresh
    assert sandbox.registered(N1) == [(URI, "fallback", T0 + 5400)]

    clock.now = T0 + 5400  # nobody refreshed: the sandbox dropped it, our status says so
    assert sandbox.registered(N1) == []
    [status] = json.loads(tas("status", "--json").stdout)
    assert status["state"] == "expired"
    assert tas("run", "--once").exit_code == 0  # due since T0 + 3600: registered again
    assert sandbox.registered(N1) == [(URI, "fallback", T0 + 9000)]

    deleted = tas("delete", N1)
    assert deleted.exit_code == 0, deleted.output
    assert sandbox.registered(N1) == []
    assert json.loads(tas("list", "--json").stdout) == []


def test_sync_against_the_sandbox(sandbox: Sandbox, tmp_path: Path) -> None:
    file = tmp_path / "registrations.toml"
    file.write_text(
        f'[defaults]\nuri = "{URI}"\n[[registration]]\nnumber = "{N1}"\nroute = "loop"\n'
        f'[[registration]]\nnumber = "{N2}"\nroute = "loop-mt"\nmt_prefix = "22"\n'
    )
    assert tas("sync", "--file", str(file)).exit_code == 0
    assert [r[:2] for r in sandbox.registered(N1)] == [(URI, "loop")]
    assert [r[:2] for r in sandbox.registered(N2)] == [(URI, "loop-mt")]
    file.write_text(
        f'[[registration]]\nnumber = "{N2}"\nroute = "fork"\nuri = "sips:b.example.com"\n'
    )
    result = tas("sync", "--file", str(file), "--json")
    assert result.exit_code == 0, result.output
    steps = [(s["number"], s["action"]) for s in json.loads(result.stdout)["steps"]]
    assert steps == [(N1, "delete"), (N2, "delete"), (N2, "upsert")]
    assert sandbox.registered(N1) == []
    assert [r[:2] for r in sandbox.registered(N2)] == [("sips:b.example.com", "fork")]


def test_sip_uri_gets_the_same_sentence_locally_and_from_the_sandbox(sandbox: Sandbox) -> None:
    local = tas("upsert", N1, "--route", "loop", "--uri", "sip:tas.example.com")
    assert (local.exit_code, local.stderr) == (2, f"error: {NOT_SIPS}\n")

    async def remote() -> str:
        target = Target(sandbox.address, tls=False, authenticated=False)
        async with SipBreakoutClient(target) as client:
            with pytest.raises(OperatorRejected) as err:
                await client.upsert(Registration(N1, Route.LOOP, "sip:tas.example.com"))
        return str(err.value)

    assert asyncio.run(remote()) == NOT_SIPS
    assert sandbox.registered(N1) == []


def test_client_built_only_from_the_protoset(sandbox: Sandbox) -> None:
    if not PROTOSET.is_file():
        pytest.skip(f"upstream descriptor set not found at {PROTOSET} (../shared is absent)")
    pool = descriptor_pool.DescriptorPool()
    for file in FileDescriptorSet.FromString(PROTOSET.read_bytes()).file:
        pool.Add(file)

    def cls(name: str) -> Any:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))

    request_cls = cls("wgtwo.sipbreakout.v1.UpsertRegistrationRequest")
    response_cls = cls("wgtwo.sipbreakout.v1.UpsertRegistrationResponse")
    request = request_cls()
    request.registration.sip_uri = URI
    request.registration.route_type = 2  # ROUTE_TYPE_FORK
    request.registration.phone_number.e164 = N1
    request.registration.mobile_terminating_prefix = "22"
    with grpc.insecure_channel(sandbox.address) as channel:
        call = channel.unary_unary(
            "/wgtwo.sipbreakout.v1.SipBreakoutService/UpsertRegistration",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_cls.FromString,
        )
        response = call(request, timeout=5)
    status = pool.FindEnumTypeByName("wgtwo.sipbreakout.v1.StatusCode")
    assert status.values_by_number[response.status_code].name == "STATUS_CODE_OK"
    assert response.time_to_live.seconds == 3600
    assert [r[:2] for r in sandbox.registered(N1)] == [(URI, "fork")]


def test_operator_rejection_from_the_sandbox_exits_1(sandbox: Sandbox) -> None:
    result = tas("delete", N1, "--uri", URI)  # never registered anywhere
    assert result.exit_code == 1
    assert result.stderr == f"error: {N1}: no registration of {URI} for {N1}\n"
    assert json.loads(tas("list", "--json").stdout) == []  # nothing stored for it
    assert tas("upsert", N1, "--route", "loop", "--uri", URI).exit_code == 0
    again = tas("delete", N1, "--uri", "sips:elsewhere.example.com")  # known: --uri unused
    assert again.exit_code == 0
    assert sandbox.registered(N1) == []
