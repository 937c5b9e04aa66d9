"""The stack never opens a connection towards an untrusted source (issue #10, "no reflection"):
when the TCP connection an INVITE came on is gone, its answer is dropped instead of dialled to
the Via address (RFC 3261 §18.2.2 would connect there). A trusted source still gets it."""

from __future__ import annotations

import asyncio

from tas.sip.events import Event, IncomingCall
from tas.transport.stack import SipStack, StackOptions
from tas.transport.trust import TrustPolicy
from tests.security.peers import ATTACKER, invite


async def _answer_after_hangup(trusted: list[str]) -> int:
    """INVITE over TCP from 127.0.0.2 naming a listener of its own in Via, connection closed
    before the TU answers; returns how many connections the stack opened to that listener."""
    dialled = 0

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal dialled
        dialled += 1
        writer.close()

    listener = await asyncio.start_server(accepted, ATTACKER, 0)
    via_port = listener.sockets[0].getsockname()[1]
    options = StackOptions(
        udp=(), tcp=("127.0.0.1:0",), trust=TrustPolicy.from_texts(trusted), enforce_trust=True
    )
    stack = await SipStack.open(options)
    calls: list[IncomingCall] = []

    def on_event(event: Event) -> None:
        if isinstance(event, IncomingCall):
            calls.append(event)

    stack.on_event = on_event
    try:
        host, port = stack.local["TCP"]
        reader, writer = await asyncio.open_connection(host, port, local_addr=(ATTACKER, 0))
        data, _ = invite("+4799990001", (host, port), (ATTACKER, via_port), transport="TCP")
        writer.write(data.replace(b";rport", b""))  # §18.2.2: Via host + port, not the source
        for _ in range(100):
            if calls:
                break
            await asyncio.sleep(0.02)
        assert calls, "the INVITE never reached the TU"
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.2)  # the stack sees the connection go
        call = calls[0].call  # an untrusted one may be over already: its 100 Trying had no way
        if call.state == "incoming":  # out (transport error), and nothing was dialled for it
            stack.endpoint.reject(call, 486, stack.now())
            stack.flush()
        await asyncio.sleep(0.5)
        return dialled
    finally:
        await stack.close()
        listener.close()
        await listener.wait_closed()


async def test_no_connection_is_opened_to_an_untrusted_source() -> None:
    assert await _answer_after_hangup(trusted=[]) == 0


async def test_a_trusted_source_is_dialled_back_as_the_rfc_says() -> None:
    assert await _answer_after_hangup(trusted=[ATTACKER]) >= 1
