"""The SIP test-call harness behind ``tas call``: single calls with real RTP, expectations,
load runs. Pure pieces (ladder, expectations, options, tone detection, load figures) sit
beside the asyncio ones (stack, call, load, mailbox probe)."""

from tas.harness.call import CallSpec, place_call
from tas.harness.expectations import EXPECTATIONS, Expectation, check_all, parse_expectation
from tas.harness.ladder import Ladder, LadderEntry
from tas.harness.listen import Tone, ToneDetector, is_beep
from tas.harness.load import LoadPlan, LoadProgress, run_load
from tas.harness.result import CallResult, DigitHeard, HoldResult, RtpSummary, VoicemailCheck
from tas.harness.stack import HarnessStack, open_stack
from tas.harness.summary import CallOutcome, LoadSummary, percentile, summarize
from tas.harness.target import Target, resolve_target

__all__ = [
    "EXPECTATIONS",
    "CallOutcome",
    "CallResult",
    "CallSpec",
    "DigitHeard",
    "Expectation",
    "HarnessStack",
    "HoldResult",
    "Ladder",
    "LadderEntry",
    "LoadPlan",
    "LoadProgress",
    "LoadSummary",
    "RtpSummary",
    "Target",
    "Tone",
    "ToneDetector",
    "VoicemailCheck",
    "check_all",
    "is_beep",
    "open_stack",
    "parse_expectation",
    "percentile",
    "place_call",
    "resolve_target",
    "run_load",
    "summarize",
]
