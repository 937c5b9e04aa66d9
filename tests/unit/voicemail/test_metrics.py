"""The voicemail collector reads the refusal counters and the API's interceptor at scrape time."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from tas.voicemail.limits import Refusal, refusals
from tas.voicemail.metrics import VoicemailCollector


def scrape(api: Any) -> str:
    registry = CollectorRegistry()
    registry.register(VoicemailCollector(lambda: api))
    return generate_latest(registry).decode()


def test_refusals_without_an_api() -> None:
    before = refusals[Refusal.CALLER_LIMIT]
    refusals[Refusal.CALLER_LIMIT] += 2
    try:
        text = scrape(None)
    finally:
        refusals[Refusal.CALLER_LIMIT] = before
    assert f'tas_voicemail_refusals_total{{reason="caller-limit"}} {before + 2}.0' in text
    assert 'reason="mailbox-full"' in text and "api_auth" not in text


def test_api_counters() -> None:
    interceptor = SimpleNamespace(checked=12, failed=10, refused_unchecked=2990)
    text = scrape(SimpleNamespace(interceptor=interceptor, certificates=SimpleNamespace(loads=2)))
    assert "tas_voicemail_api_auth_checked_total 12.0" in text
    assert "tas_voicemail_api_auth_failures_total 10.0" in text
    assert "tas_voicemail_api_auth_refused_unchecked_total 2990.0" in text
    assert "tas_voicemail_api_cert_loads_total 2.0" in text
