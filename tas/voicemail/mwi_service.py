"""The MWI notifier on the wire: SUBSCRIBE in, NOTIFY out (RFC 6665, RFC 3842) — thin adapter.

:meth:`MwiService.on_subscribe` takes every SUBSCRIBE the call application hands over (from any
source: each must carry digest credentials, so an unauthenticated peer gets a 401 challenge and
nothing else, never a NOTIFY). In order:

1. ``Event`` other than ``message-summary`` → 489 Bad Event (RFC 6665 §4.2.1);
2. digest (RFC 3261 §22.4, RFC 7616) by :class:`~tas.sip.digest_server.DigestAuthenticator`:
   no or wrong credentials → 401 with a fresh stateless nonce (``stale=true`` for an old one);
   a locked-out user or source → 403;
3. the Request-URI user must be the authenticated user's mailbox → else 403 (no mailbox of
   someone else is ever summarised);
4. ``Expires`` via :func:`~tas.sip.subscription.grant_expires` → 423 + ``Min-Expires``;
5. 200 with the granted ``Expires`` and the dialog's To tag, then at once a NOTIFY with
   ``Subscription-State: active;expires=N`` and the message-summary body (§4.2.1.2);
   ``Expires: 0`` gets its last NOTIFY with ``terminated``.

:meth:`run` re-counts the watched mailboxes every ``poll_interval`` seconds (and at once after
:meth:`wake`, which ``tas serve`` calls on each new message), so a change made by any process —
a new message, one played/saved or deleted through the CLI, API or another replica — is sent
to every subscriber of that mailbox as one NOTIFY; subscriptions whose time is up get
``terminated;reason=timeout``. A NOTIFY answered 481 (or not at all) ends its subscription
(§4.1.3). NOTIFYs go to the SUBSCRIBE's source address (never to a Contact elsewhere: no
reflection), with the subscriber's Contact as Request-URI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from registrations.model import is_e164
from tas.calls.host import CallHost
from tas.config_mwi import MwiSettings
from tas.logs import log_event
from tas.sip.call import OutgoingRequest
from tas.sip.digest_server import DigestAuthenticator
from tas.sip.errors import SipError
from tas.sip.events import Event, RequestCompleted, RequestReceived
from tas.sip.header_fields import Headers
from tas.sip.message import Request
from tas.sip.subscription import (
    ExpiryBounds,
    IntervalTooBrief,
    Subscription,
    SubscriptionTable,
    TooManySubscriptions,
    grant_expires,
    state_header,
)
from tas.sip.transaction_base import Peer
from tas.sip.transaction_server import ServerTransaction
from tas.sip.uri import SipURI, parse_uri
from tas.voicemail.models import Voicemail
from tas.voicemail.mwi import CONTENT_TYPE, EVENT, MessageSummary, message_summary, summarize

__all__ = ["MwiService"]

log = logging.getLogger(__name__)


class MessageLister(Protocol):
    """What the notifier reads of the voicemail store."""

    async def list_messages(self, mailbox: str | None = None) -> list[Voicemail]: ...


class MwiService:
    """Subscriptions to mailboxes and their NOTIFYs; :meth:`run` is its task."""

    def __init__(self, host: CallHost, store: MessageLister, settings: MwiSettings) -> None:
        self.host = host
        self.store = store
        self.settings = settings
        self.auth = DigestAuthenticator(
            settings.realm,
            {number: secret.get_secret_value() for number, secret in settings.passwords.items()},
            algorithm=settings.algorithm,
        )
        bounds = ExpiryBounds(settings.min_expires, settings.max_expires, settings.default_expires)
        self.table = SubscriptionTable(bounds, settings.max_subscriptions)
        self._peers: dict[tuple[str, str], Peer] = {}
        self._summaries: dict[str, MessageSummary] = {}
        self._sent: dict[int, Subscription] = {}  # id(OutgoingRequest) -> its subscription
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.notifies = 0

    # -- SUBSCRIBE -------------------------------------------------------------------------

    def on_subscribe(self, event: RequestReceived) -> None:
        request, txn = event.request, event.transaction
        now = self.host.now()
        if (request.headers.get("Event") or "").split(";")[0].strip().lower() != EVENT:
            self._answer(txn, 489, {"Allow-Events": EVENT})
            return
        verdict = self.auth.verify(
            "SUBSCRIBE", str(request.uri), request.headers.get("Authorization"), txn.peer.host, now
        )
        if verdict.locked:
            self._answer(txn, 403)
            return
        if verdict.username is None:
            challenge = self.auth.challenge(now, stale=verdict.stale)
            self._answer(txn, 401, {"WWW-Authenticate": challenge})
            return
        uri = request.uri
        mailbox = uri.user if isinstance(uri, SipURI) else None
        if mailbox is None or not is_e164(mailbox) or mailbox != verdict.username:
            self._answer(txn, 403)
            return
        try:
            expires = grant_expires(_expires_of(request), self.table.bounds)
        except IntervalTooBrief as exc:
            self._answer(txn, 423, {"Min-Expires": str(exc.minimum)})
            return
        except ValueError:
            self._answer(txn, 400, reason="Bad Expires")
            return
        self._subscribe(request, txn, mailbox, verdict.username, expires, now)

    def _subscribe(
        self,
        request: Request,
        txn: ServerTransaction,
        mailbox: str,
        user: str,
        expires: int,
        now: float,
    ) -> None:
        remote_tag = request.from_.tag or ""
        existing = self.table.get(request.call_id, remote_tag)
        if request.to.tag is not None and (existing is None or existing.user != user):
            self._answer(txn, 481)  # a refresh of a subscription we do not hold (§4.2.1)
            return
        if existing is not None and request.cseq.seq <= existing.remote_cseq:
            self._answer(txn, 500, reason="CSeq out of order")  # §12.2.2
            return
        contacts = request.contact
        if existing is None and not contacts:
            self._answer(txn, 400, reason="Missing Contact")  # §4.1.2.1
            return
        new = None
        if existing is None:
            new = Subscription(
                call_id=request.call_id,
                remote_tag=remote_tag,
                local_tag=self.host.endpoint.new_tag(),
                resource=mailbox,
                event=EVENT,
                remote_uri=str(request.from_.uri),
                local_uri=str(request.to.uri),
                contact=str(contacts[0].uri),
                expires_at=now,
                user=user,
            )
        try:
            sub = self.table.subscribe(existing, new, expires, now)
        except TooManySubscriptions:
            self._answer(txn, 503, {"Retry-After": "60"})
            return
        sub.remote_cseq = request.cseq.seq
        if contacts:
            sub.contact = str(contacts[0].uri)
        self._peers[sub.key] = txn.peer
        response = request.create_response(200, to_tag=sub.local_tag)
        response.headers.add("Expires", str(expires))
        response.headers.add("Contact", self.host.endpoint.own_contact(txn.peer.transport))
        txn.respond(response, now)
        log_event(
            log,
            "mwi_subscribed" if expires else "mwi_unsubscribed",
            mailbox=mailbox,
            expires=expires,
            refresh=existing is not None,
            peer=f"{txn.peer.host}:{txn.peer.port}",
        )
        self._spawn(self._notify_now(sub))

    def _answer(
        self,
        txn: ServerTransaction,
        status: int,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        self.host.endpoint.respond(txn, status, self.host.now(), headers=headers, reason=reason)

    # -- NOTIFY ----------------------------------------------------------------------------

    async def _notify_now(self, sub: Subscription) -> None:
        summary = await self._count(sub.resource)
        if summary is not None:
            self._summaries[sub.resource] = summary
            self._notify(sub, summary)
            self.host.flush()

    async def _count(self, mailbox: str) -> MessageSummary | None:
        try:
            return summarize(await self.store.list_messages(mailbox))
        except Exception:
            log_event(
                log, "mwi_count_failed", level=logging.WARNING, exc_info=True, mailbox=mailbox
            )
            return None

    def _notify(self, sub: Subscription, summary: MessageSummary | None) -> None:
        """One NOTIFY in ``sub``'s dialog (RFC 6665 §4.2.2); no body once terminated without
        a summary at hand."""
        now = self.host.now()
        peer = self._peers.get(sub.key)
        if peer is None:
            return
        try:
            target = parse_uri(sub.contact)
        except SipError:
            return
        headers = Headers()
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<{sub.local_uri}>;tag={sub.local_tag}")
        headers.add("To", f"<{sub.remote_uri}>;tag={sub.remote_tag}")
        headers.add("Call-ID", sub.call_id)
        headers.add("CSeq", f"{sub.next_cseq()} NOTIFY")
        headers.add("Event", EVENT)
        headers.add("Subscription-State", state_header(sub, now))
        request = Request("NOTIFY", target, headers)
        if summary is not None:
            account = sub.local_uri if sub.local_uri.startswith("sip") else None
            request.headers.add("Content-Type", CONTENT_TYPE)
            request.body = message_summary(summary, account)
        handle = self.host.endpoint.send_built(request, peer, now)
        self.notifies += 1
        if sub.state == "active":
            self._sent[id(handle)] = sub
        else:
            self._peers.pop(sub.key, None)
        log_event(
            log,
            "mwi_notify",
            level=logging.DEBUG,
            mailbox=sub.resource,
            state=state_header(sub, now),
            new=summary.new if summary else None,
        )

    def on_completed(self, event: RequestCompleted) -> bool:
        """A NOTIFY's final response; 481/408 (or any failure but 2xx) ends the subscription
        (RFC 6665 §4.1.3, §4.2.2). False for requests that are not ours."""
        handle: OutgoingRequest = event.handle
        sub = self._sent.pop(id(handle), None)
        if sub is None:
            return False
        if event.response.status >= 300 and self.table.get(*sub.key) is sub:
            self.table.terminate(sub, "deactivated")
            self._peers.pop(sub.key, None)
            log_event(log, "mwi_notify_refused", mailbox=sub.resource, status=event.response.status)
        return True

    # -- the task --------------------------------------------------------------------------

    def wake(self) -> None:
        """Re-count now (a new message was committed)."""
        self._wake.set()

    async def run(self) -> None:
        """:meth:`step` every ``poll_interval`` (sooner for an expiry or :meth:`wake`) until
        cancelled."""
        while True:
            delay = await self.step()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def step(self) -> float:
        """Expire subscriptions, NOTIFY every watched mailbox whose summary changed; returns
        the seconds until the next step is due."""
        for sub in self.table.expire(self.host.now()):
            self._notify(sub, self._summaries.get(sub.resource))
        watched = set(self.table.resources())
        for mailbox in set(self._summaries) - watched:
            del self._summaries[mailbox]
        for mailbox in watched:
            summary = await self._count(mailbox)
            if summary is not None and summary != self._summaries.get(mailbox):
                self._summaries[mailbox] = summary
                for sub in self.table.of_resource(mailbox):
                    self._notify(sub, summary)
        self.host.flush()
        delay = self.settings.poll_interval
        deadline = self.table.next_deadline()
        if deadline is not None:
            delay = max(0.01, min(delay, deadline - self.host.now()))
        return delay

    def in_front_of(self, on_event: Callable[[Event], None]) -> Callable[[Event], None]:
        """The stack's event handler: SUBSCRIBEs and our NOTIFYs' answers here, the rest to
        ``on_event`` (the call application)."""

        def handle(event: Event) -> None:
            if isinstance(event, RequestReceived) and event.request.method == "SUBSCRIBE":
                self.on_subscribe(event)
            elif not (isinstance(event, RequestCompleted) and self.on_completed(event)):
                on_event(event)

        return handle

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _expires_of(request: Request) -> int | None:
    """The ``Expires`` header's seconds (RFC 3261 §20.19); ValueError when it is not one."""
    value = request.headers.get("Expires")
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or len(text) > 10:
        raise ValueError(text)
    return int(text)
