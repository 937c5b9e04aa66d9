"""``tas sandbox``: serves on loopback until SIGINT; bad input and busy ports exit cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner

from registrations.wgtwo.common.v1 import phonenumber_pb2
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2 as pb
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2_grpc
from tas.cli import cli

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("TAS_CONFIG", "TAS_SANDBOX__GRPC", "TAS_SANDBOX__TOKENS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    yield


def test_serves_until_sigint(clean_env: None) -> None:
    process = subprocess.Popen(
        ["timeout", "30", sys.executable, "-m", "tas", "sandbox", "--grpc", "127.0.0.1:0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith(
            "tas sandbox: SipBreakoutService v1 + EventsService v0 on 127.0.0.1:"
        )
        address = banner.split(" on ")[1].split()[0]
        with grpc.insecure_channel(address) as channel:
            stub = sipbreakout_pb2_grpc.SipBreakoutServiceStub(channel)  # type: ignore[no-untyped-call]
            response = stub.UpsertRegistration(
                pb.UpsertRegistrationRequest(
                    registration=pb.Registration(
                        sip_uri="sips:tas.example.com",
                        route_type=pb.ROUTE_TYPE_LOOP,
                        phone_number=phonenumber_pb2.E164(e164="+4799990000"),
                    )
                ),
                timeout=10,
            )
        assert response.status_code == pb.STATUS_CODE_OK
        process.send_signal(signal.SIGINT)  # reaches python through `timeout`
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "tas sandbox: stopped" in out
    assert "registered +4799990000 -> sips:tas.example.com (LOOP)" in err


def test_register_authenticates_to_a_sandbox_run_with_token(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = ["timeout", "60", sys.executable, "-m", "tas", "sandbox", "--grpc", "127.0.0.1:0"]
    process = subprocess.Popen(
        [*command, "--token", "s3cret"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "1 bearer token(s); clients: tas register --token TOKEN" in banner
        monkeypatch.setenv("TAS_SANDBOX__GRPC", banner.split(" on ")[1].split()[0])
        monkeypatch.setenv("TAS_OPERATOR__ATTEMPTS", "1")
        upsert = ["upsert", "+4799990000", "--route", "loop", "--uri", "sips:tas.example.com"]
        refused = CliRunner().invoke(cli, ["register", *upsert])
        assert refused.exit_code != 0
        assert "token" in refused.output.lower() or "unauth" in refused.output.lower()
        accepted = CliRunner().invoke(cli, ["register", "--token", "s3cret", *upsert])
        assert accepted.exit_code == 0, accepted.output
        assert "registered" in accepted.output
        assert CliRunner().invoke(cli, ["register", "run", "--once"]).exit_code != 0
        # The same token from the settings ([sandbox] tokens), as `tas serve` would have it.
        monkeypatch.setenv("TAS_SANDBOX__TOKENS", '["s3cret"]')
        from_settings = CliRunner().invoke(cli, ["register", "run", "--once"])
        assert from_settings.exit_code == 0, from_settings.output
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def test_refuses_a_non_loopback_address(clean_env: None) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--grpc", "0.0.0.0:50051"])
    assert result.exit_code == 2
    assert "error: 0.0.0.0:50051 is not a loopback HOST:PORT address" in result.output


def test_busy_port_exits_3(clean_env: None) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["sandbox", "--grpc", f"127.0.0.1:{port}"])
    assert result.exit_code == 3, result.output
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.output


def _start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        ["timeout", "30", sys.executable, "-m", "tas", "sandbox", "--grpc", "127.0.0.1:0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert " on 127.0.0.1:" in banner, banner
    return process, banner.split(" on ")[1].split()[0]


def _stop_sandbox(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    return err


def test_registrations_survive_a_sandbox_restart(clean_env: None, tmp_path: Path) -> None:
    """Kept in <data_dir>/sandbox/registrations.sqlite3: after a restart the delete finds it
    (OK), and a second delete finds nothing (NOT_FOUND). There is no List RPC to ask."""
    registration = pb.Registration(
        sip_uri="sips:tas.example.com",
        route_type=pb.ROUTE_TYPE_FORK,
        phone_number=phonenumber_pb2.E164(e164="+4799990000"),
    )
    first, address = _start_sandbox()
    with grpc.insecure_channel(address) as channel:
        stub = sipbreakout_pb2_grpc.SipBreakoutServiceStub(channel)  # type: ignore[no-untyped-call]
        request = pb.UpsertRegistrationRequest(registration=registration)
        assert stub.UpsertRegistration(request, timeout=10).status_code == pb.STATUS_CODE_OK
    _stop_sandbox(first)
    assert (tmp_path / "sandbox" / "registrations.sqlite3").exists()

    second, address = _start_sandbox()
    try:
        with grpc.insecure_channel(address) as channel:
            stub = sipbreakout_pb2_grpc.SipBreakoutServiceStub(channel)  # type: ignore[no-untyped-call]
            delete = pb.DeleteRegistrationRequest(registration=registration)
            assert stub.DeleteRegistration(delete, timeout=10).status_code == pb.STATUS_CODE_OK
            with pytest.raises(grpc.RpcError) as gone:
                stub.DeleteRegistration(delete, timeout=10)
            assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        err = _stop_sandbox(second)
    assert "event=sandbox_registrations_restored count=1" in err
