"""Dialog state (RFC 3261 §12): identity, route set, remote target and CSeq rules.

A :class:`Dialog` is created by the UAS from an INVITE and its To tag (§12.1.1) or by the UAC
from the INVITE and a 1xx/2xx carrying a To tag (§12.1.2). It builds in-dialog requests
(§12.2.1.1: Request-URI = remote target, Route = route set, CSeq incremented) and checks
incoming ones (§12.2.2: a lower CSeq gets 500). Only loose routing (``;lr``) is supported; a
strict-routing first hop is used as a loose one. Via is left to the caller, which knows the
transport.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tas.sip.errors import RemoteProtocolError
from tas.sip.headers import Address, parse_address
from tas.sip.message import Headers, Request, Response
from tas.sip.uri import URI, SipURI

__all__ = ["Dialog", "DialogId", "requires_sips"]

#: (Call-ID, local tag, remote tag) (§12).
DialogId = tuple[str, str, str]


def requires_sips(request: Request) -> bool:
    """§12.1.1: the dialog a request starts is secure, and our Contact in its responses a SIPS
    URI, when the Request-URI is SIPS, or the top Record-Route is, or (without Record-Route)
    the Contact is. §8.1.1.8 asks the same of requests whose Request-URI or top Route is SIPS."""
    if _secure(request.uri):
        return True
    record_route = request.record_route
    if record_route:
        return _secure(record_route[0].uri)
    contact = request.contact
    return bool(contact) and _secure(contact[0].uri)


def _secure(uri: URI) -> bool:
    return isinstance(uri, SipURI) and uri.secure


@dataclass(slots=True)
class Dialog:
    """One dialog, from this UA's side (§12)."""

    call_id: str
    local_tag: str
    remote_tag: str
    local: Address  # our From/To address including our tag
    remote: Address  # the peer's, including its tag
    remote_target: URI
    route_set: list[str] = field(default_factory=list)
    local_seq: int = 0
    remote_seq: int | None = None
    secure: bool = False
    confirmed: bool = False

    @property
    def id(self) -> DialogId:
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def for_uas(cls, request: Request, local_tag: str, *, confirmed: bool) -> Dialog:
        """§12.1.1: built when sending a 1xx/2xx with To tag ``local_tag`` to ``request``."""
        contact = request.contact
        if not contact:
            raise RemoteProtocolError("INVITE without Contact", 400)
        remote_tag = request.from_.tag or ""
        to = request.to
        return cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=remote_tag,
            local=Address(to.uri, to.display_name, {**to.params, "tag": local_tag}),
            remote=request.from_,
            remote_target=contact[0].uri,
            route_set=[str(a) for a in request.record_route],
            local_seq=0,
            remote_seq=request.cseq.seq,
            secure=requires_sips(request),
            confirmed=confirmed,
        )

    @classmethod
    def for_uac(cls, request: Request, response: Response) -> Dialog:
        """§12.1.2: built on a 1xx/2xx with a To tag; the route set is Record-Route reversed."""
        contact = response.contact
        target: URI = contact[0].uri if contact else request.uri
        return cls(
            call_id=request.call_id,
            local_tag=request.from_.tag or "",
            remote_tag=response.to.tag or "",
            local=request.from_,
            remote=response.to,
            remote_target=target,
            route_set=[str(a) for a in reversed(response.record_route)],
            local_seq=request.cseq.seq,
            remote_seq=None,
            secure=isinstance(request.uri, SipURI) and request.uri.secure,
            confirmed=response.status >= 200,
        )

    def update_from_response(self, response: Response) -> None:
        """A 2xx confirms an early dialog: its route set and target are final (§12.1.2)."""
        if not self.confirmed:
            self.route_set = [str(a) for a in reversed(response.record_route)]
            self.confirmed = True
        self.refresh_target(response)

    def refresh_target(self, message: Request | Response) -> None:
        """Target refresh (§12.2): a re-INVITE or its 2xx may carry a new Contact."""
        contact = message.contact
        if contact:
            self.remote_target = contact[0].uri

    def check_request(self, request: Request) -> None:
        """§12.2.2: refuse an out-of-order request with 500; remember the remote CSeq."""
        seq = request.cseq.seq
        if request.method in ("ACK", "CANCEL"):
            return
        if self.remote_seq is not None and seq <= self.remote_seq:
            raise RemoteProtocolError(
                f"CSeq {seq} not above {self.remote_seq}",
                500,
                extra_headers=(("Retry-After", "1"),) if seq == self.remote_seq else (),
            )
        self.remote_seq = seq

    def next_hop(self) -> URI:
        """Where an in-dialog request goes first: the top Route, else the remote target."""
        if self.route_set:
            return parse_address(self.route_set[0]).uri
        return self.remote_target

    def create_request(
        self,
        method: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        seq: int | None = None,
    ) -> Request:
        """An in-dialog request without Via (§12.2.1.1). ACK and CANCEL pass ``seq``."""
        if seq is None:
            self.local_seq += 1
            seq = self.local_seq
        headers = Headers()
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self.local))
        headers.add("To", str(self.remote))
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{seq} {method}")
        for route in self.route_set:
            headers.add("Route", route)
        if body and content_type:
            headers.add("Content-Type", content_type)
        return Request(method, self.remote_target, headers, body)
