"""What can go wrong talking to the operator, each with the ``tas register`` exit code it maps to.

Bad local input is :class:`registrations.validation.InvalidRegistration` (exit 2).
"""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_UNREACHABLE",
    "AuthenticationFailed",
    "BadInput",
    "OperatorError",
    "OperatorNotFound",
    "OperatorRejected",
    "OperatorUnreachable",
]

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3


class BadInput(Exception):
    """A ``tas register`` command refused before any call (exit 2), e.g. an unknown number."""


class OperatorError(Exception):
    """Base class; ``str()`` is one line fit for a terminal."""

    exit_code = EXIT_REJECTED
    kind = "error"


class OperatorRejected(OperatorError):
    """The operator answered and said no: ``STATUS_CODE_NOT_ACCEPTABLE`` or a gRPC status such as
    INVALID_ARGUMENT / PERMISSION_DENIED. ``str()`` is the operator's ``error_message``."""

    kind = "rejected"


class OperatorNotFound(OperatorRejected):
    """gRPC ``NOT_FOUND``: the operator does not hold what we named. For a delete that is the
    goal already met (the refresher forgets the registration); ``str()`` is the detail."""

    kind = "not_found"


class AuthenticationFailed(OperatorRejected):
    """The token endpoint refused our client credentials, or the API refused the token."""

    kind = "auth"


class OperatorUnreachable(OperatorError):
    """No answer: connection refused, TLS failure, or UNAVAILABLE / DEADLINE_EXCEEDED after all
    retries (also the token endpoint being down)."""

    exit_code = EXIT_UNREACHABLE
    kind = "unreachable"
