"""``/api/voicemail``: messages (list, show, audio as ``audio/wav``, delete) and greetings
(get, put any audio FFmpeg reads - converted by :func:`prepare_greeting` -, delete)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from registrations.model import E164
from tas.admin.context import Ctx, Who
from tas.admin.problems import Problem
from tas.admin.routes_numbers import Number, check_number
from tas.voicemail.errors import InvalidAudio, InvalidVoicemailId, VoicemailNotFound
from tas.voicemail.greetings import GreetingKind
from tas.voicemail.transcript_models import Transcript
from tas.voicemail.transcript_store import TranscriptStore

router = APIRouter(prefix="/api/voicemail", tags=["voicemail"])

#: Largest greeting upload accepted (bytes): a 60 s WAV at 48 kHz stereo is ~11 MB.
MAX_UPLOAD = 16 * 1024 * 1024
_WAV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/wav": {}}, "description": "WAV audio"}
}


class TranscriptOut(BaseModel):
    status: Literal["pending", "done", "failed", "unavailable"]
    text: str | None  # the words, once done
    engine: str | None
    language: str | None
    detail: str  # the words, or why there are none ("no transcriber installed", …)
    updated: datetime


class VoicemailOut(BaseModel):
    id: str
    mailbox: str
    caller: str
    duration: float
    created: datetime
    expires: datetime
    played: bool
    reason: str
    call_id: str | None
    size: int
    transcript: TranscriptOut | None  # None: the message predates transcripts


class GreetingOut(BaseModel):
    kind: str
    custom: bool


class Deleted(BaseModel):
    deleted: str


def _out(m: Any, transcript: Transcript | None) -> VoicemailOut:
    return VoicemailOut(
        id=m.voicemail_id, mailbox=m.mailbox, caller=m.caller, duration=m.duration,
        created=m.created, expires=m.expires, played=m.played, reason=str(m.reason.value),
        call_id=m.call_id, size=m.size,
        transcript=None if transcript is None else TranscriptOut.model_validate(
            transcript.as_dict()
        ),
    )  # fmt: skip


def _transcripts(ctx: Ctx) -> TranscriptStore:
    return TranscriptStore(ctx.need("voicemail").db)


async def _message(ctx: Ctx, who: Who, voicemail_id: str) -> Any:
    try:
        message = await ctx.need("voicemail").get(voicemail_id)
    except (InvalidVoicemailId, VoicemailNotFound):
        raise Problem(404, "Not found", f"no voicemail {voicemail_id}") from None
    who.require(message.mailbox)
    return message


def _kind(kind: str) -> GreetingKind:
    try:
        return GreetingKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in GreetingKind)
        raise Problem(400, "Bad greeting kind", f"{kind!r} is not one of {names}") from None


@router.get("", response_model=list[VoicemailOut])
async def list_voicemail(
    ctx: Ctx, who: Who, mailbox: str | None = Query(None, pattern=f"^{E164.pattern}$")
) -> list[VoicemailOut]:
    """Messages, newest first (a subscriber: its own mailboxes)."""
    if mailbox is not None:
        who.require(check_number(mailbox))
    messages = [m for m in await ctx.need("voicemail").list_messages(mailbox) if who.may(m.mailbox)]
    transcripts = await _transcripts(ctx).get_many(m.voicemail_id for m in messages)
    return [_out(m, transcripts.get(m.voicemail_id)) for m in messages]


@router.get("/{voicemail_id}", response_model=VoicemailOut)
async def show_voicemail(ctx: Ctx, who: Who, voicemail_id: str) -> VoicemailOut:
    """One message with its transcript."""
    message = await _message(ctx, who, voicemail_id)
    return _out(message, await _transcripts(ctx).get(message.voicemail_id))


@router.get("/{voicemail_id}/audio", response_class=Response, responses=_WAV)
async def voicemail_audio(ctx: Ctx, who: Who, voicemail_id: str) -> Response:
    """The message's WAV (8 kHz mono PCM16), for an ``<audio>`` element or a download."""
    message = await _message(ctx, who, voicemail_id)
    _, data = await ctx.need("voicemail").read_audio(message.voicemail_id)
    return Response(data, media_type="audio/wav")


@router.delete("/{voicemail_id}", response_model=Deleted)
async def delete_voicemail(ctx: Ctx, who: Who, voicemail_id: str) -> Deleted:
    message = await _message(ctx, who, voicemail_id)
    await ctx.need("voicemail").delete(message.voicemail_id)
    return Deleted(deleted=message.voicemail_id)


@router.get("/greetings/{number}", response_model=list[GreetingOut], tags=["greetings"])
async def list_greetings(ctx: Ctx, who: Who, number: Number) -> list[GreetingOut]:
    """Which greetings are the mailbox's own (the others fall back to the default)."""
    who.require(check_number(number))
    own = await ctx.need("voicemail").greeting_catalog.custom_greetings(number)
    return [GreetingOut(kind=k.value, custom=k in own) for k in GreetingKind]


@router.get(
    "/greetings/{number}/{kind}", response_class=Response, responses=_WAV, tags=["greetings"]
)
async def get_greeting(ctx: Ctx, who: Who, number: Number, kind: GreetingKind) -> Response:
    """The mailbox's own greeting for ``kind``; 404 when it has none."""
    who.require(check_number(number))
    own = await ctx.need("voicemail").greeting_catalog.custom_greetings(number)
    path = own.get(_kind(kind))
    if path is None:
        raise Problem(404, "Not found", f"{number} has no own {kind} greeting")
    return Response(await asyncio.to_thread(path.read_bytes), media_type="audio/wav")


@router.put(
    "/greetings/{number}/{kind}",
    response_model=GreetingOut,
    tags=["greetings"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_greeting(
    ctx: Ctx, who: Who, number: Number, kind: GreetingKind, request: Request
) -> GreetingOut:
    """Set the greeting from the request body: any audio FFmpeg reads (WAV, MP3, OGG, FLAC,
    M4A), 1-60 s, not silent; stored as 8 kHz mono 16-bit WAV."""
    from tas.voicemail.greeting_audio import prepare_greeting

    who.require(check_number(number))
    greeting = _kind(kind)
    data = await request.body()
    if not data or len(data) > MAX_UPLOAD:
        raise Problem(400, "Bad audio", f"send 1 to {MAX_UPLOAD} bytes of audio")
    try:
        wav = await asyncio.to_thread(prepare_greeting, data, f"upload for {number}")
    except InvalidAudio as exc:
        raise Problem(400, "Bad audio", str(exc)) from None
    await ctx.need("voicemail").greeting_catalog.set_greeting(number, greeting, wav)
    return GreetingOut(kind=greeting.value, custom=True)


@router.delete("/greetings/{number}/{kind}", response_model=Deleted, tags=["greetings"])
async def delete_greeting(ctx: Ctx, who: Who, number: Number, kind: GreetingKind) -> Deleted:
    who.require(check_number(number))
    greeting = _kind(kind)
    if not await ctx.need("voicemail").greeting_catalog.delete_greeting(number, greeting):
        raise Problem(404, "Not found", f"{number} has no own {kind} greeting")
    return Deleted(deleted=greeting.value)
