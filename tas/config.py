"""Configuration: defaults < TOML file < environment (``TAS_`` prefix, ``__`` for nesting).

With no file and no environment everything runs on loopback against the embedded sandbox core,
SQLite and local files. ``tas serve --config tas.toml`` or ``TAS_CONFIG=tas.toml`` loads a file;
``TAS_DATABASE__URL=postgresql+asyncpg://…`` overrides one field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def default_data_dir() -> Path:
    """``$TAS_DATA_DIR`` or the XDG data directory (``~/.local/share/tas``)."""
    if env := os.environ.get("TAS_DATA_DIR"):
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "tas"


class SipSettings(BaseModel):
    """SIP listeners and RFC 3261 timer bases (§17.1.1.1)."""

    udp: list[str] = Field(default_factory=lambda: ["127.0.0.1:5060"])
    tcp: list[str] = Field(default_factory=lambda: ["127.0.0.1:5060"])
    tls: list[str] = Field(default_factory=lambda: ["127.0.0.1:5061"])
    tls_cert: Path | None = None  # PEM; a self-signed one is generated when unset
    tls_key: Path | None = None
    public_host: str | None = None  # host put in Contact/Via; defaults to the listen address
    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    user_agent: str = "tas-companion"


class InvitePolicy(BaseModel):
    """What `tas serve` does with an INVITE until the call application takes over."""

    action: Literal["answer", "reject"] = "answer"
    reject_status: int = 486
    hangup_after: float | None = None  # seconds after answer; None keeps the call
    max_duration: float = 3600.0


class MediaSettings(BaseModel):
    """RTP endpoints (media/)."""

    host: str = "127.0.0.1"
    port_min: int = 20000
    port_max: int = 29999
    codecs: list[str] = Field(default_factory=lambda: ["PCMU", "PCMA", "telephone-event"])
    ptime: int = 20


class DatabaseSettings(BaseModel):
    """SQL store: SQLite file by default, PostgreSQL (asyncpg) in production."""

    url: str | None = None  # default: sqlite+aiosqlite:///<data_dir>/tas.db
    echo: bool = False


class OperatorSettings(BaseModel):
    """Where the operator APIs are: the embedded sandbox or a region of the real core."""

    target: str = "sandbox"  # "sandbox", "shamrock", "oak", "sakura" or host:port
    client_id: str | None = None
    client_secret: str | None = None
    token_url: str = "https://id.wgtwo.com/oauth2/token"
    tls: bool = True  # ignored for the sandbox, which runs plaintext on loopback
    scopes: list[str] = Field(default_factory=lambda: ["call.routing:write"])
    ca_file: Path | None = None  # PEM roots for TLS (default: the system's)
    deadline: float = 10.0  # seconds per gRPC attempt
    attempts: int = 4  # tries on UNAVAILABLE / DEADLINE_EXCEEDED (backoff with jitter)
    refresh_fraction: float = 0.5  # re-upsert after this share of the returned time_to_live
    # The trust boundary (tas.transport.trust): sources whose legs are breakout legs.
    trusted: list[str] = Field(default_factory=list)  # CIDRs/addresses of the core's SIP edge
    trusted_names: list[str] = Field(default_factory=list)  # names in the core's TLS client cert


class SandboxSettings(BaseModel):
    """The built-in operator core (gRPC APIs + SIP core), on loopback."""

    enabled: bool = True
    grpc: str = "127.0.0.1:50051"
    sip_host: str = "127.0.0.1"
    sip_port: int = 5070
    no_answer_timeout: float = 30.0
    sip_tls_port: int | None = 5071  # TLS listener of the SIP core (INGRESS, leg 3); None: off
    tas_ca_file: Path | None = None  # PEM trusted for the TAS (default: sip.tls_cert/generated)
    verify_tas: bool = True  # False: do not verify the TAS's TLS certificate (logged)
    subscribers: dict[str, str] = Field(default_factory=dict)  # number -> handset behaviour
    default_behaviour: str = "answer"  # answer[:s] echo[:s] busy reject unavailable no-answer
    answer_delay: float = 1.0  # seconds an "answer" handset rings first
    registration_ttl: float = 3600.0  # SipBreakout lifetime from the last upsert
    event_history: float = 1800.0  # EventsService v0 keeps 30 min of events
    durable_expiry: float = 3600.0  # a durable lives 1 h after its last client leaves
    max_in_flight: int = 1024  # used when a subscriber sends max_in_flight = 0
    ack_timeout: float = 30.0  # used when manual_ack is enabled without a timeout
    tokens: list[str] = Field(default_factory=list)  # accepted bearer tokens; empty: no auth
    stream_max_age: float = 0.0  # end each event stream cleanly after this many s; 0: never


class EventsSettings(BaseModel):
    """The operator event-stream consumer (EventsService v0, wgtwo-api.md §4.1)."""

    enabled: bool = True
    client_id: str = ""  # queue+durable needs none; the operator namespaces by OAuth client
    queue_name: str = "tas-events"  # replicas sharing it split the events between them
    durable_name: str = "tas-events"  # the position survives reconnects
    max_in_flight: int = 50
    ack_timeout: float = 30.0  # manual ack; unacked events come back after this
    start: Literal["new", "oldest"] = "oldest"  # only when the server holds no position yet
    scopes: list[str] = Field(
        default_factory=lambda: ["events.voice.subscribe", "events.voicemail.subscribe"]
    )
    backoff_initial: float = 0.5  # seconds before the first reconnect
    backoff_max: float = 30.0
    correlation_window: float = 120.0  # seconds: number-based join of events to our calls


class VoicemailSettings(BaseModel):
    """Mailboxes and the VoicemailMediaService-compatible API."""

    max_seconds: float = 120.0
    min_seconds: float = 1.0
    silence_timeout: float = 5.0
    expiry_days: int = 7
    max_messages: int = 100
    api: str = "127.0.0.1:50061"
    api_tokens: list[str] = Field(default_factory=list)


class LimitsSettings(BaseModel):
    """Overload control (tas.transport.overload / admission): rates are messages per second
    per source host (UDP) or connection (TCP/TLS); 0 for a ``max_*`` switches it off."""

    rate: float = 20.0  # untrusted source: sustained messages/s, before parsing
    burst: float = 60.0
    trusted_rate: float = 20000.0  # [operator] trusted sources and the sandbox
    trusted_burst: float = 40000.0
    max_sources: int = 16384  # sources with their own bucket (the rest share one)
    max_message: int = 16384  # bytes
    max_headers: int = 128  # header lines
    max_vias: int = 32
    max_calls: int = 5000  # live incoming calls; past it: 503 (trusted) or drop
    max_calls_per_source: int = 10  # per untrusted source
    max_calls_per_subscriber: int = 1000  # per Request-URI user
    max_transactions: int = 100000
    lag_threshold: float = 0.25  # event-loop lag (s) that means overload; 0: off
    lag_interval: float = 0.05
    lag_hold: float = 2.0
    retry_after: int = 5  # seconds (RFC 3261 §20.33)
    log_interval: float = 10.0  # one line per drop reason per interval


class MetricsSettings(BaseModel):
    """Prometheus exposition (``/metrics``) of ``tas serve``."""

    enabled: bool = True
    listen: str = "127.0.0.1:9100"  # host:port; port 0 picks a free one


class Settings(BaseSettings):
    """All settings of one `tas` process."""

    model_config = SettingsConfigDict(
        env_prefix="TAS_", env_nested_delimiter="__", extra="forbid", toml_file=None
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: str = "INFO"
    sip: SipSettings = Field(default_factory=SipSettings)
    invite: InvitePolicy = Field(default_factory=InvitePolicy)
    media: MediaSettings = Field(default_factory=MediaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    operator: OperatorSettings = Field(default_factory=OperatorSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    voicemail: VoicemailSettings = Field(default_factory=VoicemailSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.data_dir / 'tas.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = settings_cls.model_config.get("toml_file") or os.environ.get("TAS_CONFIG")
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(str(toml_file))))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load settings; ``config_file`` (TOML) wins over ``$TAS_CONFIG``.

    The environment is never modified: the file is bound to a one-off subclass.
    """
    if config_file is None:
        return Settings(**overrides)
    if not config_file.is_file():
        raise FileNotFoundError(f"config file not found: {config_file}")

    class FileSettings(Settings):
        model_config = SettingsConfigDict(**{**Settings.model_config, "toml_file": config_file})

    return FileSettings(**overrides)
