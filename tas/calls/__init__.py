"""The call application: why a leg arrived, what the per-number policy says, and doing it.

Pure parts are importable from here (routing, policy, diversion reason). The asyncio parts
live in their modules: :class:`tas.calls.app.CallApp` (the transaction user of ``tas serve``),
:mod:`tas.calls.b2bua` (forwarding), :mod:`tas.calls.voicemail_flow`, :mod:`tas.calls.announce`,
:mod:`tas.calls.outbound` (INGRESS calls we place), :mod:`tas.calls.records` (CallRecord).
"""

from tas.calls.diversion import reason_for_cause, session_id_of, voicemail_reason
from tas.calls.policy import (
    DEFAULT_ACTIONS,
    Action,
    Decision,
    Policy,
    PolicyError,
    decide,
    load_policy_file,
    parse_policy,
)
from tas.calls.routing import Direction, LegInfo, decode_leg, e164_of

__all__ = [
    "DEFAULT_ACTIONS",
    "Action",
    "Decision",
    "Direction",
    "LegInfo",
    "Policy",
    "PolicyError",
    "decide",
    "decode_leg",
    "e164_of",
    "load_policy_file",
    "parse_policy",
    "reason_for_cause",
    "session_id_of",
    "voicemail_reason",
]
