"""Configuration: defaults < TOML file < environment (``TAS_`` prefix, ``__`` for nesting).

With no file and no environment everything runs on loopback against the embedded sandbox core,
SQLite and local files. ``tas serve --config tas.toml`` or ``TAS_CONFIG=tas.toml`` loads a file;
``TAS_DATABASE__URL=postgresql+asyncpg://…`` overrides one field.
"""

from __future__ import annotations

import os
import socket
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from tas.config_admin import AdminSettings
from tas.config_check import (
    ConfigError as ConfigError,  # re-exported: the one error of load_settings
)
from tas.config_check import (
    Problem,
    env_json_problems,
    env_paths,
    read_toml,
    unknown_env,
    unknown_keys,
    validation_problems,
)
from tas.config_mwi import MwiSettings  # re-exported: the [mwi] section
from tas.config_transcribe import (  # re-exported: [voicemail.transcribe]
    TranscribeSettings as TranscribeSettings,
)
from tas.config_voicemail import (  # re-exported: the [voicemail] sections
    ApiToken as ApiToken,
)
from tas.config_voicemail import (
    NotifySettings as NotifySettings,
)
from tas.config_voicemail import (
    S3Settings as S3Settings,
)
from tas.config_voicemail import (
    VoicemailSettings as VoicemailSettings,
)
from tas.config_voicemail import (
    is_loopback_address as is_loopback_address,
)
from tas.dns.address import nameserver_address

#: Set while :func:`load_settings` builds a Settings whose keys it has checked itself.
_CHECKED: ContextVar[bool] = ContextVar("tas_config_checked", default=False)


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
    tls_client_ca: Path | None = None  # PEM CA verifying client certs ([operator] trusted_names)
    public_host: str | None = None  # host put in Contact/Via; defaults to the listen address
    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    user_agent: str = "tas-companion"
    # RFC 4028 session timers: the interval asked for / given (0: none asked), the smallest
    # accepted (422 below it); RFC 3262: 1xx with early media sent reliably to callers
    # supporting 100rel (always when they require it)
    session_expires: int = Field(default=1800, ge=0)
    min_se: int = Field(default=90, ge=1)
    reliable_provisionals: bool = True
    # TCP/TLS hygiene (tas.transport.connections); 0 disables a timeout or a limit
    idle_timeout: float = 300.0  # s without a message or RFC 5626 keep-alive (inbound)
    header_timeout: float = 10.0  # s from a message's first byte until it is complete
    tls_handshake_timeout: float = 10.0
    max_connections: int = 4096  # inbound TCP+TLS connections in total
    max_connections_per_source: int = 256  # per source address (the core is exempt)


class InvitePolicy(BaseModel):
    """What the call application does with a leg for a number we hold no registration for
    (and no ``tas policy`` for the number or ``*``): tas.calls.direct."""

    action: Literal["answer", "reject"] = "answer"
    reject_status: int = Field(default=486, ge=400, le=699)
    hangup_after: float | None = None  # seconds after answer; None keeps the call
    max_duration: float = 3600.0
    announcement: str | None = None  # answer: WAV (8 kHz mono) played once; then silence
    # answer: 180 first (reliable when the caller requires 100rel), the 200 this many seconds
    # later and never before the 180's PRACK (RFC 3262 §3); None answers at once
    ring_before_answer: float | None = Field(default=None, ge=0)


class UntrustedSettings(BaseModel):
    """The one answer every INVITE from an untrusted source gets (tas.calls.gate), whatever
    the number or route: nothing about registrations leaks."""

    status: int = Field(default=403, ge=400, le=699)
    reason: str = "Forbidden"


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
    # The call directory (registrations + policies in memory, tas.calls.directory):
    poll_interval: float = Field(
        default=2.0, gt=0
    )  # s between checks for writes by other processes
    max_stale: float = Field(default=300.0, gt=0)  # s the last known state is served while it fails
    retry_after: int = Field(default=30, ge=0)  # Retry-After of the 503 when it cannot be trusted


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
    hidden_callers: list[str] = Field(default_factory=list)  # CLIR: PAI + Privacy: id to the TAS
    require_100rel: list[str] = Field(default_factory=list)  # subscribers: Require: 100rel to TAS
    # why a FALLBACK leg reached the TAS: RFC 5806 Diversion, RFC 7044 History-Info
    fallback_headers: tuple[Literal["diversion", "history-info"], ...] = (
        "diversion",
        "history-info",
    )
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
    batch_max: int = 100  # events per SQL transaction (at most half of max_in_flight)
    batch_wait: float = 0.002  # seconds the first event of a batch may wait for more
    start: Literal["new", "oldest"] = "oldest"  # only when the server holds no position yet
    scopes: list[str] = Field(
        default_factory=lambda: ["events.voice.subscribe", "events.voicemail.subscribe"]
    )
    backoff_initial: float = 0.5  # seconds before the first reconnect
    backoff_max: float = 30.0
    correlation_window: float = 120.0  # seconds: number-based join of events to our calls


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


