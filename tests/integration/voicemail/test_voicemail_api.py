"""The VoicemailMediaService over real gRPC on loopback: shapes, status codes and bearer tokens.

``test_protoset_client_*`` builds its client ONLY from the operator's descriptor set
(../shared/reference/wgtwo.protoset): descriptor pool + message_factory + a generic channel,
never our generated stubs, so it behaves like an app written for the operator's API.
"""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from registrations.wgtwo.common.v0 import phonenumber_pb2
from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.config import Settings, VoicemailSettings
from tas.voicemail import Reason, VoicemailStore
from tas.voicemail.api import VoicemailApi, start_voicemail_api
from tas.voicemail.auth import DENIED, MISSING_TOKEN
from tas.voicemail.wavfile import pcm16_wav

BOX = "+4712345678"
CALLER = "+4799999999"
TOKEN = "test-token-1"
READER = "reader-token"
MISSING = "5bd1b0e4-0a8e-4c39-b3a8-1d7a6b7a5c1e"
PROTOSET = Path(__file__).parents[3] / ".." / "shared" / "reference" / "wgtwo.protoset"
SERVICE = "/wgtwo.voicemail.v0.VoicemailMediaService/"
AUTH = (("authorization", f"Bearer {TOKEN}"),)


@pytest.fixture
async def api(store: VoicemailStore, tmp_path: Path) -> AsyncIterator[VoicemailApi]:
    settings = Settings(
        data_dir=tmp_path,
        voicemail=VoicemailSettings(api_tokens=[TOKEN, f"{READER}:voicemail.get"]),
    )
    running = await start_voicemail_api(
        settings, store, address="127.0.0.1:0", max_wav_bytes=100_000
    )
    yield running
    await running.stop(None)


@pytest.fixture
async def stub(api: VoicemailApi) -> AsyncIterator[Any]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{api.port}") as channel:
        yield voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]


def number(e164: str) -> phonenumber_pb2.PhoneNumber:
    return phonenumber_pb2.PhoneNumber(e164=e164)


