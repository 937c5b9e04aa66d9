"""Click-to-call (``tas originate NUMBER --bridge URI``): call a registered number through the
operator core (INGRESS, wgtwo-api.md §3), and when it answers call ``URI`` and connect the two
over our media relay (:mod:`tas.calls.bridged`).

The second leg is placed only once the first is answered (the person who asked for the call
is rung first, as click-to-call services do; they hear ringing meanwhile); its From is the
number, so the far end sees who is calling. The two records share one new ``session_id`` (RFC 7989 form: 32 hex digits), so
they form one timeline. A BYE from either side ends both; a second leg that fails ends the
first (BYE).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from media.errors import MediaError
from media.session import MediaEngine
from tas.calls.bridged import NewJournal, bridge, place, wait_answer
from tas.calls.host import CallHost
from tas.calls.records import CallRow
from tas.calls.routing import e164_of
from tas.dns.select import is_numeric
from tas.sip.errors import SipError
from tas.sip.routing import target_peer
from tas.sip.uri import SipURI, parse_uri

__all__ = ["ClickToCall", "click_to_call", "plan_click_to_call"]


@dataclass(frozen=True, slots=True)
class ClickToCall:
    """Where the two legs go: ``number`` through ``core``, then ``bridge`` directly."""

    number: str
    core: SipURI
    bridge: SipURI

    @property
    def number_uri(self) -> SipURI:
        """The first leg's Request-URI: the number at the core (``user=phone``, RFC 3261
        §19.1.6)."""
        core = self.core
        return SipURI(
            host=core.host, port=core.port, user=self.number, scheme=core.scheme,
            params={"user": "phone"},
        )  # fmt: skip


def _sip_uri(text: str, what: str) -> SipURI:
    try:
        uri = parse_uri(text)
    except SipError as exc:
        raise ValueError(f"{what} is not a SIP URI: {text!r} ({exc})") from None
    if not isinstance(uri, SipURI):
        raise ValueError(f"{what} must be a sip: or sips: URI: {text!r}")
    return uri


def plan_click_to_call(number: str, core: str, bridge_to: str) -> ClickToCall:
    """Check the command's input; ValueError with what is wrong. The ``--bridge`` host must be
    an IP address: the leg goes straight there (no RFC 3263 location here)."""
    e164 = e164_of(number)
    if e164 is None:
        raise ValueError(f"NUMBER must be an E.164 number such as +4799990001: {number!r}")
    bridge = _sip_uri(bridge_to, "--bridge")
    if not is_numeric(bridge.host.strip("[]")):
        raise ValueError(f"--bridge needs an IP address as its host (no DNS here): {bridge_to!r}")
    return ClickToCall(e164, _sip_uri(core, "--core"), bridge)


async def click_to_call(
    host: CallHost,
    engine: MediaEngine,
    plan: ClickToCall,
    new_journal: NewJournal,
    *,
    ring_timeout: float = 30.0,
) -> tuple[CallRow, CallRow | None]:
    """Place both legs and bridge them until either hangs up; their records (the second is
    None when the first was not answered)."""
    session_id = uuid.uuid4().hex

    def first(call_id: str) -> CallRow:
        return CallRow(
            sip_call_id=call_id, session_id=session_id, direction="out", route="ingress",
            callee=plan.number, subscriber=plan.number, action="bridge",
        )  # fmt: skip

    def second(call_id: str) -> CallRow:
        return CallRow(
            sip_call_id=call_id, session_id=session_id, direction="out", route="ingress",
            caller=plan.number, callee=str(plan.bridge), subscriber=plan.number, action="bridge",
        )  # fmt: skip

    a, a_media = await place(
        host, engine, plan.number_uri, target_peer(plan.core, "UDP"), from_uri=None,
        codecs=(), record=first, new_journal=new_journal,
    )  # fmt: skip
    try:
        if not await a.wait_answer(a_media, ring_timeout) or a_media.negotiated is None:
            return a.journal.record, None
        b, b_media = await place(
            host, engine, plan.bridge, target_peer(plan.bridge, "UDP"),
            from_uri=f"sip:{plan.number}@{plan.core.host}", codecs=(a_media.negotiated.codec,),
            record=second, new_journal=new_journal,
        )  # fmt: skip
        try:
            if await wait_answer(a_media, b, b_media, ring_timeout):
                try:
                    await bridge(a, a_media, a.journal, b, b_media)
                except MediaError as exc:  # e.g. answered with another codec than offered
                    a.journal.note("bridge-failed", f"{plan.bridge}: {exc}")
            else:
                a.journal.note("bridge-failed", f"{plan.bridge}: {b.status or 'no answer'}")
        finally:
            await b.finish()
            await b_media.close()
            await b.journal.close()
        return a.journal.record, b.journal.record
    finally:
        await a.finish()
        await a_media.close()
        await a.journal.close()
