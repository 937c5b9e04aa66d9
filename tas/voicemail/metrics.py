"""Prometheus view of the voicemail defences (read at scrape time, nothing on the hot path).

``tas_voicemail_refusals_total{reason}`` (abuse limits, :mod:`tas.voicemail.limits`);
with the API running: ``tas_voicemail_api_auth_checked_total``,
``tas_voicemail_api_auth_failures_total``, ``tas_voicemail_api_auth_refused_unchecked_total``
(:mod:`tas.voicemail.auth`) and ``tas_voicemail_api_cert_loads_total`` (TLS reloads + 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from tas.voicemail.limits import Refusal, refusals

__all__ = ["VoicemailCollector"]


class VoicemailCollector(Collector):
    """``api`` returns the running :class:`~tas.voicemail.api.VoicemailApi` or None."""

    def __init__(self, api: Callable[[], Any], prefix: str = "tas_voicemail") -> None:
        self.api = api
        self.prefix = prefix

    def collect(self) -> Iterator[Metric]:
        refused = CounterMetricFamily(
            f"{self.prefix}_refusals",
            "Callers refused by a mailbox limit (they heard a prompt).",
            labels=["reason"],
        )
        for reason in Refusal:
            refused.add_metric([reason.value], refusals[reason])
        yield refused
        api = self.api()
        if api is None:
            return
        counters = {  # metric name -> (interceptor attribute, help)
            "checked": ("checked", "Bearer tokens checked by the voicemail API."),
            "failures": ("failed", "Failed authentications (no or unknown token)."),
            "refused_unchecked": (
                "refused_unchecked",
                "Requests refused unchecked: the peer had spent its failure budget.",
            ),
        }
        for name, (attribute, help_text) in counters.items():
            value = getattr(api.interceptor, attribute)
            yield CounterMetricFamily(f"{self.prefix}_api_auth_{name}", help_text, value=value)
        if api.certificates is not None:
            yield CounterMetricFamily(
                f"{self.prefix}_api_cert_loads",
                "TLS certificate configurations loaded (1 at start, +1 per reload).",
                value=api.certificates.loads,
            )
