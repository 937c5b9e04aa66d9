"""The ``Reason`` header (RFC 3326): why a CANCEL or BYE was sent.

RFC 3326 §2::

    Reason            =  "Reason" HCOLON reason-value *(COMMA reason-value)
    reason-value      =  protocol *(SEMI reason-params)
    protocol          =  "SIP" / "Q.850" / token
    reason-params     =  protocol-cause / reason-text / reason-extension
    protocol-cause    =  "cause" EQUAL cause
    cause             =  1*DIGIT
    reason-text       =  "text" EQUAL quoted-string
    reason-extension  =  generic-param
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tas.sip.errors import ParseError
from tas.sip.grammar import (
    find_unquoted,
    format_params,
    is_token,
    parse_params,
    quote,
    split_list,
    unquote,
)

__all__ = [
    "ANSWERED_ELSEWHERE",
    "ReasonValue",
    "parse_reason",
    "q850",
]


@dataclass(frozen=True, slots=True)
class ReasonValue:
    """One reason-value: ``protocol`` upper-cased (``SIP``, ``Q.850``), ``cause`` when given,
    ``text`` unquoted, other parameters as parsed (§2 reason-extension)."""

    protocol: str
    cause: int | None = None
    text: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def answered_elsewhere(self) -> bool:
        """RFC 3326 §2 / RFC 3261 §9.1 usage: ``SIP;cause=200``, the call was completed
        elsewhere (a forking proxy cancels the losing branches)."""
        return self.protocol == "SIP" and self.cause == 200

    def __str__(self) -> str:
        out = self.protocol
        if self.cause is not None:
            out += f";cause={self.cause}"
        if self.text is not None:
            out += f";text={quote(self.text)}"
        return out + format_params(self.params)


#: Sent on the CANCEL of a losing fork branch (RFC 3326 §2 example).
ANSWERED_ELSEWHERE = ReasonValue("SIP", 200, "Call completed elsewhere")


def q850(cause: int, text: str) -> ReasonValue:
    """A Q.850 cause (ITU-T Q.850 §2.2), e.g. ``q850(41, "Temporary failure")``."""
    return ReasonValue("Q.850", cause, text)


def parse_reason(value: str) -> list[ReasonValue]:
    """Every reason-value of one ``Reason`` header value (§2, at least one); ParseError when
    malformed or empty."""
    items = split_list(value)
    if not items:
        raise ParseError("empty Reason header")
    values = []
    for item in items:
        semi = find_unquoted(item, ";")
        protocol = (item if semi < 0 else item[:semi]).strip(" \t")
        if not is_token(protocol):
            raise ParseError(f"bad Reason protocol {protocol!r}")
        params = parse_params("" if semi < 0 else item[semi:])
        cause_text = params.pop("cause", None)
        cause = None
        if cause_text is not None:
            if not cause_text.isdigit() or not cause_text.isascii() or len(cause_text) > 9:
                raise ParseError(f"bad Reason cause {cause_text!r}")
            cause = int(cause_text)
        text_value = params.pop("text", None)
        text = None
        if text_value is not None:
            text = unquote(text_value) if text_value.startswith('"') else text_value
        values.append(ReasonValue(protocol.upper(), cause, text, params))
    return values
