"""schemathesis against the admin API's own OpenAPI document, over real HTTP to a running
server: every operation, positive and negative (schema-violating) inputs, bounded and
deterministic (``derandomize``); every default check (no 5xx, status codes, content types and
bodies as documented, bad input refused with a 4xx, auth not ignored) must hold."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tas.server import TasServer
from tests.integration.admin.conftest import ADMIN, auth

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

#: Examples per operation and generation mode: enough to reach every route's 2xx and 4xx.
MAX_EXAMPLES = 12

#: Operations whose schema-valid input may still be wrong in substance, answered 400 with a
#: problem document: a policy whose fields contradict (``early_media`` with ``reject``, a
#: ``target`` that is no SIP URI), greeting bytes that are no audio, and rules whose values
#: ``parse_rule`` refuses (the schema gives a rule's shape; an IANA zone, an E.164 number or a
#: ring target is checked by the one validator of the TOML file, the CLI and the API; the
#: documented example is accepted). Every other check still runs on them (no 5xx, documented
#: status, content type and body).
SEMANTIC_400 = {
    "PUT /api/policies/{number}",
    "PUT /api/voicemail/greetings/{number}/{kind}",
    "PUT /api/rules/{number}",
}


def fuzz_one(operation: Any, mode: GenerationMode, url: str) -> None:
    """Run the bounded examples of one operation in one generation mode; raises on failure."""
    excluded = [positive_data_acceptance] if operation.label in SEMANTIC_400 else []

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=url, headers=auth(ADMIN), timeout=10, excluded_checks=excluded
        )

    check()


def fuzz(url: str) -> tuple[int, list[str]]:
    """(operations tested, one line per failure)."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz_one(operation, mode, url)
            except Unsatisfiable:  # no parameters and no body: nothing can violate the schema
                assert mode is GenerationMode.NEGATIVE and not operation.path_parameters
            except (Exception, BaseExceptionGroup) as exc:  # one line per operation, mode
                first = str(exc).strip().splitlines()[:14]
                failures.append(f"{operation.label} [{mode.value}]: {' | '.join(first)}")
    return tested, failures


async def test_admin_api_conforms_to_its_openapi_document(server: TasServer) -> None:
    assert server.metrics is not None
    tested, failures = await asyncio.to_thread(fuzz, server.metrics.url)
    assert tested >= 22
    assert failures == [], "\n".join(failures)
