"""An asyncio face for the UA core: awaitable calls on a running :class:`SipStack`.

For code that places or takes calls (the demo's callers, tests)::

    async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
        # outgoing: returns once answered (ACK sent), raises CallFailedError otherwise
        async with await ua.call("sip:bob@127.0.0.1:5060", sdp=offer) as call:
            await call.reinvite(hold_offer)        # -> the final Response
            await call.info(b"Signal=5\\r\\nDuration=160\\r\\n", "application/dtmf-relay")
        # leaving the block hangs up (BYE) unless the far end already did

        # incoming
        call = await ua.next_call()               # IncomingCall as a CallHandle
        call.ring()
        call.answer(answer_sdp)
        await call.wait_confirmed()              # the ACK arrived
        reason = await call.wait_ended()         # "BYE", "no ACK", "cancelled" …

A :class:`CallHandle` is its call's listener (:mod:`tas.sip.listener`); the test-call harness
makes one on its own stack for each call it places. In-call events the handle does not settle
itself (ReInvite when ``auto_reinvite`` is off and no ``on_reinvite`` hook is set,
DialogRequest such as INFO) are put on ``call.events``. With ``auto_reinvite`` (default) a
re-INVITE is answered with the call's current local SDP. ``await ua.request("OPTIONS", uri)``
sends any out-of-dialog request and returns its final response (408/503 synthesised on
timeout or transport failure).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import TypeVar

from tas.sip.call import Call, Credentials, OutgoingRequest
from tas.sip.endpoint import Endpoint
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallConfirmed,
    CallEnded,
    CallFailed,
    CallProgress,
    Event,
    IncomingCall,
    ReInvite,
    ReInviteResult,
    RequestCompleted,
    RequestReceived,
)
from tas.sip.message import Response
from tas.sip.transaction_base import Peer
from tas.transport.stack import SipStack, StackOptions

__all__ = ["UserAgent", "CallHandle", "CallFailedError"]

T = TypeVar("T")
Action = Callable[[Endpoint, float], object]


class CallFailedError(Exception):
    """An outgoing call ended before it was answered; ``response`` says why."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.status} {response.reason}")
        self.response = response