async def status_of(call: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value.code(), raised.value.details() or ""


async def test_list_get_mark_delete_with_generated_stubs(store: VoicemailStore, stub: Any) -> None:
    wav = pcm16_wav(bytes(range(256)) * 100)
    message = await store.deposit(BOX, CALLER, wav, reason=Reason.BUSY)
    await store.deposit("+4787654321", CALLER, pcm16_wav(bytes(20000)))
    listed = await stub.GetAllVoicemailMetadata(
        voicemail_pb2.GetAllVoicemailMetadataRequest(to=number(BOX)), metadata=AUTH
    )
    [meta] = listed.metadata
    assert meta.voicemail_id == message.voicemail_id and meta.to.e164 == BOX
    assert getattr(meta, "from").e164 == CALLER and meta.played is False
    assert meta.duration.ToTimedelta() == timedelta(seconds=1.6)
    assert meta.created.ToDatetime().replace(tzinfo=message.created.tzinfo) == message.created
    assert meta.expires.ToDatetime() - meta.created.ToDatetime() == timedelta(days=7)

    got = await stub.GetVoicemail(
        voicemail_pb2.GetVoicemailRequest(voicemail_id=message.voicemail_id), metadata=AUTH
    )
    assert got.WhichOneof("bytes") == "wav" and got.wav == wav and got.metadata == meta

    await stub.MarkVoicemailAsRead(
        voicemail_pb2.MarkVoicemailAsReadRequest(voicemail_id=message.voicemail_id), metadata=AUTH
    )
    assert (await store.get(message.voicemail_id)).played is True
    await stub.DeleteVoicemail(
        voicemail_pb2.DeleteVoicemailRequest(voicemail_id=message.voicemail_id), metadata=AUTH
    )
    assert await store.list_messages(BOX) == []


async def test_a_hidden_callers_message_has_no_number_over_the_api(
    store: VoicemailStore, stub: Any
) -> None:
    """Issue 13 (RFC 3323 ``Privacy: id``): a message the TAS stored from a hidden caller
    (caller ``anonymous``) gives an empty ``from`` in the list and in the fetched message,
    and nothing on the wire names the caller."""
    wav = pcm16_wav(bytes(range(256)) * 100)
    message = await store.deposit(BOX, "anonymous", wav, reason=Reason.BUSY)
    listed = await stub.GetAllVoicemailMetadata(
        voicemail_pb2.GetAllVoicemailMetadataRequest(to=number(BOX)), metadata=AUTH
    )
    [meta] = listed.metadata
    assert meta.voicemail_id == message.voicemail_id and getattr(meta, "from").e164 == ""
    assert b"anonymous" not in listed.SerializeToString()
    got = await stub.GetVoicemail(
        voicemail_pb2.GetVoicemailRequest(voicemail_id=message.voicemail_id), metadata=AUTH
    )
    assert getattr(got.metadata, "from").e164 == "" and got.metadata == meta


async def test_reset_greeting(store: VoicemailStore, stub: Any) -> None:
    store.greetings.set_greeting(BOX, Reason.BUSY, pcm16_wav(bytes(1600)))
    await stub.ResetVoicemailGreeting(
        voicemail_pb2.ResetVoicemailGreetingRequest(subscriber=number(BOX)), metadata=AUTH
    )
    assert store.greetings.custom_greetings(BOX) == {}


async def test_operator_status_codes(store: VoicemailStore, stub: Any) -> None:
    big = await store.deposit(BOX, CALLER, pcm16_wav(bytes(200_000)))
    get, mark, delete = stub.GetVoicemail, stub.MarkVoicemailAsRead, stub.DeleteVoicemail
    cases: list[tuple[Callable[..., Any], Any, str]] = [
        (stub.GetAllVoicemailMetadata, voicemail_pb2.GetAllVoicemailMetadataRequest(), "INVALID"),
        (
            stub.GetAllVoicemailMetadata,
            voicemail_pb2.GetAllVoicemailMetadataRequest(to=number("4712345678")),
            "INVALID",
        ),
        (
            stub.ResetVoicemailGreeting,
            voicemail_pb2.ResetVoicemailGreetingRequest(subscriber=number("+47abc")),
            "INVALID",
        ),
        (get, voicemail_pb2.GetVoicemailRequest(voicemail_id="42"), "INVALID"),
        (mark, voicemail_pb2.MarkVoicemailAsReadRequest(voicemail_id=""), "INVALID"),
        (delete, voicemail_pb2.DeleteVoicemailRequest(voicemail_id="x"), "INVALID"),
        (get, voicemail_pb2.GetVoicemailRequest(voicemail_id=MISSING), "NOT_FOUND"),
        (mark, voicemail_pb2.MarkVoicemailAsReadRequest(voicemail_id=MISSING), "NOT_FOUND"),
        (delete, voicemail_pb2.DeleteVoicemailRequest(voicemail_id=MISSING), "NOT_FOUND"),
        (get, voicemail_pb2.GetVoicemailRequest(voicemail_id=big.voicemail_id), "INTERNAL"),
    ]
    expected = {
        "INVALID": grpc.StatusCode.INVALID_ARGUMENT,
        "NOT_FOUND": grpc.StatusCode.NOT_FOUND,
        "INTERNAL": grpc.StatusCode.INTERNAL,
    }
    for method, request, code in cases:
        assert (await status_of(method(request, metadata=AUTH)))[0] == expected[code], request


async def test_missing_audio_is_internal(store: VoicemailStore, stub: Any) -> None:
    message = await store.deposit(BOX, CALLER, pcm16_wav(bytes(20000)))
    message.path.unlink()
    request = voicemail_pb2.GetVoicemailRequest(voicemail_id=message.voicemail_id)
    code, _ = await status_of(stub.GetVoicemail(request, metadata=AUTH))
    assert code == grpc.StatusCode.INTERNAL


async def test_tokens_refuse_and_reveal_nothing(store: VoicemailStore, stub: Any) -> None:
    message = await store.deposit(BOX, CALLER, pcm16_wav(bytes(20000)))
    for voicemail_id in (message.voicemail_id, MISSING, "not-a-uuid"):
        request = voicemail_pb2.GetVoicemailRequest(voicemail_id=voicemail_id)
        assert await status_of(stub.GetVoicemail(request)) == (
            grpc.StatusCode.UNAUTHENTICATED,
            MISSING_TOKEN,
        )
        wrong = (("authorization", "Bearer nope"),)
        assert await status_of(stub.GetVoicemail(request, metadata=wrong)) == (
            grpc.StatusCode.PERMISSION_DENIED,
            DENIED,
        )
        delete = voicemail_pb2.DeleteVoicemailRequest(voicemail_id=voicemail_id)
        reader = (("authorization", f"Bearer {READER}"),)
        assert await status_of(stub.DeleteVoicemail(delete, metadata=reader)) == (
            grpc.StatusCode.PERMISSION_DENIED,
            DENIED,
        )
    assert [m.voicemail_id for m in await store.list_messages()] == [message.voicemail_id]
    listed = await stub.GetAllVoicemailMetadata(
        voicemail_pb2.GetAllVoicemailMetadataRequest(to=number(BOX)),
        metadata=(("authorization", f"Bearer {READER}"),),
    )
    assert len(listed.metadata) == 1  # the read-only token may read


# -- a client that knows only the operator's descriptor set ----------------------------------


class ProtosetClient:
    """VoicemailMediaService client from wgtwo.protoset alone (wgtwo-api.md §0)."""

    def __init__(self, channel: grpc.aio.Channel, token: str | None) -> None:
        files = descriptor_pb2.FileDescriptorSet.FromString(PROTOSET.read_bytes())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self.service = self.pool.FindServiceByName("wgtwo.voicemail.v0.VoicemailMediaService")
        self.channel = channel
        self.metadata = () if token is None else (("authorization", f"Bearer {token}"),)

    def message(self, name: str, **fields: Any) -> Any:
        cls = message_factory.GetMessageClass(self.pool.FindMessageTypeByName(name))
        return cls(**fields)

    async def call(self, method: str, **fields: Any) -> Any:
        descriptor = self.service.methods_by_name[method]
        request = self.message(descriptor.input_type.full_name, **fields)
        response_cls = message_factory.GetMessageClass(descriptor.output_type)
        rpc = self.channel.unary_unary(
            SERVICE + method,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_cls.FromString,
        )
        return await rpc(request, metadata=self.metadata)


needs_protoset = pytest.mark.skipif(not PROTOSET.is_file(), reason=f"{PROTOSET} absent")


@needs_protoset
async def test_protoset_client_lists_fetches_marks_and_deletes(
    store: VoicemailStore, api: VoicemailApi
) -> None:
    pcm = bytes(range(200)) * 120
    message = await store.deposit(BOX, CALLER, pcm16_wav(pcm), call_id="c-1")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{api.port}") as channel:
        client = ProtosetClient(channel, TOKEN)
        to = client.message("wgtwo.common.v0.PhoneNumber", e164=BOX)
        listed = await client.call("GetAllVoicemailMetadata", to=to)
        [meta] = listed.metadata
        assert meta.voicemail_id == message.voicemail_id and meta.played is False
        assert getattr(meta, "from").e164 == CALLER and meta.to.e164 == BOX
        assert meta.duration.seconds == 1 and meta.duration.nanos == 500_000_000

        fetched = await client.call("GetVoicemail", voicemail_id=message.voicemail_id)
        assert fetched.WhichOneof("bytes") == "wav"
        with wave.open(io.BytesIO(fetched.wav)) as wav:
            assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
            assert wav.readframes(wav.getnframes()) == pcm

        await client.call("MarkVoicemailAsRead", voicemail_id=message.voicemail_id)
        listed = await client.call("GetAllVoicemailMetadata", to=to)
        assert [m.played for m in listed.metadata] == [True]

        await client.call("DeleteVoicemail", voicemail_id=message.voicemail_id)
        assert list((await client.call("GetAllVoicemailMetadata", to=to)).metadata) == []
        code, _ = await status_of(client.call("GetVoicemail", voicemail_id=message.voicemail_id))
        assert code == grpc.StatusCode.NOT_FOUND


@needs_protoset
async def test_protoset_client_without_or_with_wrong_token_is_refused(
    store: VoicemailStore, api: VoicemailApi
) -> None:
    message = await store.deposit(BOX, CALLER, pcm16_wav(bytes(20000)))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{api.port}") as channel:
        for token, code in ((None, "UNAUTHENTICATED"), ("guess", "PERMISSION_DENIED")):
            client = ProtosetClient(channel, token)
            to = client.message("wgtwo.common.v0.PhoneNumber", e164=BOX)
            refused = await status_of(client.call("GetAllVoicemailMetadata", to=to))
            assert refused[0] == getattr(grpc.StatusCode, code)
            for method in ("GetVoicemail", "MarkVoicemailAsRead", "DeleteVoicemail"):
                status = await status_of(client.call(method, voicemail_id=message.voicemail_id))
                assert status == refused
    assert (await store.get(message.voicemail_id)).played is False
