"""Webhook plug-in: ``POST`` a JSON document to a URL with ``httpx``.

Headers: ``Idempotency-Key`` (the same on every retry of one notification),
``X-TAS-Timestamp`` (Unix seconds) and, with a secret, ``X-TAS-Signature: sha256=<hex>``, the
HMAC-SHA256 (RFC 2104) of ``<timestamp>.<body>`` under the secret. 2xx is success; other
4xx (but 408 and 429) are permanent; 5xx, 408, 429 and transport errors are retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from tas.voicemail.notify_channels import Notice, PermanentFailure
from tas.voicemail.notify_models import Channel

__all__ = ["WebhookNotifier", "payload", "sign"]

_RETRIED_4XX = frozenset({408, 429})


def payload(notice: Notice) -> dict[str, object]:
    """The JSON document; ``from`` is null for a hidden caller, ``transcript`` for a message
    that predates transcripts."""
    message = notice.message
    return {
        "event": "voicemail.new",
        "id": notice.key,
        "voicemail_id": message.voicemail_id,
        "mailbox": message.mailbox,
        "from": message.caller_number or None,
        "hidden_caller": not message.caller_number,
        "duration": round(message.duration, 3),
        "reason": message.reason.value,
        "created": message.created.isoformat(),
        "expires": message.expires.isoformat(),
        # status pending/done/failed/unavailable, text (null unless done), engine, language
        "transcript": None if notice.transcript is None else notice.transcript.as_dict(),
    }


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp.body``."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookNotifier:
    channel = Channel.WEBHOOK

    def __init__(
        self, secret: str, *, timeout: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret.encode()
        self._clock = clock
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def send(self, target: str, notice: Notice) -> str:
        body = json.dumps(payload(notice), separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": notice.key,
            "X-TAS-Timestamp": timestamp,
        }
        if self._secret:
            headers["X-TAS-Signature"] = sign(self._secret, timestamp, body)
        response = await self._client.post(target, content=body, headers=headers)
        status = response.status_code
        if 200 <= status < 300:
            return f"webhook {status} from {target}"
        if 400 <= status < 500 and status not in _RETRIED_4XX:
            raise PermanentFailure(f"webhook {target} answered {status}")
        raise RuntimeError(f"webhook {target} answered {status}")

    async def aclose(self) -> None:
        await self._client.aclose()
