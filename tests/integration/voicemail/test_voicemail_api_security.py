"""The voicemail API's defences over real gRPC on loopback: TLS (and mutual TLS) with certificate
reload, tokens scoped to mailboxes, failed authentications rate-limited per peer and logged,
no plaintext beyond loopback."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from pydantic import ValidationError

from registrations.wgtwo.common.v0 import phonenumber_pb2
from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.config import Settings, VoicemailSettings
from tas.transport.tls import ensure_self_signed
from tas.voicemail import VoicemailStore
from tas.voicemail.api import PlaintextRefused, VoicemailApi, start_voicemail_api
from tas.voicemail.auth import DENIED, TOO_MANY
from tas.voicemail.wavfile import pcm16_wav

BOX = "+4799990001"
OTHER = "+4799990002"
CALLER = "+4799990009"
ADMIN = "admin-token"
SCOPED = "box-token"
TOKENS: list[Any] = [
    ADMIN,
    {"token": SCOPED, "mailboxes": [BOX], "operations": ["read", "delete"]},
]
SUMMARY = re.compile(r"failed=(\d+) refused_unchecked=(\d+)")


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def listing(box: str) -> voicemail_pb2.GetAllVoicemailMetadataRequest:
    return voicemail_pb2.GetAllVoicemailMetadataRequest(to=phonenumber_pb2.PhoneNumber(e164=box))


async def status_of(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value.code()


async def serve(store: VoicemailStore, tmp_path: Path, **voicemail: Any) -> VoicemailApi:
    settings = Settings(
        data_dir=tmp_path, voicemail=VoicemailSettings(api_tokens=TOKENS, **voicemail)
    )
    return await start_voicemail_api(settings, store, address="127.0.0.1:0")


def tls_channel(port: int, root: Path, client: tuple[Path, Path] | None = None) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=root.read_bytes(),
        private_key=client[1].read_bytes() if client else None,
        certificate_chain=client[0].read_bytes() if client else None,
    )
    # A channel of its own: never reuse a subchannel (and its TLS session) of an earlier test.
    return grpc.aio.secure_channel(
        f"127.0.0.1:{port}", credentials, options=[("grpc.use_local_subchannel_pool", 1)]
    )


def stub_of(channel: grpc.aio.Channel) -> Any:
    return voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]


@pytest.fixture
async def plain_api(store: VoicemailStore, tmp_path: Path) -> AsyncIterator[VoicemailApi]:
    api = await serve(
        store, tmp_path, api_auth_burst=10, api_auth_rate=0.2, api_auth_log_interval=0.5
    )
    yield api
    await api.stop(None)


# -- TLS ------------------------------------------------------------------------------------


async def test_tls_serves_and_plaintext_clients_fail(store: VoicemailStore, tmp_path: Path) -> None:
    api = await serve(store, tmp_path, api_tls=True)  # no files: the self-signed pair
    try:
        cert, _ = ensure_self_signed(tmp_path / "tls", "127.0.0.1")
        async with tls_channel(api.port, cert) as channel:
            listed = await stub_of(channel).GetAllVoicemailMetadata(
                listing(BOX), metadata=bearer(ADMIN)
            )
            assert list(listed.metadata) == []
        async with grpc.aio.insecure_channel(f"127.0.0.1:{api.port}") as channel:
            call = stub_of(channel).GetAllVoicemailMetadata(
                listing(BOX), metadata=bearer(ADMIN), timeout=3
            )
            assert await status_of(call) == grpc.StatusCode.UNAVAILABLE
    finally:
        await api.stop(None)


async def test_mutual_tls_requires_a_client_certificate(
    store: VoicemailStore, tmp_path: Path
) -> None:
    client = ensure_self_signed(tmp_path / "client", "127.0.0.1")  # self-signed: its own CA
    api = await serve(store, tmp_path, api_tls=True, api_tls_client_ca=client[0])
    try:
        cert, _ = ensure_self_signed(tmp_path / "tls", "127.0.0.1")
        async with tls_channel(api.port, cert, client) as channel:
            listed = await stub_of(channel).GetAllVoicemailMetadata(
                listing(BOX), metadata=bearer(ADMIN)
            )
            assert list(listed.metadata) == []
        stranger = ensure_self_signed(tmp_path / "stranger", "127.0.0.1")
        for presented in (None, stranger):
            async with tls_channel(api.port, cert, presented) as channel:
                call = stub_of(channel).GetAllVoicemailMetadata(
                    listing(BOX), metadata=bearer(ADMIN), timeout=3
                )
                assert await status_of(call) == grpc.StatusCode.UNAVAILABLE
    finally:
        await api.stop(None)


async def test_certificate_reload_without_restart(store: VoicemailStore, tmp_path: Path) -> None:
    first = ensure_self_signed(tmp_path / "first", "127.0.0.1")
    second = ensure_self_signed(tmp_path / "second", "127.0.0.1")
    live = tmp_path / "live"
    live.mkdir()
    cert, key = live / "cert.pem", live / "key.pem"

    def install(pair: tuple[Path, Path]) -> None:  # as certbot does: new files renamed in place
        for source, target in zip(pair, (cert, key), strict=True):
            shutil.copyfile(source, target.with_suffix(".new"))
            os.replace(target.with_suffix(".new"), target)

    install(first)
    api = await serve(store, tmp_path, api_tls=True, api_tls_cert=cert, api_tls_key=key)
    try:
        async with tls_channel(api.port, first[0]) as channel:
            await stub_of(channel).GetAllVoicemailMetadata(listing(BOX), metadata=bearer(ADMIN))
            install(second)
            # the open connection keeps its certificate
            await stub_of(channel).GetAllVoicemailMetadata(listing(BOX), metadata=bearer(ADMIN))
        async with tls_channel(api.port, second[0]) as channel:  # a new connection: the new cert
            await stub_of(channel).GetAllVoicemailMetadata(listing(BOX), metadata=bearer(ADMIN))
        async with tls_channel(api.port, first[0]) as channel:  # and no longer the old one
            call = stub_of(channel).GetAllVoicemailMetadata(
                listing(BOX), metadata=bearer(ADMIN), timeout=3
            )
            assert await status_of(call) == grpc.StatusCode.UNAVAILABLE
        assert api.certificates is not None and api.certificates.loads == 2
    finally:
        await api.stop(None)


def test_plaintext_beyond_loopback_is_refused_in_the_settings() -> None:
    with pytest.raises(ValidationError, match="not loopback"):
        VoicemailSettings(api="0.0.0.0:50061")
    VoicemailSettings(api="0.0.0.0:50061", api_tls=True)
    VoicemailSettings(api="0.0.0.0:50061", allow_plaintext=True)
    VoicemailSettings(api="[::1]:50061")


async def test_plaintext_beyond_loopback_is_refused_by_the_server(
    store: VoicemailStore, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, voicemail=VoicemailSettings(api_tokens=TOKENS))
    with pytest.raises(PlaintextRefused, match="0.0.0.0:0"):
        await start_voicemail_api(settings, store, address="0.0.0.0:0")


# -- tokens scoped to mailboxes ------------------------------------------------------------


async def test_token_for_another_mailbox_is_denied(
    store: VoicemailStore, plain_api: VoicemailApi
) -> None:
    mine = await store.deposit(BOX, CALLER, pcm16_wav(bytes(20000)))
    theirs = await store.deposit(OTHER, CALLER, pcm16_wav(bytes(20000)))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{plain_api.port}") as channel:
        stub, auth = stub_of(channel), bearer(SCOPED)
        listed = await stub.GetAllVoicemailMetadata(listing(BOX), metadata=auth)
        assert [m.voicemail_id for m in listed.metadata] == [mine.voicemail_id]
        fetched = await stub.GetVoicemail(
            voicemail_pb2.GetVoicemailRequest(voicemail_id=mine.voicemail_id), metadata=auth
        )
        assert fetched.metadata.voicemail_id == mine.voicemail_id
        denied = [
            stub.GetAllVoicemailMetadata(listing(OTHER), metadata=auth),
            stub.GetVoicemail(
                voicemail_pb2.GetVoicemailRequest(voicemail_id=theirs.voicemail_id), metadata=auth
            ),
            stub.DeleteVoicemail(
                voicemail_pb2.DeleteVoicemailRequest(voicemail_id=theirs.voicemail_id),
                metadata=auth,
            ),
            # its own mailbox, but an operation it does not hold
            stub.MarkVoicemailAsRead(
                voicemail_pb2.MarkVoicemailAsReadRequest(voicemail_id=mine.voicemail_id),
                metadata=auth,
            ),
            stub.ResetVoicemailGreeting(
                voicemail_pb2.ResetVoicemailGreetingRequest(
                    subscriber=phonenumber_pb2.PhoneNumber(e164=BOX)
                ),
                metadata=auth,
            ),
        ]
        for call in denied:
            assert await status_of(call) == grpc.StatusCode.PERMISSION_DENIED
        assert (
            await status_of(stub.GetAllVoicemailMetadata(listing(BOX)))
            == grpc.StatusCode.UNAUTHENTICATED
        )
        await stub.DeleteVoicemail(
            voicemail_pb2.DeleteVoicemailRequest(voicemail_id=mine.voicemail_id), metadata=auth
        )
    assert [m.voicemail_id for m in await store.list_messages()] == [theirs.voicemail_id]
    assert (await store.get(theirs.voicemail_id)).played is False


# -- brute force ---------------------------------------------------------------------------


async def test_brute_force_is_rate_limited_and_logged(
    plain_api: VoicemailApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tas.voicemail.auth")
    codes: Counter[grpc.StatusCode] = Counter()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{plain_api.port}") as channel:
        stub = stub_of(channel)

        async def guess(i: int) -> None:
            call = stub.GetAllVoicemailMetadata(listing(BOX), metadata=bearer(f"guess-{i:06d}"))
            codes[await status_of(call)] += 1

        started = time.monotonic()
        for batch in range(0, 3000, 100):
            await asyncio.gather(*(guess(i) for i in range(batch, batch + 100)))
        elapsed = time.monotonic() - started
        # Locked out: even the right token is refused from this peer, unchecked.
        code = await status_of(stub.GetAllVoicemailMetadata(listing(BOX), metadata=bearer(ADMIN)))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    checked = plain_api.interceptor.checked
    accepted_rate = checked / elapsed
    print(
        f"\n3000 guesses in {elapsed:.2f} s ({3000 / elapsed:.0f}/s): {checked} checked "
        f"({accepted_rate:.1f}/s), {codes[grpc.StatusCode.RESOURCE_EXHAUSTED]} refused unchecked"
    )
    assert codes[grpc.StatusCode.PERMISSION_DENIED] == checked
    assert codes[grpc.StatusCode.RESOURCE_EXHAUSTED] == 3000 - checked
    assert plain_api.interceptor.failed == checked  # the metrics' counters agree
    assert plain_api.interceptor.refused_unchecked == 3000 - checked + 1
    assert checked <= 10 + 0.2 * elapsed + 1  # the burst, then the refill rate
    await asyncio.sleep(0.7)  # one log interval (0.5 s): the tail is flushed
    lines = [
        r.getMessage() for r in caplog.records if "voicemail_api_auth_failures" in r.getMessage()
    ]
    totals = [tuple(map(int, m.groups())) for line in lines if (m := SUMMARY.search(line))]
    assert sum(f for f, _ in totals) == checked
    assert sum(r for _, r in totals) == 3000 - checked + 1
    assert len(lines) <= (elapsed + 0.7) / 0.5 + 1  # one line per interval, not per guess
    stamps = [r.created for r in caplog.records if "voicemail_api_auth_failures" in r.getMessage()]
    assert all(b - a >= 0.45 for a, b in zip(stamps, stamps[1:], strict=False)), stamps
    assert "ipv4:127.0.0.1=" in lines[-1]
    print("log lines:", *lines, sep="\n  ")


async def test_refusal_details(plain_api: VoicemailApi) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{plain_api.port}") as channel:
        stub = stub_of(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.GetAllVoicemailMetadata(listing(BOX), metadata=bearer("nope"))
        assert raised.value.details() == DENIED
        for _ in range(10):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await stub.GetAllVoicemailMetadata(listing(BOX), metadata=bearer("nope"))
        assert (raised.value.code(), raised.value.details()) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            TOO_MANY,
        )
