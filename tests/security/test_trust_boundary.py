"""The trust boundary on real loopback sockets (issue #10, Must show 1): from 127.0.0.2 no
forward leg, no LOOP leg back, no 2xx/BYE towards a third-party Contact, and one answer for
every number and route type. Each test also sends once from the trusted core (127.0.0.1) and
sees the behaviour the boundary stops, so it fails if the boundary is gone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.server import TasServer
from tests.integration.calls.calls_helpers import SUBSCRIBER, register
from tests.security.peers import (
    ATTACKER,
    T1,
    THIRD_PARTY,
    TRUSTED,
    ThirdParty,
    Udp,
    invite,
    shape,
)

UNREGISTERED = "+4799990077"


async def until(condition: Callable[[], object], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def tas_udp(server: TasServer) -> tuple[str, int]:
    return server.stack.local["UDP"]


async def test_forward_policy_from_untrusted_places_no_outbound_invite(
    server: TasServer,
) -> None:
    target = await ThirdParty.start()
    attacker, core = await Udp.bind(ATTACKER), await Udp.bind(TRUSTED)
    try:
        await register(server, SUBSCRIBER, Route.LOOP)
        forward_to = f"sip:+4790011111@{THIRD_PARTY}:{target.port}"
        await server.app.policies.put(Policy(SUBSCRIBER, Action.FORWARD, target=forward_to))
        data, call_id = invite(SUBSCRIBER, tas_udp(server), attacker.address)
        attacker.send(data, tas_udp(server))
        _, final = await attacker.final(call_id)
        assert final.startswith(b"SIP/2.0 403 Forbidden\r\n")
        await asyncio.sleep(1.0)
        assert target.reached == 0  # no INVITE to the forward target (no toll fraud)
        assert not attacker.requests(b"INVITE")
        # control: the very same INVITE from the core is forwarded there
        data, _ = invite(SUBSCRIBER, tas_udp(server), core.address)
        core.send(data, tas_udp(server))
        await until(lambda: target.udp.requests(b"INVITE"))
        (leg3,) = {r.split(b"\r\n", 1)[0] for r in target.udp.requests(b"INVITE")}
        assert leg3.startswith(b"INVITE sip:+4790011111@")
    finally:
        attacker.close()
        core.close()
        await target.close()


async def test_loop_number_from_untrusted_gets_no_leg_back(server: TasServer) -> None:
    attacker, core = await Udp.bind(ATTACKER), await Udp.bind(TRUSTED)
    try:
        await register(server, SUBSCRIBER, Route.LOOP)  # no policy: LOOP goes back to the core
        data, call_id = invite(SUBSCRIBER, tas_udp(server), attacker.address)
        attacker.send(data, tas_udp(server))
        _, final = await attacker.final(call_id)
        assert final.startswith(b"SIP/2.0 403 Forbidden\r\n")
        await asyncio.sleep(1.0)
        assert not attacker.requests(b"INVITE")  # no leg 3 "back to the core"
        data, _ = invite(SUBSCRIBER, tas_udp(server), core.address)
        core.send(data, tas_udp(server))
        await until(lambda: core.requests(b"INVITE"))  # control: the core gets leg 3
        assert all(SUBSCRIBER.encode() in r.split(b"\r\n", 1)[0] for r in core.requests(b"INVITE"))
    finally:
        attacker.close()
        core.close()


async def test_unacked_invite_with_third_party_contact_reflects_nothing(
    server: TasServer,
) -> None:
    victim = await ThirdParty.start()
    attacker, core = await Udp.bind(ATTACKER), await Udp.bind(TRUSTED)
    contact = f"<sip:victim@{THIRD_PARTY}:{victim.port};transport=tcp>"
    record_route = f"Record-Route: <sip:{THIRD_PARTY}:{victim.port};lr>\r\n"
    try:
        for user in (UNREGISTERED, "service"):  # the [invite] fallback would answer these
            data, call_id = invite(
                user, tas_udp(server), attacker.address, contact=contact, extra=record_route
            )
            attacker.send(data, tas_udp(server))  # and never ACK
            _, final = await attacker.final(call_id)
            assert final.startswith(b"SIP/2.0 403 Forbidden\r\n")
        await asyncio.sleep(64 * T1 + 1.0)  # past the 2xx give-up (§13.3.1.4)
        assert victim.reached == 0  # no 2xx, no BYE: neither UDP nor a TCP connection
        assert not [d for _, d, _ in attacker.received if d.startswith(b"SIP/2.0 200")]
        # control: from the trusted core the answered, never-ACKed call ends with a BYE that
        # goes to its Contact over TCP (RFC 3261 §13.3.1.4) - what the boundary withholds
        data, call_id = invite(UNREGISTERED, tas_udp(server), core.address, contact=contact)
        core.send(data, tas_udp(server))
        _, final = await core.final(call_id)
        assert final.startswith(b"SIP/2.0 200")
        await until(lambda: victim.reached > 0, within=64 * T1 + 3.0)
    finally:
        attacker.close()
        core.close()
        await victim.close()


async def test_untrusted_answers_are_identical_for_every_number_and_route(
    server: TasServer,
) -> None:
    routes = {
        "+4799990101": Route.FALLBACK,
        "+4799990102": Route.FORK,
        "+4799990103": Route.LOOP,
        "+4799990104": Route.LOOP,  # + a forward policy
        "+4799990105": Route.LOOP_MO,
        "+4799990106": Route.LOOP_MT,
        "+4799990107": Route.INGRESS,
    }
    for number, route in routes.items():
        await register(server, number, route)
    await server.app.policies.put(Policy("+4799990104", Action.FORWARD, target="+4790011111"))
    numbers = [*routes, UNREGISTERED, "+4799990199", "alice", "*97"]
    attacker = await Udp.bind(ATTACKER)
    try:
        answers: dict[str, tuple[str, tuple[str, ...], bytes]] = {}
        latencies: list[float] = []
        call_ids: list[str] = []
        for user in numbers:
            # also as the registered subscriber calling out (MO, forged From/PAI)
            for caller in ("+4799990002", "+4799990103"):
                data, call_id = invite(user, tas_udp(server), attacker.address, from_user=caller)
                sent = attacker.send(data, tas_udp(server))
                arrived, final = await attacker.final(call_id)
                call_ids.append(call_id)
                latencies.append(arrived - sent)
                answers[f"{user} from {caller}"] = shape(final)
                assert not [d for d in attacker.responses(call_id) if d[1].startswith(b"SIP/2.0 1")
                            and not d[1].startswith(b"SIP/2.0 100")]  # fmt: skip
        assert len(set(answers.values())) == 1, answers
        status, headers, body = next(iter(answers.values()))
        assert status == "SIP/2.0 403 Forbidden" and body == b""
        assert headers == ("Via", "From", "To", "Call-ID", "CSeq", "Content-Length"), headers
        assert max(latencies) < 0.5, latencies  # decided at once: no lookup, no ringing
        assert server.app.journals == []  # no leg was ever decoded or recorded
        await asyncio.sleep(20 * T1)  # Timer G would have resent each 403 four times by now
        finals = [
            d for c in call_ids for _, d in attacker.responses(c) if d.startswith(b"SIP/2.0 4")
        ]
        assert len(finals) == len(call_ids)  # one answer per request: nothing to amplify
        # OPTIONS (§11.2) tells nothing either: one answer for every Request-URI
        options = set()
        for user in ("+4799990101", UNREGISTERED):
            data, call_id = invite(user, tas_udp(server), attacker.address)
            data = data.replace(b"INVITE", b"OPTIONS")
            attacker.send(data, tas_udp(server))
            options.add(shape((await attacker.final(call_id))[1]))
        assert len(options) == 1
    finally:
        attacker.close()
