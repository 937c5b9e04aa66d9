"""Registration rules shared by the CLI (checked before any call) and the sandbox core.

Pure: no gRPC imports. :func:`validate_registration` raises :class:`InvalidRegistration` whose
text is the one sentence the operator would put in ``error_message``; the sandbox answers
``STATUS_CODE_NOT_ACCEPTABLE`` with exactly that text, the CLI prints it and exits 2.
URI grammar follows RFC 3261 §19.1 / §25.1 (``sips:`` hostport only, as the operator asks).
"""

from __future__ import annotations

import ipaddress
import re

from registrations.model import PREFIX, ROUTE_NAMES, Registration, Route, is_e164
from tas.hostport import HostPort

__all__ = [
    "NOT_SIPS",
    "InvalidRegistration",
    "validate_e164",
    "validate_prefix",
    "validate_registration",
    "validate_route",
    "validate_sips_uri",
]

#: The answer to a ``sip:`` (or any non-``sips:``) URI, locally and from the sandbox.
#: The operator's own wording first (issue #16), then what it means.
NOT_SIPS = (
    "Secure SIP domain name required: sip_uri must be a sips: URI (SIP over TLS), "
    "like sips:host or sips:host:port"
)

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


class InvalidRegistration(ValueError):
    """A registration the operator would refuse; ``str()`` is the one-line reason."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def validate_e164(number: str) -> str:
    """``number`` when it is E.164 (:data:`registrations.model.E164`), else InvalidRegistration."""
    if not number:
        raise InvalidRegistration("phone_number is required", field="phone_number")
    if not is_e164(number):
        raise InvalidRegistration(
            f"phone_number {number!r} is not E.164 ('+', country code, number; 7-15 digits)",
            field="phone_number",
        )
    return number


def validate_sips_uri(uri: str) -> str:
    """``sips:host`` or ``sips:host:port``; returns it with scheme and host lower-cased."""
    scheme = _SCHEME.match(uri)
    if scheme is None or scheme.group(1).lower() != "sips":
        raise InvalidRegistration(NOT_SIPS, field="sip_uri")
    hostport = uri[scheme.end() :]
    bad = InvalidRegistration(
        f"sip_uri {uri!r} is not sips:host[:port] (no user part, parameters or headers)",
        field="sip_uri",
    )
    if not hostport or any(c in hostport for c in "@;?/ \t"):
        raise bad
    bad_port = InvalidRegistration(
        f"sip_uri {uri!r} has an invalid port (1-65535)", field="sip_uri"
    )
    try:
        address = HostPort.parse(hostport)
    except ValueError as exc:
        raise (bad_port if str(exc).startswith("bad port") else bad) from None
    if address.port == 0:
        raise bad_port
    host = f"[{address.host}]" if hostport.startswith("[") else address.host  # IPv6reference
    if not _valid_host(host):
        raise bad
    return "sips:" + host.lower() + ("" if address.port is None else f":{address.port}")


def _valid_host(host: str) -> bool:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    if all(label.isdigit() for label in labels):  # dotted digits must be an IPv4 address
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
    return True


def validate_prefix(prefix: str, *, field: str) -> str:
    """An optional Request-URI prefix: empty, or 1-15 decimal digits."""
    if prefix and not PREFIX.fullmatch(prefix):
        raise InvalidRegistration(f"{field} {prefix!r} must be digits only", field=field)
    return prefix


def validate_route(route: Route | int | str) -> Route:
    """A :class:`Route`, a wire number (1-6) or a CLI name (``loop-mo``)."""
    try:
        if isinstance(route, str):
            return Route.from_cli_name(route)
        return Route(route)
    except (KeyError, ValueError):
        pass
    raise InvalidRegistration(
        f"route_type must be one of {', '.join(ROUTE_NAMES)}", field="route_type"
    )


def validate_registration(
    phone_number: str,
    route: Route | int | str,
    sip_uri: str,
    mo_prefix: str = "",
    mt_prefix: str = "",
) -> Registration:
    """Check every field (number, URI, route, prefixes in that order) and normalise."""
    return Registration(
        phone_number=validate_e164(phone_number),
        sip_uri=validate_sips_uri(sip_uri),
        route=validate_route(route),
        mo_prefix=validate_prefix(mo_prefix, field="mobile_originating_prefix"),
        mt_prefix=validate_prefix(mt_prefix, field="mobile_terminating_prefix"),
    )