class CallHandle:
    """One call, either direction, with awaitables for what happens to it: the call's listener
    (:mod:`tas.sip.listener`). :class:`UserAgent` makes them (``dial``, ``next_call``); the
    test-call harness makes one on its own stack for each call it places (without ``ua``,
    :meth:`info` is unavailable: in-dialog requests are awaited through the UserAgent)."""

    def __init__(self, stack: SipStack, call: Call, ua: UserAgent | None = None) -> None:
        loop = stack.loop
        self.stack = stack
        self.ua = ua
        self.call = call
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.auto_reinvite = True
        #: answers a re-INVITE in place of ``auto_reinvite`` (e.g. from a media session)
        self.on_reinvite: Callable[[ReInvite], None] | None = None
        self.provisional: list[Response] = []
        self.rang_at: float | None = None  # time.perf_counter() of the first 180-199
        self.answered: asyncio.Future[Response] = loop.create_future()
        self.confirmed: asyncio.Future[None] = loop.create_future()
        self.ended: asyncio.Future[str] = loop.create_future()
        self.end: CallEnded | None = None  # how the dialog ended (BYE either way, no ACK …)
        self._reinvite: asyncio.Future[Response] | None = None
        call.listener = self

    # -- callee side ------------------------------------------------------------------------

    def ring(self, status: int = 180, sdp: bytes = b"") -> None:
        self._act(lambda ep, now: ep.ring(self.call, now, status, sdp))

    def answer(self, sdp: bytes) -> None:
        self._act(lambda ep, now: ep.answer(self.call, sdp, now))

    def reject(self, status: int = 486) -> None:
        self._act(lambda ep, now: ep.reject(self.call, status, now))
        _settle(self.ended, f"rejected {status}")

    async def wait_confirmed(self) -> None:
        await asyncio.shield(self.confirmed)

    # -- both sides -------------------------------------------------------------------------

    @property
    def remote_sdp(self) -> bytes:
        return self.call.remote_sdp

    async def hangup(self) -> str:
        """End the call whatever its state and wait until it is over: BYE, CANCEL while
        ringing out, 480 to an incoming call not answered yet."""
        call = self.call
        if call.role == "uas" and call.state in ("incoming", "early"):
            self.reject(480)
        elif not self.ended.done() and not call.ended:
            self._act(lambda ep, now: ep.bye(call, now))
        return await self.wait_ended()

    def cancel(self) -> None:
        """CANCEL our INVITE while it rings (§9.1); ``answered`` then fails with 487, or
        succeeds when the 2xx crossed the CANCEL."""
        self._act(lambda ep, now: ep.cancel(self.call, now))

    async def wait_ended(self) -> str:
        return await asyncio.shield(self.ended)

    async def reinvite(self, sdp: bytes) -> Response:
        """Send a re-INVITE (hold/resume …); returns its final response (491 on glare)."""
        self._reinvite = self.stack.loop.create_future()
        self._act(lambda ep, now: ep.reinvite(self.call, sdp, now))
        return await self._reinvite

    async def info(self, body: bytes, content_type: str) -> Response:
        if self.ua is None:
            raise RuntimeError("INFO is sent through a UserAgent (this handle has none)")
        return await self.ua.request("INFO", call=self, body=body, content_type=content_type)

    async def __aenter__(self) -> CallHandle:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.ended.done():
            await self.hangup()

    # -- the call's listener (tas.sip.listener) ----------------------------------------------

    def _act(self, action: Action) -> None:
        """Run ``action(endpoint, now)`` and flush what it produced."""
        action(self.stack.endpoint, self.stack.now())
        self.stack.flush()

    def on_event(self, event: Event) -> None:
        if isinstance(event, CallProgress):
            self.provisional.append(event.response)
            if self.rang_at is None and event.response.status >= 180:
                self.rang_at = time.perf_counter()
        elif isinstance(event, CallAnswered):
            _settle(self.answered, event.response)
        elif isinstance(event, CallFailed):
            if not self.answered.done():
                self.answered.set_exception(CallFailedError(event.response))
            _settle(self.ended, str(event.response.status))
            self.call.listener = None  # break the handle <-> call cycle
        elif isinstance(event, CallConfirmed):
            _settle(self.confirmed, None)
        elif isinstance(event, CallEnded | CallCancelled):
            reason = event.reason if isinstance(event, CallEnded) else "cancelled"
            if isinstance(event, CallEnded):
                self.end = event
            if not self.confirmed.done():
                self.confirmed.set_exception(ConnectionAbortedError(reason))
                self.confirmed.exception()  # retrieved: no "never retrieved" warning
            _settle(self.ended, reason)
            self.events.put_nowait(event)
            self.call.listener = None  # break the handle <-> call cycle
        elif isinstance(event, ReInviteResult):
            if self._reinvite is not None:
                _settle(self._reinvite, event.response)
        elif isinstance(event, ReInvite) and self.on_reinvite is not None:
            self.on_reinvite(event)
        elif isinstance(event, ReInvite) and self.auto_reinvite:
            self._act(lambda ep, now: ep.answer_reinvite(self.call, self.call.local_sdp, now))
        else:
            self.events.put_nowait(event)


