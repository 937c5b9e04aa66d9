"""Where messages go (RFC 3261 §8.1.2, §18, RFC 3581) and responses the UA makes up itself.

``stamp_via`` adds ``received``/``rport`` to a request's top Via from the address it came
from; ``target_peer`` turns a SIP URI into the next-hop :class:`Peer` (numeric hosts and
explicit ports; no RFC 3263 DNS); ``synthesized`` builds the 408/503 a timeout or transport
error stands for (§8.1.3.1).
"""

from __future__ import annotations

from tas.sip.errors import LocalProtocolError
from tas.sip.grammar import split_list
from tas.sip.message import Request, Response
from tas.sip.transaction_base import Peer
from tas.sip.uri import URI, SipURI

__all__ = ["stamp_via", "target_peer", "synthesized"]


def stamp_via(request: Request, source: Peer) -> None:
    """§18.2.1 + RFC 3581 §4: record the source address in the top Via when it differs from
    sent-by, and the source port when the client asked for ``rport``."""
    via = request.top_via
    wants_rport = via.wants_rport
    if via.host == source.host and not wants_rport:
        return
    params: dict[str, str | None] = {"received": source.host}
    if wants_rport:
        params["rport"] = str(source.port)
    values = request.headers.fields("Via")
    first = split_list(values[0])
    first[0] = str(via.with_params(**params))
    request.headers.remove("Via")
    for value in reversed([", ".join(first), *values[1:]]):
        request.headers.prepend("Via", value)


def target_peer(uri: URI, default_transport: str, conn: int | None = None) -> Peer:
    """The next hop for a request to ``uri`` (§8.1.2; transport from ``;transport=``)."""
    if not isinstance(uri, SipURI):
        raise LocalProtocolError(f"cannot route to {uri}: not a sip/sips URI")
    transport = (uri.transport or default_transport).upper()
    if uri.secure and transport in ("UDP", "TCP"):
        transport = "TLS"
    port = uri.port or (5061 if transport == "TLS" else 5060)
    return Peer(transport, uri.host.strip("[]"), port, conn)


def synthesized(request: Request, status: int) -> Response:
    """The response a timeout (408) or transport error (503) stands for (§8.1.3.1)."""
    return request.create_response(status)
