"""The ``[voicemail]`` sections of the configuration (:mod:`tas.config` holds the rest and
re-exports these): mailboxes and their limits, the voicemail API, its tokens, the S3 bucket
and new-message notifications."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from tas.config_transcribe import TranscribeSettings
from tas.hostport import HostPort


class ApiToken(BaseModel):
    """One ``voicemail.api_tokens`` table entry: a token (or its SHA-256) scoped to mailboxes and
    operations (``read``, ``update``, ``delete``; see :mod:`tas.voicemail.tokens`)."""

    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = None
    token_sha256: str | None = None  # hex digest: the secret itself stays out of the file
    mailboxes: list[str] | None = None  # E.164 numbers; None: every mailbox
    operations: list[str] | None = None  # None: every operation

    @model_validator(mode="after")
    def _one_secret(self) -> ApiToken:
        if (self.token is None) == (self.token_sha256 is None):
            raise ValueError("give exactly one of token, token_sha256")
        return self


def is_loopback_address(address: str) -> bool:
    """True when ``host:port`` binds only loopback (127.0.0.0/8, ::1, ``localhost``)."""
    try:
        return HostPort.parse(address).is_loopback
    except ValueError:
        return False  # 0.0.0.0, ::, a hostname: may be reachable from elsewhere


class NotifySettings(BaseModel):
    """``[voicemail.notify]``: new-message notifications (tas.voicemail.notify_*), for every
    mailbox unless ``tas voicemail notify set`` overrides them for one."""

    channels: list[Literal["sms", "email", "webhook"]] = Field(default_factory=list)
    sms_sender: str = "Voicemail"  # from_address of the SMS (pre-approved by the operator)
    email_to: str = ""  # recipient when a mailbox has none of its own
    email_from: str = "voicemail@localhost"
    email_attachment: Literal["wav", "ogg"] = "wav"
    smtp: str = "127.0.0.1:25"  # host:port
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    webhook_url: str = ""
    # HMAC-SHA256 key of the webhook's X-TAS-Signature header; "" = unsigned
    webhook_secret: SecretStr = SecretStr("")
    max_attempts: int = Field(default=8, ge=1)
    backoff_initial: float = Field(default=5.0, gt=0)  # seconds; doubles per attempt
    backoff_max: float = Field(default=900.0, gt=0)
    lease_seconds: float = Field(default=120.0, gt=0)  # a claimed row is another worker's after
    poll_interval: float = Field(default=2.0, gt=0)
    timeout: float = Field(default=20.0, gt=0)  # per delivery


class S3Settings(BaseModel):
    """``[voicemail.s3]``: the bucket of ``storage = "s3"`` (any S3-compatible server; needs
    the ``s3`` extra, aiobotocore). Credentials: these keys, else the AWS default chain."""

    model_config = ConfigDict(extra="forbid")

    bucket: str
    endpoint_url: str | None = None  # e.g. http://127.0.0.1:9000 (MinIO, Ceph); None: AWS
    region: str = "us-east-1"
    prefix: str = "voicemail/"  # object keys: <prefix>messages/<mailbox>/<id>.wav
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None


class VoicemailSettings(BaseModel):
    """Mailboxes, abuse limits and the VoicemailMediaService-compatible API."""

    # Where message audio lives (tas.voicemail.blobs): "local" files under data_dir (default,
    # one instance or a shared folder), "database" (voicemail_audio: use it for replicas) or
    # "s3" (objects in the [voicemail.s3] bucket: replicas too).
    storage: Literal["local", "database", "s3"] = "local"
    s3: S3Settings | None = None
    max_seconds: float = 120.0
    min_seconds: float = 1.0
    silence_timeout: float = 5.0
    expiry_days: int = 7
    max_messages: int = 100
    max_total_seconds: float = 3600.0  # audio quota per mailbox; 0: no quota
    max_per_caller_per_hour: int = 3  # messages one caller may leave in one mailbox; 0: no limit
    # How a refused caller hears why: answer + prompt + BYE, the prompt as early media (183)
    # then 480, or a bare 480.
    refusal_prompt: Literal["answer", "early-media", "none"] = "answer"
    api: str = "127.0.0.1:50061"
    api_tokens: list[str | ApiToken] = Field(default_factory=list)
    api_tls: bool = False  # TLS on the API (a self-signed cert when api_tls_cert is unset)
    api_tls_cert: Path | None = None  # PEM chain; re-read when it changes (no restart)
    api_tls_key: Path | None = None
    api_tls_client_ca: Path | None = None  # PEM roots: clients must present a cert (mTLS)
    allow_plaintext: bool = False  # serve plaintext on a non-loopback address anyway
    api_auth_burst: int = 10  # failed authentications a peer may make at once…
    api_auth_rate: float = 0.2  # …then this many per second
    api_auth_log_interval: float = 60.0  # one summary line of failures per interval
    # The phone menu (tas.voicemail.menu): <name>.wav here replaces that shipped prompt piece;
    # pin_attempts wrong PINs in a row lock a mailbox for pin_lock_seconds; message times are
    # read out in timezone (an IANA name).
    prompts_dir: Path | None = None
    pin_attempts: int = Field(default=3, ge=1)
    pin_lock_seconds: float = Field(default=900.0, ge=0.0)
    timezone: str = "UTC"
    # Numbers that reach the caller's own mailbox menu (besides calling one's own number).
    access_numbers: list[str] = Field(default_factory=list)
    # Ask the PIN even when the caller's asserted identity (P-Asserted-Identity) is the mailbox.
    pin_required: bool = False

    notify: NotifySettings = Field(default_factory=NotifySettings)
    transcribe: TranscribeSettings = Field(default_factory=TranscribeSettings)

    @model_validator(mode="after")
    def _api_exposure(self) -> VoicemailSettings:
        if not (self.api_tls or self.allow_plaintext or is_loopback_address(self.api)):
            raise ValueError(
                f"api = {self.api!r} is not loopback: set api_tls = true (with api_tls_cert and "
                "api_tls_key) or allow_plaintext = true to serve bearer tokens in the clear"
            )
        if (self.api_tls_cert is None) != (self.api_tls_key is None):
            raise ValueError("set both api_tls_cert and api_tls_key, or neither")
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"timezone = {self.timezone!r} is not an IANA time zone") from None

        if self.storage == "s3" and self.s3 is None:
            raise ValueError('storage = "s3" needs a [voicemail.s3] table with its bucket')
        return self
