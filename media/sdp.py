"""Session descriptions: parse and serialize SDP (RFC 8866 §5), lenient where real peers are."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from media.errors import SdpError

__all__ = [
    "DIRECTIONS",
    "Connection",
    "MediaDescription",
    "Origin",
    "SessionDescription",
]

MAX_SDP_SIZE = 65536
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_SESSION_PRE_C = "iuep"  # RFC 8866 §5 order: v o s i u e p c b t r z k a m
_SESSION_POST_T = "rzk"
_MEDIA_PRE_C = "i"
_TYPES = frozenset("vosiuepcbtrzkam")  # every type letter RFC 8866 §5 defines

Attribute = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class Origin:
    """``o=`` (§5.2)."""

    username: str = "-"
    session_id: str = "0"
    session_version: str = "0"
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} "
            f"{self.nettype} {self.addrtype} {self.address}"
        )


@dataclass(frozen=True, slots=True)
class Connection:
    """``c=`` (§5.7); ``address`` keeps any ``/ttl`` suffix as given."""

    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @property
    def host(self) -> str:
        """The address without a multicast ``/ttl/count`` suffix."""
        return self.address.split("/", 1)[0]

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"


def _attr_line(attr: Attribute) -> str:
    name, value = attr
    return f"a={name}" if value is None else f"a={name}:{value}"


@dataclass(frozen=True, slots=True)
class MediaDescription:
    """One ``m=`` section (§5.14) with its own lines."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    port_count: int | None = None
    connection: Connection | None = None
    bandwidths: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()  # i= and k= lines, kept verbatim

    def attribute(self, name: str) -> str | None:
        """Value of the first ``a=name`` (empty string for a flag), or None if absent."""
        for key, value in self.attributes:
            if key == name:
                return "" if value is None else value
        return None

    def attribute_values(self, name: str) -> list[str]:
        """Values of every ``a=name`` line, in order."""
        return [value or "" for key, value in self.attributes if key == name]

    @property
    def direction(self) -> str | None:
        """The media-level direction attribute (RFC 3264 §5.1), if any."""
        for key, _ in self.attributes:
            if key in DIRECTIONS:
                return key
        return None

    def rtpmaps(self) -> dict[str, str]:
        """``a=rtpmap`` by payload type: ``{"101": "telephone-event/8000"}``."""
        result: dict[str, str] = {}
        for value in self.attribute_values("rtpmap"):
            pt, _, encoding = value.partition(" ")
            result[pt] = encoding.strip()
        return result

    def fmtps(self) -> dict[str, str]:
        """``a=fmtp`` parameters by payload type."""
        result: dict[str, str] = {}
        for value in self.attribute_values("fmtp"):
            pt, _, params = value.partition(" ")
            result[pt] = params.strip()
        return result

    def with_direction(self, direction: str) -> MediaDescription:
        """A copy whose direction attribute is ``direction`` (replacing any other)."""
        kept = tuple(a for a in self.attributes if a[0] not in DIRECTIONS)
        return replace(self, attributes=(*kept, (direction, None)))

    def lines(self) -> list[str]:
        port = self.port if self.port_count is None else f"{self.port}/{self.port_count}"
        out = [f"m={self.media} {port} {self.proto} {' '.join(self.formats)}".rstrip()]
        out += [f"{k}={v}" for k, v in self.extra if k in _MEDIA_PRE_C]
        if self.connection is not None:
            out.append(f"c={self.connection}")
        out += [f"b={b}" for b in self.bandwidths]
        out += [f"{k}={v}" for k, v in self.extra if k not in _MEDIA_PRE_C]
        out += [_attr_line(a) for a in self.attributes]
        return out


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """A whole SDP body. ``str()`` serializes with CRLF line ends (§5)."""

    origin: Origin = field(default_factory=Origin)
    name: str = "-"
    connection: Connection | None = None
    bandwidths: tuple[str, ...] = ()
    timing: tuple[str, ...] = ("0 0",)
    attributes: tuple[Attribute, ...] = ()
    media: tuple[MediaDescription, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()  # i u e p r z k lines, kept verbatim

    def attribute(self, name: str) -> str | None:
        """Value of the first session-level ``a=name``, or None."""
        for key, value in self.attributes:
            if key == name:
                return "" if value is None else value
        return None

    def connection_for(self, index: int) -> Connection | None:
        """Effective connection of media ``index``: its own ``c=`` or the session's (§5.7)."""
        return self.media[index].connection or self.connection

    def direction_for(self, index: int) -> str:
        """Effective direction of media ``index``; session level, then sendrecv (RFC 3264 §5.1)."""
        direction = self.media[index].direction
        if direction is not None:
            return direction
        for key, _ in self.attributes:
            if key in DIRECTIONS:
                return key
        return "sendrecv"

    def __str__(self) -> str:
        out = ["v=0", f"o={self.origin}", f"s={self.name}"]
        out += [f"{k}={v}" for k, v in self.extra if k in _SESSION_PRE_C]
        if self.connection is not None:
            out.append(f"c={self.connection}")
        out += [f"b={b}" for b in self.bandwidths]
        for t in self.timing:
            out.append(f"t={t}")
        out += [f"{k}={v}" for k, v in self.extra if k in _SESSION_POST_T]
        out += [_attr_line(a) for a in self.attributes]
        for m in self.media:
            out += m.lines()
        return "\r\n".join(out) + "\r\n"

    def __bytes__(self) -> bytes:
        return str(self).encode()

    @classmethod
    def parse(cls, data: bytes | str) -> SessionDescription:
        """Parse an SDP body; :class:`SdpError` gives the line number and reason."""
        if isinstance(data, bytes):
            if len(data) > MAX_SDP_SIZE:
                raise SdpError(f"SDP of {len(data)} octets exceeds {MAX_SDP_SIZE}")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SdpError(f"SDP is not UTF-8: {exc}") from None
        else:
            text = data
        return _Parser().run(text)


def _parse_connection(value: str, lineno: int) -> Connection:
    parts = value.split()
    if len(parts) != 3:
        raise SdpError(f"line {lineno}: c= needs 3 fields: {value!r}")
    return Connection(parts[2], parts[0], parts[1])


def _parse_media(value: str, lineno: int) -> MediaDescription:
    parts = value.split()
    if len(parts) < 3:
        raise SdpError(f"line {lineno}: m= needs media, port and proto: {value!r}")
    port_text, _, count_text = parts[1].partition("/")
    try:
        port = int(port_text)
        count = int(count_text) if count_text else None
    except ValueError:
        raise SdpError(f"line {lineno}: bad m= port {parts[1]!r}") from None
    if not 0 <= port <= 65535:
        raise SdpError(f"line {lineno}: m= port {port} out of range")
    return MediaDescription(parts[0], port, parts[2], tuple(parts[3:]), count)


class _Parser:
    def __init__(self) -> None:
        self.session: dict[str, object] = {}
        self.s_attrs: list[Attribute] = []
        self.s_bw: list[str] = []
        self.s_extra: list[tuple[str, str]] = []
        self.timing: list[str] = []
        self.media: list[MediaDescription] = []
        self.m_attrs: list[Attribute] = []
        self.m_bw: list[str] = []
        self.m_extra: list[tuple[str, str]] = []

    def _close_media(self) -> None:
        if self.media:
            self.media[-1] = replace(
                self.media[-1],
                attributes=tuple(self.m_attrs),
                bandwidths=tuple(self.m_bw),
                extra=tuple(self.m_extra),
            )
        self.m_attrs, self.m_bw, self.m_extra = [], [], []

    def run(self, text: str) -> SessionDescription:
        lines = [line.rstrip("\r") for line in text.split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            raise SdpError("empty SDP")
        for lineno, line in enumerate(lines, 1):
            self._line(lineno, line)
        self._close_media()
        if "o" not in self.session:
            raise SdpError("missing o= line")
        if "s" not in self.session:
            raise SdpError("missing s= line")
        origin = self.session["o"]
        name = self.session["s"]
        connection = self.session.get("c")
        assert isinstance(origin, Origin) and isinstance(name, str)
        assert connection is None or isinstance(connection, Connection)
        return SessionDescription(
            origin=origin,
            name=name,
            connection=connection,
            bandwidths=tuple(self.s_bw),
            timing=tuple(self.timing) or ("0 0",),
            attributes=tuple(self.s_attrs),
            media=tuple(self.media),
            extra=tuple(self.s_extra),
        )

    def _line(self, lineno: int, line: str) -> None:
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            raise SdpError(f"line {lineno}: not a <type>=<value> line: {line!r}")
        kind, value = line[0], line[2:]
        if kind not in _TYPES:
            # §5: a parser MUST ignore or reject a description with a type it does not know.
            raise SdpError(f"line {lineno}: unknown SDP line type {kind!r}")
        if lineno == 1:
            if kind != "v" or value.strip() != "0":
                raise SdpError(f"line 1: SDP must start with v=0, got {line!r}")
            return
        if kind == "a":
            name, sep, val = value.partition(":")
            attr: Attribute = (name, val if sep else None)
            (self.m_attrs if self.media else self.s_attrs).append(attr)
        elif kind == "m":
            self._close_media()
            self.media.append(_parse_media(value, lineno))
        elif kind == "c":
            conn = _parse_connection(value, lineno)
            if self.media:
                self.media[-1] = replace(self.media[-1], connection=conn)
            else:
                self.session["c"] = conn
        elif kind == "b":
            (self.m_bw if self.media else self.s_bw).append(value)
        elif self.media:
            self.m_extra.append((kind, value))
        elif kind == "o":
            parts = value.split()
            if len(parts) != 6:
                raise SdpError(f"line {lineno}: o= needs 6 fields: {value!r}")
            self.session["o"] = Origin(*parts)
        elif kind == "s":
            self.session["s"] = value
        elif kind == "t":
            self.timing.append(value)
        elif kind == "v":
            raise SdpError(f"line {lineno}: repeated v= line")
        else:
            self.s_extra.append((kind, value))
