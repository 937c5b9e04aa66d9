"""``[voicemail.transcribe]``: transcripts of new messages (tas.voicemail.transcribe_worker),
run in a bounded pool of worker processes after the message is committed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TranscribeSettings(BaseModel):
    """Needs the ``transcribe`` extra (PocketSphinx); without it every message's transcript is
    ``unavailable`` ("no transcriber installed") and no worker runs."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    workers: int = Field(default=1, ge=1, le=8)  # recogniser processes (CPU-bound)
    queue: int = Field(default=2, ge=1, le=64)  # messages one worker holds at once (claimed)
    timeout: float = Field(default=120.0, gt=0)  # per message; then the transcript fails
    lease_seconds: float = Field(default=300.0, gt=0)  # a claimed row is another worker's after
    max_attempts: int = Field(default=3, ge=1)  # claims whose worker died, then failed
    poll_interval: float = Field(default=5.0, gt=0)
    # How long the e-mail and webhook notifications of a new message wait for its transcript
    # (sent as soon as it is done, at the latest after this; SMS is never held). 0: never wait.
    notify_wait: float = Field(default=30.0, ge=0)

    @model_validator(mode="after")
    def _lease_outlives_timeout(self) -> TranscribeSettings:
        if self.lease_seconds <= self.timeout:
            raise ValueError("lease_seconds must be longer than timeout")
        return self
