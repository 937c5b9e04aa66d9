"""Operator control plane: wgtwo contracts, OAuth2, SipBreakout client, registration lifecycle.

Modules: ``model`` / ``validation`` / ``errors`` (pure, no gRPC; re-exported here),
``wgtwo.*`` (generated stubs, ``make protos`` from ``proto/``), ``oauth`` (client-credentials
tokens), ``client`` (SipBreakoutService v1 over grpc.aio), ``schedule`` (sans-IO lifecycle),
``store`` (sqlmodel rows), ``refresher`` (asyncio loop for ``tas serve``), ``syncfile`` and
``cli`` (``tas register``).
"""

from registrations.errors import (
    AuthenticationFailed,
    OperatorError,
    OperatorRejected,
    OperatorUnreachable,
)
from registrations.model import ROUTE_NAMES, Registration, Route
from registrations.validation import NOT_SIPS, InvalidRegistration, validate_registration

__all__ = [
    "NOT_SIPS",
    "ROUTE_NAMES",
    "AuthenticationFailed",
    "InvalidRegistration",
    "OperatorError",
    "OperatorRejected",
    "OperatorUnreachable",
    "Registration",
    "Route",
    "validate_registration",
]