class DnsSettings(BaseModel):
    """RFC 3263 location of ``sip:``/``sips:`` forward targets given by host name
    (:mod:`tas.dns.resolver`); numeric targets never use DNS."""

    nameservers: list[str] = Field(default_factory=list)  # "host:port"; [] -> /etc/resolv.conf
    timeout: float = Field(default=2.0, gt=0.0)  # seconds per query
    cache_size: int = Field(default=1024, ge=0)  # answers held (LRU); 0: no cache
    negative_ttl: float = Field(default=30.0, ge=0.0)  # cap for "no such name/data" (RFC 2308)
    ipv6: bool = False  # AAAA lookups after A

    @model_validator(mode="after")
    def _check_nameservers(self) -> DnsSettings:
        for text in self.nameservers:
            try:
                nameserver_address(text)
            except ValueError as exc:
                raise ValueError(f"[dns] nameservers: {exc}") from None
        return self


class ServerSettings(BaseModel):
    """The ``tas serve`` process itself: which replica it is and how it stops.

    ``index`` (``tas serve --instance N``) shifts every listening port by ``index * port_step``
    (see :mod:`tas.instance`) so several replicas share a host; ``instance`` names the replica
    (logs, temporary file names) and defaults to ``<hostname>-<index>``. On SIGTERM the
    server drains (:mod:`tas.drain`) for at most ``drain_timeout`` seconds; 0 ends the calls
    with BYE at once."""

    instance: str = ""  # "" -> "<hostname>-<index>"
    index: int = Field(default=0, ge=0, le=150)
    port_step: int = Field(default=100, ge=1, le=1000)
    drain_timeout: float = Field(default=30.0, ge=0.0)

    @model_validator(mode="after")
    def _default_instance(self) -> ServerSettings:
        if not self.instance:
            self.instance = f"{socket.gethostname() or 'tas'}-{self.index}"
        return self


class Settings(BaseSettings):
    """All settings of one `tas` process."""

    model_config = SettingsConfigDict(
        env_prefix="TAS_", env_nested_delimiter="__", extra="forbid", toml_file=None
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: str = "INFO"
    sip: SipSettings = Field(default_factory=SipSettings)
    invite: InvitePolicy = Field(default_factory=InvitePolicy)
    untrusted: UntrustedSettings = Field(default_factory=UntrustedSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    operator: OperatorSettings = Field(default_factory=OperatorSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    voicemail: VoicemailSettings = Field(default_factory=VoicemailSettings)
    mwi: MwiSettings = Field(default_factory=MwiSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    dns: DnsSettings = Field(default_factory=DnsSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        """Sections refuse unknown keys too, however Settings is built (``sip={"udpp": …}``).

        :func:`load_settings` has already checked them, naming their sources.
        """
        if isinstance(data, dict) and not _CHECKED.get():
            if unknown := unknown_keys(Settings, data):
                raise ValueError("; ".join(str(problem) for problem in unknown))
        return data

    @property
    def instance_id(self) -> str:
        """This replica's id (``[server] instance``, default ``<hostname>-<index>``)."""
        return self.server.instance

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


def config_path(config_file: Path | None = None) -> tuple[Path | None, str | None]:
    """The config file to read and where its name came from (None: the command line)."""
    if config_file is not None:
        return config_file, None
    if env := os.environ.get("TAS_CONFIG"):
        return Path(env), "TAS_CONFIG"
    return None, None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load settings; ``config_file`` (TOML) wins over ``$TAS_CONFIG``.

    The one loader of every command: a missing or malformed file, an unknown key (in the file
    or a ``TAS_…`` variable) or an invalid value raises :class:`ConfigError` with one line per
    problem. The environment is never modified: the file is bound to a one-off subclass.
    """
    path, origin = config_path(config_file)
    data = read_toml(path, origin) if path is not None else {}
    source = str(path) if path is not None else None
    problems = unknown_keys(Settings, data, source) + unknown_env(Settings, os.environ)
    env = env_paths(Settings, os.environ)

    def source_of(field: tuple[str, ...]) -> str | None:
        for depth in range(len(field), 0, -1):
            if field[:depth] in env:
                return env[field[:depth]]
        return source if field and field[0] in data else None

    class FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, InitSettingsSource(settings_cls, data)

    if bad_json := env_json_problems(Settings, os.environ):
        raise ConfigError(problems + bad_json)  # pydantic-settings would stop at the first
    token = _CHECKED.set(True)
    try:
        settings = FileSettings(**overrides)
    except ValidationError as exc:
        known = {p.path for p in problems}
        problems += [
            p for p in validation_problems(Settings, exc, source_of) if p.path not in known
        ]
    except SettingsError as exc:  # e.g. a TAS_… list that is not JSON
        problems.append(Problem("", " ".join(str(exc).split())))
    finally:
        _CHECKED.reset(token)
    if problems:
        raise ConfigError(problems)
    return settings
