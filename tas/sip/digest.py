"""HTTP Digest for SIP (RFC 3261 §22, RFC 2617, RFC 7616): answering 401/407 challenges.

:func:`parse_challenge` reads a ``WWW-Authenticate``/``Proxy-Authenticate`` value;
:func:`authorization` computes the matching ``Authorization``/``Proxy-Authorization`` value for
a request (MD5, MD5-sess, SHA-256, SHA-256-sess; qop ``auth`` or none). ``cnonce`` is passed in
so the function stays pure and testable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tas.sip.errors import RemoteProtocolError
from tas.sip.grammar import parse_params, quote, unquote

__all__ = ["Challenge", "parse_challenge", "authorization"]

_HASHES = {"MD5": "md5", "SHA-256": "sha256"}


@dataclass(frozen=True, slots=True)
class Challenge:
    """One Digest challenge (RFC 2617 §3.2.1)."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False
    params: dict[str, str] = field(default_factory=dict)


def parse_challenge(value: str) -> Challenge:
    """Parse ``Digest realm="…", nonce="…", …``; anything else is a RemoteProtocolError."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise RemoteProtocolError(f"unsupported auth scheme {scheme!r}")
    # The challenge is comma-separated; reuse the ;param parser on a rewritten list.
    params = {k.lower(): v or "" for k, v in _parse_auth_params(rest).items()}
    if "realm" not in params or "nonce" not in params:
        raise RemoteProtocolError("Digest challenge without realm or nonce")
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm.removesuffix("-SESS") not in _HASHES:
        raise RemoteProtocolError(f"unsupported Digest algorithm {algorithm}")
    qop = tuple(q.strip() for q in params.get("qop", "").split(",") if q.strip())
    return Challenge(
        realm=params["realm"],
        nonce=params["nonce"],
        algorithm=algorithm,
        qop=qop,
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
        params=params,
    )


def _parse_auth_params(text: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, value in parse_params(";" + _commas_to_semicolons(text)).items():
        out[key] = unquote(value) if value and value.startswith('"') else value
    return out


def _commas_to_semicolons(text: str) -> str:
    out, quoted, escaped = [], False, False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            ch = ";"
        out.append(ch)
    return "".join(out)


def _h(algorithm: str, text: str) -> str:
    return hashlib.new(_HASHES[algorithm.removesuffix("-SESS")], text.encode()).hexdigest()


def authorization(
    challenge: Challenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    cnonce: str,
    nc: int = 1,
) -> str:
    """The credentials answering ``challenge`` for ``method uri`` (RFC 2617 §3.2.2)."""
    alg = challenge.algorithm
    ha1 = _h(alg, f"{username}:{challenge.realm}:{password}")
    if alg.endswith("-SESS"):
        ha1 = _h(alg, f"{ha1}:{challenge.nonce}:{cnonce}")
    ha2 = _h(alg, f"{method}:{uri}")
    fields = [
        f"username={quote(username)}",
        f"realm={quote(challenge.realm)}",
        f"nonce={quote(challenge.nonce)}",
        f"uri={quote(uri)}",
    ]
    if "auth" in challenge.qop:
        nc_text = f"{nc:08x}"
        response = _h(alg, f"{ha1}:{challenge.nonce}:{nc_text}:{cnonce}:auth:{ha2}")
        fields += [f"response={quote(response)}", "qop=auth", f"nc={nc_text}"]
        fields.append(f"cnonce={quote(cnonce)}")
    else:
        response = _h(alg, f"{ha1}:{challenge.nonce}:{ha2}")
        fields.append(f"response={quote(response)}")
    fields.append(f"algorithm={alg}")
    if challenge.opaque is not None:
        fields.append(f"opaque={quote(challenge.opaque)}")
    return "Digest " + ", ".join(fields)
