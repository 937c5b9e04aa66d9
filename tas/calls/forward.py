"""Where a ``forward`` decision sends a leg (pure): the B2BUA's outgoing Request-URI, next hop
and copied headers, and the outgoing leg's call record.

``target = "core"`` (or an E.164 number) goes back to the core that sent the leg, on the same
connection, with the leg's number un-prefixed (``user=phone``, RFC 3261 §19.1.6); a
``sip:``/``sips:`` URI is called directly: a numeric host is the next hop itself, a host name
is located by RFC 3263 (``by_name``; :mod:`tas.calls.failover`). ``Session-ID`` (RFC 7989 §6),
P-Asserted-Identity and Privacy (RFC 3325) are passed on unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tas.calls.diversion import session_id_of
from tas.calls.policy import Action
from tas.calls.records import CallRow
from tas.calls.routing import e164_of
from tas.dns.select import is_numeric
from tas.logs import log_event
from tas.sip.call import Call
from tas.sip.errors import SipError
from tas.sip.message import Request
from tas.sip.routing import target_peer
from tas.sip.transaction_base import Peer
from tas.sip.uri import SipURI, parse_uri

__all__ = ["ForwardPlan", "plan_forward"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ForwardPlan:
    """The outgoing leg: Request-URI, next hop (None: unroutable), headers, its record."""

    uri: SipURI | str
    peer: Peer | None
    headers: dict[str, str]
    number: str | None  # the E.164 number called, when it is one
    by_name: SipURI | None = None  # a host name: the next hops are its RFC 3263 targets

    def out_record(self, b_call_id: str, request: Request, a: CallRow) -> CallRow:
        """The record of the outgoing leg, from the incoming leg's record ``a``."""
        return CallRow(
            sip_call_id=b_call_id,
            session_id=session_id_of(request),
            direction="out",
            route=a.route,
            caller=a.caller,
            callee=self.number or str(self.uri),
            subscriber=a.subscriber,
            action=Action.FORWARD.value,
        )


def plan_forward(call: Call, request: Request, record: CallRow, target: str) -> ForwardPlan:
    """Plan the forward of ``call`` (its INVITE ``request``, its record) to ``target``."""
    number = e164_of(record.callee) if target == "core" else e164_of(target)
    peer: Peer | None = None
    by_name: SipURI | None = None
    uri: SipURI | str
    if number is not None:  # back to the core that sent this leg, on the same connection
        scheme = "sips" if call.peer.transport == "TLS" else "sip"
        via = request.top_via
        uri = SipURI(
            host=via.host, port=via.port, user=number, scheme=scheme, params={"user": "phone"}
        )
        peer = call.peer
    else:
        uri = target
        try:
            parsed = parse_uri(target)
            if isinstance(parsed, SipURI) and not is_numeric(parsed.host):
                by_name = parsed
            else:
                peer = target_peer(parsed, "UDP")
        except SipError as exc:
            log_event(log, "bad_forward_target", level=logging.WARNING, target=target, error=exc)
    headers = {}
    if session := request.headers.get("Session-ID"):
        headers["Session-ID"] = session
    for name in ("P-Asserted-Identity", "Privacy"):
        if value := request.headers.get(name):
            headers[name] = value
    return ForwardPlan(uri, peer, headers, number, by_name)
