"""Legs for numbers we hold no registration for: the ``direct`` route (issue 11, "one call path").

A trusted peer (the operator core, the sandbox, a SIP test tool on a trusted address) may send
an INVITE whose Request-URI names no number of ours: plain SIP tests, SIPp's ``-sn uac``. Such a
leg goes through the call application like any other (call record, metrics, media session from
:mod:`media.offer_answer`, real RTP); only the decision differs, and it is made here, purely:

1. a stored policy for the Request-URI number without a route type (``tas policy set NUMBER``);
2. else the wildcard policy ``*`` (``tas policy set '*' …``), which applies to direct legs only;
3. else the ``[invite]`` settings: ``answer`` (silence, or the ``[invite] announcement`` once,
   held until BYE or ``min(max_duration, hangup_after)`` seconds; with ``ring_before_answer``
   a 180 goes first, reliably when the caller requires 100rel) or ``reject`` with
   ``reject_status``.

Route-specific policies never match: a direct leg has no route type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tas.calls.policy import Action, Decision, Policy
from tas.calls.routing import e164_of
from tas.config import InvitePolicy

__all__ = ["DIRECT_ROUTE", "WILDCARD", "DirectStats", "decide_direct", "hold_seconds"]

#: The ``route`` of a direct leg's :class:`~tas.calls.records.CallRecord` (``tas calls``).
DIRECT_ROUTE = "direct"
#: The number of the policy that applies to every direct leg without a policy of its own.
WILDCARD = "*"


@dataclass(slots=True)
class DirectStats:
    """Direct legs for ``/metrics`` (``tas_policy_calls_active`` / ``_answered``)."""

    active: set[str] = field(default_factory=set)  # Call-IDs of direct legs being handled
    answered: int = 0  # direct legs answered with 200 since start


def hold_seconds(invite: InvitePolicy) -> float:
    """How long an ``[invite]``-answered leg is kept: ``max_duration``, shortened by
    ``hangup_after`` when that is set."""
    if invite.hangup_after is None:
        return invite.max_duration
    return min(invite.max_duration, invite.hangup_after)


def _unrouted(policies: Sequence[Policy]) -> Policy | None:
    return next((p for p in policies if p.route is None), None)


def decide_direct(
    request_user: str | None,
    policies_for: Callable[[str], Sequence[Policy]],
    invite: InvitePolicy,
) -> Decision:
    """The action for a direct leg to ``request_user`` (see the module doc for the order)."""
    number = e164_of(request_user)
    best = _unrouted(policies_for(number)) if number is not None else None
    if best is None:
        best = _unrouted(policies_for(WILDCARD))
    if best is not None:
        return Decision(
            best.action,
            None,
            best,
            best.status,
            best.target,
            best.announcement,
            best.menu,
            early_media=best.early_media,
        )
    if invite.action == "reject":
        return Decision(Action.REJECT, None, None, status=invite.reject_status)
    return Decision(
        Action.ANSWER,
        None,
        None,
        announcement=invite.announcement,
        hold=hold_seconds(invite),
        ring=invite.ring_before_answer,
    )