class UserAgent:
    """Owns a :class:`SipStack` and turns endpoint events into awaitables."""

    def __init__(self, stack: SipStack) -> None:
        self.stack = stack
        self._incoming: asyncio.Queue[CallHandle] = asyncio.Queue()
        self._requests: asyncio.Queue[RequestReceived] = asyncio.Queue()
        self._pending: dict[OutgoingRequest, asyncio.Future[Response]] = {}
        stack.on_event = self._on_event

    @classmethod
    async def open(cls, options: StackOptions) -> UserAgent:
        return cls(await SipStack.open(options))

    async def close(self) -> None:
        await self.stack.close()

    async def __aenter__(self) -> UserAgent:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- incoming ---------------------------------------------------------------------------

    async def next_call(self) -> CallHandle:
        return await self._incoming.get()

    async def incoming(self) -> AsyncIterator[CallHandle]:
        while True:
            yield await self._incoming.get()

    async def next_request(self) -> RequestReceived:
        """An out-of-dialog request for the application; answer with :meth:`respond`."""
        return await self._requests.get()

    def respond(
        self,
        received: RequestReceived,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> None:
        self._act(
            lambda ep, now: ep.respond(
                received.transaction,
                status,
                now,
                headers=headers,
                body=body,
                content_type=content_type,
            )
        )

    # -- outgoing ---------------------------------------------------------------------------

    def dial(
        self,
        uri: str,
        *,
        sdp: bytes = b"",
        peer: Peer | None = None,
        from_uri: str | None = None,
        headers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        answer_offer: Callable[[bytes], bytes] | None = None,
    ) -> CallHandle:
        """Start a call and return at once; await ``handle.answered`` for the outcome.
        Without ``sdp`` (delayed offer) ``answer_offer`` builds the ACK's answer."""
        ep, now = self.stack.endpoint, self.stack.now()
        call = ep.invite(
            uri,
            now,
            peer=peer,
            from_uri=from_uri,
            body=sdp,
            headers=headers,
            credentials=credentials,
            answer_offer=answer_offer,
        )
        handle = CallHandle(self.stack, call, self)
        self.stack.flush()
        return handle

    async def call(
        self,
        uri: str,
        *,
        sdp: bytes = b"",
        peer: Peer | None = None,
        from_uri: str | None = None,
        headers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        answer_offer: Callable[[bytes], bytes] | None = None,
    ) -> CallHandle:
        """Dial and wait for the answer; raises :class:`CallFailedError` on a failure."""
        handle = self.dial(
            uri,
            sdp=sdp,
            peer=peer,
            from_uri=from_uri,
            headers=headers,
            credentials=credentials,
            answer_offer=answer_offer,
        )
        try:
            await asyncio.shield(handle.answered)
        except asyncio.CancelledError:
            if not handle.ended.done():
                self._act(lambda ep, now: ep.bye(handle.call, now))
            raise
        return handle

    async def request(
        self,
        method: str,
        uri: str | None = None,
        *,
        call: CallHandle | None = None,
        peer: Peer | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
        credentials: Credentials | None = None,
    ) -> Response:
        """Send a request (in ``call``'s dialog or out of dialog) and await its final response."""
        ep, now = self.stack.endpoint, self.stack.now()
        handle = ep.request(
            method,
            now,
            uri=uri,
            call=call.call if call is not None else None,
            peer=peer,
            headers=headers,
            body=body,
            content_type=content_type,
            credentials=credentials,
        )
        future: asyncio.Future[Response] = self.stack.loop.create_future()
        self._pending[handle] = future
        self.stack.flush()
        try:
            return await future
        finally:
            self._pending.pop(handle, None)

    # -- plumbing ---------------------------------------------------------------------------

    def _act(self, action: Action) -> None:
        """Run ``action(endpoint, now)`` and flush what it produced."""
        action(self.stack.endpoint, self.stack.now())
        self.stack.flush()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, IncomingCall):
            self._incoming.put_nowait(CallHandle(self.stack, event.call, self))
        elif isinstance(event, RequestCompleted):
            future = self._pending.get(event.handle)
            if future is not None:
                _settle(future, event.response)
        elif isinstance(event, RequestReceived):
            self._requests.put_nowait(event)
        # events of a call whose handle let go of it (the call is over) are dropped


def _settle(future: asyncio.Future[T], value: T) -> None:
    if not future.done():
        future.set_result(value)
