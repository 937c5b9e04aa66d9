"""Who sent a message: the trust boundary of the TAS (DESIGN, "Trust is decided at the edge").

Every inbound message is classified once, at the transport edge, into a :class:`Trust`:

* ``OPERATOR``  a configured core source (``[operator] trusted``: CIDRs) or a TLS client whose
                certificate names one of ``[operator] trusted_names`` (mutual TLS)
* ``SANDBOX``   the embedded sandbox core (its loopback address, trusted automatically)
* ``UA``        a SIP UA of ours that authenticated with digest (set by the call application)
* ``UNTRUSTED`` everything else: the internet

Only ``OPERATOR`` and ``SANDBOX`` legs are breakout legs (route decoding, MO/MT, forwarding,
LOOP back to the core, P-Asserted-Identity). :class:`TrustPolicy` is pure and cheap: a
per-host cache bounded in size, so classifying a flood costs one dict lookup per packet.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Trust", "TrustPolicy", "cert_names", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_CACHE_LIMIT = 65536


class Trust(enum.Enum):
    """Where a message came from, as far as the TAS is concerned."""

    OPERATOR = "operator"
    SANDBOX = "sandbox"
    UA = "ua"
    UNTRUSTED = "untrusted"

    @property
    def is_core(self) -> bool:
        """The operator core (real or embedded): breakout legs, forwarding, PAI."""
        return self is Trust.OPERATOR or self is Trust.SANDBOX

    @property
    def is_trusted(self) -> bool:
        """Anyone we answer with full service (503 + Retry-After under overload, 2xx
        retransmission, BYE of a never-ACKed dialog)."""
        return self is not Trust.UNTRUSTED


def parse_networks(texts: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]`` -> networks; ValueError names the
    bad entry."""
    out: list[Network] = []
    for text in texts:
        try:
            out.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not an IP address or CIDR network") from exc
    return tuple(out)


def cert_names(peercert: object) -> tuple[str, ...]:
    """The DNS/URI subjectAltNames and the subject commonName of a verified peer certificate
    (``ssl.SSLSocket.getpeercert()``'s dict; anything else -> no names)."""
    if not isinstance(peercert, dict):
        return ()
    names = [value for kind, value in peercert.get("subjectAltName", ()) if kind in ("DNS", "URI")]
    for rdn in peercert.get("subject", ()):
        names += [value for key, value in rdn if key == "commonName"]
    return tuple(names)


@dataclass(slots=True)
class TrustPolicy:
    """Classifies a source host (and, for TLS, the names in its client certificate)."""

    operator: tuple[Network, ...] = ()
    sandbox: tuple[Network, ...] = ()
    operator_names: frozenset[str] = frozenset()
    _cache: dict[str, Trust] = field(default_factory=dict, repr=False)

    @classmethod
    def from_texts(
        cls,
        operator: Iterable[str] = (),
        sandbox: Iterable[str] = (),
        operator_names: Iterable[str] = (),
    ) -> TrustPolicy:
        return cls(
            parse_networks(operator),
            parse_networks(sandbox),
            frozenset(n.lower() for n in operator_names),
        )

    def classify(self, host: str, cert_names: Iterable[str] = ()) -> Trust:
        """The trust of a message from ``host`` (a numeric address), over a TLS connection
        whose verified client certificate carries ``cert_names`` (empty otherwise)."""
        if self.operator_names and cert_names:
            if any(name.lower() in self.operator_names for name in cert_names):
                return Trust.OPERATOR
        trust = self._cache.get(host)
        if trust is not None:
            return trust
        trust = self._lookup(host)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[host] = trust
        return trust

    def _lookup(self, host: str) -> Trust:
        try:
            addr = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        except ValueError:
            return Trust.UNTRUSTED
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        if any(addr in net for net in self.operator):
            return Trust.OPERATOR
        if any(addr in net for net in self.sandbox):
            return Trust.SANDBOX
        return Trust.UNTRUSTED
