"""The MWI notifier over a sans-IO endpoint on a virtual clock: digest-authenticated SUBSCRIBE,
423, 489, 403, immediate NOTIFY, NOTIFY on change, refresh, unsubscribe, timeout, 481."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from tas.config_mwi import MwiSettings
from tas.sip.digest import authorization, parse_challenge
from tas.sip.endpoint import Endpoint, EndpointConfig
from tas.sip.events import Event
from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tas.transport.trust import Trust
from tas.voicemail.models import Reason, Voicemail
from tas.voicemail.mwi_service import MwiService

TAS = ("127.0.0.1", 5070)
UA = Peer("UDP", "127.0.0.1", 5062, None)
BOX, OTHER, PASSWORD = "+4799990001", "+4799990002", "s3cret-pw"
T = datetime(2026, 1, 1, tzinfo=UTC)


class Host:
    def __init__(self) -> None:
        self.clock = 0.0
        self.endpoint = Endpoint(
            EndpointConfig(local={"UDP": TAS}, allow=(*EndpointConfig({}).allow, "SUBSCRIBE"))
        )

    def now(self) -> float:
        return self.clock

    def flush(self) -> None:
        pass

    capture = None  # no ladder capture

    def trust_of(self, peer: Peer) -> Trust:
        return Trust.UNTRUSTED


class Store:
    def __init__(self) -> None:
        self.messages: list[Voicemail] = []

    async def list_messages(self, mailbox: str | None = None) -> list[Voicemail]:
        return [m for m in self.messages if m.mailbox == mailbox]

    def add(self, played: bool = False) -> None:
        vid = str(len(self.messages))
        self.messages.append(
            Voicemail(vid, BOX, OTHER, 3.0, T, T, played, Reason.BUSY, None, 1, Path(vid))
        )


class World:
    def __init__(self, **settings: object) -> None:
        self.host = Host()
        self.store = Store()
        config = MwiSettings(
            enabled=True, passwords={BOX: SecretStr(PASSWORD), OTHER: SecretStr("x")}, **settings
        )
        self.mwi = MwiService(self.host, self.store, config)
        self.others: list[Event] = []
        self.handle = self.mwi.in_front_of(self.others.append)
        self.cseq = itertools.count(1)
        self.branches = itertools.count(1)

    async def send(self, data: bytes) -> list[Request | Response]:
        """Deliver ``data`` from the UA, let the notifier run; what the TAS sent back."""
        self.host.endpoint.receive(data, UA, self.host.clock)
        return await self.collect()

    async def collect(self) -> list[Request | Response]:
        for event in self.host.endpoint.take_events():
            self.handle(event)
        for _ in range(5):
            await asyncio.sleep(0)
        for event in self.host.endpoint.take_events():
            self.handle(event)
        return [parse_message(data) for data, _ in self.host.endpoint.take_outbox()]

    def subscribe(
        self,
        user: str = BOX,
        *,
        expires: int | None = 600,
        event: str = "message-summary",
        auth: str | None = None,
        to_tag: str | None = None,
    ) -> bytes:
        lines = [
            f"SUBSCRIBE sip:{user}@127.0.0.1:5070 SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-{next(self.branches)};rport",
            "Max-Forwards: 70",
            f"From: <sip:{user}@127.0.0.1>;tag=ua1",
            f"To: <sip:{user}@127.0.0.1>" + (f";tag={to_tag}" if to_tag else ""),
            "Call-ID: sub1@ua",
            f"CSeq: {next(self.cseq)} SUBSCRIBE",
            f"Contact: <sip:{user}@127.0.0.1:5062>",
            f"Event: {event}",
            "Accept: application/simple-message-summary",
        ]
        if expires is not None:
            lines.append(f"Expires: {expires}")
        if auth:
            lines.append(f"Authorization: {auth}")
        return ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()

    async def authed(
        self, user: str = BOX, password: str = PASSWORD, **kw: object
    ) -> list[Request | Response]:
        (challenge,) = await self.send(self.subscribe(user, **kw))  # type: ignore[arg-type]
        assert isinstance(challenge, Response) and challenge.status == 401
        value = challenge.headers.get("WWW-Authenticate")
        assert value is not None
        cred = authorization(
            parse_challenge(value),
            method="SUBSCRIBE",
            uri=f"sip:{user}@127.0.0.1:5070",
            username=user,
            password=password,
            cnonce="abc",
        )
        return await self.send(self.subscribe(user, auth=cred, **kw))  # type: ignore[arg-type]

    async def answer(self, notify: Request, status: int = 200) -> None:
        response = notify.create_response(status)
        self.host.endpoint.receive(bytes(response), UA, self.host.clock)
        await self.collect()


def split(messages: list[Request | Response]) -> tuple[list[Response], list[Request]]:
    responses = [m for m in messages if isinstance(m, Response)]
    return responses, [m for m in messages if isinstance(m, Request)]


async def test_unauthenticated_gets_a_challenge_and_no_notify() -> None:
    w = World()
    (response,) = await w.send(w.subscribe())
    assert isinstance(response, Response) and response.status == 401
    assert 'realm="tas"' in (response.headers.get("WWW-Authenticate") or "")
    assert len(w.mwi.table) == 0 and w.mwi.notifies == 0


async def test_wrong_password_and_other_mailbox_are_refused() -> None:
    w = World()
    (again,) = await w.authed(password="wrong")
    assert isinstance(again, Response) and again.status == 401
    (other,), (notify,) = split(await w.authed(OTHER, password="x", expires=600))
    assert other.status == 200 and notify.method == "NOTIFY"  # its own mailbox: fine
    w2 = World()
    challenge = (await w2.send(w2.subscribe(OTHER)))[0]
    value = challenge.headers.get("WWW-Authenticate")
    assert value is not None
    cred = authorization(
        parse_challenge(value),
        method="SUBSCRIBE",
        uri=f"sip:{OTHER}@127.0.0.1:5070",
        username=BOX,  # right credentials of BOX, but for OTHER's mailbox
        password=PASSWORD,
        cnonce="c",
    )
    (forbidden,) = await w2.send(w2.subscribe(OTHER, auth=cred))
    assert isinstance(forbidden, Response) and forbidden.status == 403
    assert w2.mwi.notifies == 0


async def test_bad_event_and_too_brief() -> None:
    w = World()
    (bad,) = await w.send(w.subscribe(event="presence"))
    assert isinstance(bad, Response) and bad.status == 489
    assert bad.headers.get("Allow-Events") == "message-summary"
    (brief,) = await w.authed(expires=30)
    assert isinstance(brief, Response) and brief.status == 423
    assert brief.headers.get("Min-Expires") == "60"


async def test_subscribe_notify_on_every_change_refresh_and_unsubscribe() -> None:
    w = World()
    w.store.add(played=True)
    (ok,), (first,) = split(await w.authed(expires=7200))
    assert ok.status == 200 and ok.headers.get("Expires") == "3600"  # capped
    assert ok.headers.get("Contact") == "<sip:tas@127.0.0.1:5070>"  # dialog-creating 2xx
    assert first.method == "NOTIFY" and str(first.uri) == f"sip:{BOX}@127.0.0.1:5062"
    assert first.headers.get("Subscription-State") == "active;expires=3600"
    assert first.headers.get("Event") == "message-summary"
    assert first.headers.get("Content-Type") == "application/simple-message-summary"
    assert b"Messages-Waiting: no" in first.body and b"Voice-Message: 0/1 (0/0)" in first.body
    assert first.to.tag == "ua1" and first.from_.tag == ok.to.tag and first.call_id == "sub1@ua"
    await w.answer(first)

    await w.mwi.step()
    assert await w.collect() == []  # nothing changed: no NOTIFY
    w.store.add()  # a new message
    w.host.clock = 10.0
    await w.mwi.step()
    (_, (new,)) = split(await w.collect())
    assert b"Messages-Waiting: yes" in new.body and b"Voice-Message: 1/1 (0/0)" in new.body
    assert new.headers.get("Subscription-State") == "active;expires=3590"
    assert new.cseq.seq == first.cseq.seq + 1
    await w.answer(new)
    w.store.messages = [replace(m, played=True) for m in w.store.messages]  # played/saved
    await w.mwi.step()
    (_, (played,)) = split(await w.collect())
    assert b"Messages-Waiting: no" in played.body and b"Voice-Message: 0/2" in played.body
    await w.answer(played)
    w.store.messages = []  # deleted
    await w.mwi.step()
    (_, (deleted,)) = split(await w.collect())
    assert b"Voice-Message: 0/0 (0/0)" in deleted.body
    await w.answer(deleted)

    (ok2,), (refreshed,) = split(await w.authed(expires=600, to_tag=ok.to.tag))  # refresh
    assert ok2.status == 200 and ok2.to.tag == ok.to.tag
    assert refreshed.headers.get("Subscription-State") == "active;expires=600"
    await w.answer(refreshed)
    (ok3,), (last,) = split(await w.authed(expires=0, to_tag=ok.to.tag))  # unsubscribe
    assert ok3.status == 200 and ok3.headers.get("Expires") == "0"
    assert last.headers.get("Subscription-State") == "terminated;reason=timeout"
    assert len(w.mwi.table) == 0


async def test_expiry_sends_terminated_timeout() -> None:
    w = World()
    (_,), (first,) = split(await w.authed(expires=60))
    await w.answer(first)
    w.host.clock = 59.0
    assert await w.mwi.step() == 1.0  # the next step is due at the expiry
    assert await w.collect() == []
    w.host.clock = 60.0
    await w.mwi.step()
    (_, (final,)) = split(await w.collect())
    assert final.headers.get("Subscription-State") == "terminated;reason=timeout"
    assert len(w.mwi.table) == 0


async def test_a_refresh_of_an_unknown_dialog_is_481() -> None:
    w = World()
    (response,) = await w.authed(to_tag="nosuch")
    assert isinstance(response, Response) and response.status == 481


async def test_notify_answered_481_ends_the_subscription() -> None:
    w = World()
    (_,), (first,) = split(await w.authed())
    await w.answer(first, 481)
    assert len(w.mwi.table) == 0
    w.store.add()
    await w.mwi.step()
    assert await w.collect() == []
    assert w.others == []  # nothing of ours reached the call application
