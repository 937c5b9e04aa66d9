"""The ``[mwi]`` section: message-waiting indication by SUBSCRIBE/NOTIFY (RFC 3842, RFC 6665;
:mod:`tas.voicemail.mwi_service`).

A UA subscribes to ``sip:<mailbox number>@<tas>`` with ``Event: message-summary`` and digest
credentials (RFC 3261 §22): the username is the mailbox number, the password the one given here
under ``passwords`` (a digest server needs the password or its HA1, so it is a secret of the
configuration file, like ``smtp_password``; keep the file readable by the service only)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class MwiSettings(BaseModel):
    """``[mwi]``: off unless ``enabled``; one SIP password per mailbox that may subscribe."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    realm: str = "tas"
    # RFC 8760 prefers SHA-256; older phones (baresip 1.0, many desk phones) know only MD5
    algorithm: Literal["SHA-256", "MD5"] = "SHA-256"
    passwords: dict[str, SecretStr] = Field(default_factory=dict)  # E.164 number -> password
    min_expires: int = Field(default=60, ge=1)  # shorter: 423 Interval Too Brief
    max_expires: int = Field(default=3600, ge=1)  # longer: shortened to this
    default_expires: int = Field(default=3600, ge=1)  # no Expires header (RFC 3842 §6)
    poll_interval: float = Field(default=2.0, gt=0)  # seconds between mailbox re-counts
    max_subscriptions: int = Field(default=10000, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> MwiSettings:
        if not self.min_expires <= self.default_expires <= self.max_expires:
            raise ValueError("need min_expires <= default_expires <= max_expires")
        return self
