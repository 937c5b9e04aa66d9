"""Client and server transaction state machines on a virtual clock (RFC 3261 §17, RFC 6026)."""

from __future__ import annotations

import pytest

from tas.sip.errors import LocalProtocolError
from tas.sip.message import Request
from tas.sip.parser import parse_message
from tas.sip.timers import TimerConfig
from tas.sip.transaction_base import Peer, response_peer
from tas.sip.transaction_client import ClientTransaction
from tas.sip.transaction_server import ServerTransaction
from tas.sip.transactions import TransactionLayer
from tests.unit.sip.sip_helpers import TCP_PEER, UDP_PEER, RecordingTU, request, response_to


class Clock:
    """Drives a layer deadline by deadline and records when each datagram left."""

    def __init__(self, layer: TransactionLayer) -> None:
        self.layer = layer
        self.now = 0.0
        self.sent: list[tuple[float, bytes]] = []

    def drain(self) -> None:
        self.sent += [(self.now, data) for data, _ in self.layer.take_outbox()]

    def run_until(self, end: float) -> None:
        self.drain()
        while (deadline := self.layer.next_deadline()) is not None and deadline <= end:
            self.now = deadline
            self.layer.handle_timer(deadline)
            self.drain()
        self.now = end

    def times(self, start: bytes) -> list[float]:
        return [round(t, 3) for t, data in self.sent if data.startswith(start)]


def setup() -> tuple[TransactionLayer, RecordingTU, Clock]:
    tu = RecordingTU()
    layer = TransactionLayer(tu, TimerConfig())
    return layer, tu, Clock(layer)


def send(layer: TransactionLayer, req: Request, peer: Peer = UDP_PEER) -> ClientTransaction:
    return layer.send_request(req, peer, 0.0)


# -- client INVITE (§17.1.1) -------------------------------------------------------------------


def test_client_invite_timer_a_doubles_and_timer_b_times_out() -> None:
    layer, tu, clock = setup()
    txn = send(layer, request())
    assert txn.state == "Calling" and txn.deadlines == {"A": 0.5, "B": 32.0}
    clock.run_until(40)
    assert clock.times(b"INVITE") == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert tu.kinds() == ["timeout"] and txn.terminated
    assert layer.clients == {} and layer.next_deadline() is None


def test_client_invite_over_tcp_never_retransmits() -> None:
    layer, tu, clock = setup()
    txn = send(layer, request(transport="TCP"), TCP_PEER)
    assert txn.deadlines == {"B": 32.0}
    clock.run_until(40)
    assert clock.times(b"INVITE") == [0.0] and tu.kinds() == ["timeout"]


def test_client_invite_provisional_stops_a_and_b() -> None:
    layer, tu, clock = setup()
    req = request()
    txn = send(layer, req)
    clock.run_until(0.7)
    layer.receive_response(response_to(req, 180), UDP_PEER, 0.7)
    assert txn.state == "Proceeding" and txn.deadlines == {}
    clock.run_until(100)
    assert clock.times(b"INVITE") == [0.0, 0.5] and tu.kinds() == ["response"]


def test_client_invite_non2xx_is_acked_inside_and_timer_d_absorbs() -> None:
    layer, tu, clock = setup()
    req = request()
    txn = send(layer, req)
    final = response_to(req, 486)
    layer.receive_response(final, UDP_PEER, 0.1)
    clock.now = 0.1
    clock.drain()
    assert txn.state == "Completed" and txn.deadlines == {"D": 32.1}
    ack = parse_message(clock.sent[-1][1])
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert ack.top_via.branch == req.top_via.branch and ack.to.tag == "tt1"
    assert ack.cseq.seq == 1 and ack.uri == req.uri
    layer.receive_response(final, UDP_PEER, 1.0)  # retransmitted 486: re-ACK, TU not told
    clock.now = 1.0
    clock.run_until(32.0)
    assert clock.times(b"ACK") == [0.1, 1.0] and tu.calls == [("response", 486)]
    assert txn.state == "Completed"
    clock.run_until(32.1)
    assert txn.terminated


def test_client_invite_non2xx_over_tcp_terminates_at_once() -> None:
    layer, tu, clock = setup()
    req = request(transport="TCP")
    txn = send(layer, req, TCP_PEER)
    layer.receive_response(response_to(req, 603), TCP_PEER, 0.1)
    assert txn.terminated and tu.kinds() == ["response"]


def test_client_invite_2xx_goes_accepted_and_retransmissions_reach_tu() -> None:
    layer, tu, clock = setup()
    req = request()
    txn = send(layer, req)
    ok = response_to(req, 200)
    layer.receive_response(ok, UDP_PEER, 1.0)
    assert txn.state == "Accepted" and txn.deadlines == {"M": 33.0}
    layer.receive_response(ok, UDP_PEER, 2.0)
    assert tu.calls == [("response", 200), ("response", 200)]  # the TU re-ACKs each
    assert clock.times(b"ACK") == []  # never ACKed by the transaction (§13.2.2.4)
    clock.run_until(33.0)
    assert txn.terminated
    layer.receive_response(ok, UDP_PEER, 34.0)
    assert tu.calls[-1] == ("stray", 200)


def test_client_transport_error_terminates_and_tells_tu() -> None:
    layer, tu, _ = setup()
    txn = send(layer, request())
    layer.transport_error(UDP_PEER, 0.2)
    assert txn.terminated and tu.kinds() == ["transport_error"]


# -- client non-INVITE (§17.1.2) ---------------------------------------------------------------


def test_client_non_invite_timer_e_caps_at_t2_and_f_times_out() -> None:
    layer, tu, clock = setup()
    txn = send(layer, request("OPTIONS"))
    assert txn.deadlines == {"E": 0.5, "F": 32.0}
    clock.run_until(40)
    assert clock.times(b"OPTIONS") == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert tu.kinds() == ["timeout"]


def test_client_non_invite_proceeding_retransmits_every_t2() -> None:
    layer, tu, clock = setup()
    req = request("BYE")
    txn = send(layer, req)
    layer.receive_response(response_to(req, 100), UDP_PEER, 0.2)
    assert txn.state == "Proceeding"
    clock.run_until(10)
    assert clock.times(b"BYE") == [0.0, 0.5, 4.5, 8.5]


def test_client_non_invite_final_then_timer_k() -> None:
    layer, tu, clock = setup()
    req = request("BYE")
    txn = send(layer, req)
    ok = response_to(req, 200)
    clock.run_until(1.0)
    layer.receive_response(ok, UDP_PEER, 1.0)
    layer.receive_response(ok, UDP_PEER, 1.5)
    assert txn.state == "Completed" and txn.deadlines == {"K": 6.0}
    assert tu.calls == [("response", 200)]
    clock.run_until(6.0)
    assert txn.terminated and clock.times(b"BYE") == [0.0, 0.5]


def test_client_non_invite_over_tcp_terminates_on_final() -> None:
    layer, tu, _ = setup()
    req = request("BYE", transport="TCP")
    txn = send(layer, req, TCP_PEER)
    assert txn.deadlines == {"F": 32.0}
    layer.receive_response(response_to(req, 200), TCP_PEER, 1.0)
    assert txn.terminated


# -- server INVITE (§17.2.1) -------------------------------------------------------------------


def receive(layer: TransactionLayer, req: Request, now: float, peer: Peer = UDP_PEER) -> None:
    layer.receive_request(req, peer, now)


def server(layer: TransactionLayer, req: Request) -> ServerTransaction:
    return layer.servers[req.transaction_key]


def test_retransmitted_invite_never_reaches_tu_twice() -> None:
    layer, tu, clock = setup()
    req = request(body=b"v=0\r\n")
    for t in (0.0, 0.5, 1.5, 3.5):
        receive(layer, req, t)
    assert tu.kinds() == ["request"]
    txn = server(layer, req)
    txn.respond(req.create_response(200, to_tag="x"), 4.0)
    for t in (4.1, 8.0):
        receive(layer, req, t)  # Accepted absorbs; the UA core retransmits the 2xx
    assert tu.kinds() == ["request"]
    assert txn.state == "Accepted" and txn.deadlines == {"L": 36.0}
    clock.run_until(36.0)
    assert txn.terminated and layer.servers == {}


def test_server_invite_sends_100_after_200ms_and_resends_last_provisional() -> None:
    layer, tu, clock = setup()
    req = request()
    receive(layer, req, 0.0)
    txn = server(layer, req)
    assert txn.deadlines == {"Trying": 0.2}
    clock.run_until(0.2)
    assert clock.times(b"SIP/2.0 100") == [0.2]
    clock.now = 0.3
    txn.respond(req.create_response(180, to_tag="x"), 0.3)
    clock.drain()
    clock.now = 0.5
    receive(layer, req, 0.5)
    clock.drain()
    assert clock.times(b"SIP/2.0 180") == [0.3, 0.5]
    assert tu.kinds() == ["request"]


def test_server_invite_answer_before_200ms_sends_no_100() -> None:
    layer, tu, clock = setup()
    req = request()
    receive(layer, req, 0.0)
    server(layer, req).respond(req.create_response(180, to_tag="x"), 0.05)
    clock.run_until(1.0)
    assert clock.times(b"SIP/2.0 100") == []


def test_server_invite_timer_g_and_h_without_ack() -> None:
    layer, tu, clock = setup()
    req = request()
    receive(layer, req, 0.0)
    txn = server(layer, req)
    txn.respond(req.create_response(486, to_tag="x"), 0.0)
    assert txn.state == "Completed" and txn.deadlines == {"G": 0.5, "H": 32.0}
    clock.run_until(40)
    assert clock.times(b"SIP/2.0 486") == [
        0.0,
        0.5,
        1.5,
        3.5,
        7.5,
        11.5,
        15.5,
        19.5,
        23.5,
        27.5,
        31.5,
    ]
    assert tu.kinds() == ["request", "timeout"] and txn.terminated


def test_server_invite_ack_confirms_and_timer_i_absorbs() -> None:
    layer, tu, clock = setup()
    req = request()
    receive(layer, req, 0.0)
    txn = server(layer, req)
    final = req.create_response(404, to_tag="x")
    txn.respond(final, 0.0)
    ack = request("ACK", to_tag="x")  # same branch as the INVITE (§17.1.1.3)
    clock.run_until(0.7)
    receive(layer, ack, 0.7)
    assert txn.state == "Confirmed" and txn.deadlines == {"I": 5.7}
    receive(layer, ack, 1.0)
    receive(layer, req, 1.2)  # a late INVITE retransmission is absorbed too
    clock.run_until(5.7)
    assert txn.terminated and tu.kinds() == ["request"]
    assert clock.times(b"SIP/2.0 404") == [0.0, 0.5]


def test_server_invite_over_tcp_no_g_and_i_is_zero() -> None:
    layer, tu, clock = setup()
    req = request(transport="TCP")
    receive(layer, req, 0.0, TCP_PEER)
    txn = server(layer, req)
    txn.respond(req.create_response(486, to_tag="x"), 0.0)
    assert txn.deadlines == {"H": 32.0}
    receive(layer, request("ACK", transport="TCP", to_tag="x"), 0.1, TCP_PEER)
    assert txn.terminated


def test_server_invite_refuses_responses_after_final() -> None:
    layer, tu, _ = setup()
    req = request()
    receive(layer, req, 0.0)
    txn = server(layer, req)
    txn.respond(req.create_response(486, to_tag="x"), 0.0)
    with pytest.raises(LocalProtocolError):
        txn.respond(req.create_response(200, to_tag="x"), 0.1)


def test_ack_for_2xx_and_cancel_reach_the_tu() -> None:
    layer, tu, _ = setup()
    req = request()
    receive(layer, req, 0.0)
    receive(layer, request("ACK", branch="z9hG4bK-other", to_tag="x"), 0.1)
    receive(layer, request("CANCEL"), 0.2)
    assert tu.kinds() == ["request", "ack", "cancel"]
    assert tu.calls[2][1] is server(layer, req)
    receive(layer, request("CANCEL", branch="z9hG4bK-unknown"), 0.3)
    assert tu.calls[3] == ("cancel", None)


# -- server non-INVITE (§17.2.2) ---------------------------------------------------------------


def test_server_non_invite_absorbs_and_timer_j() -> None:
    layer, tu, clock = setup()
    req = request("OPTIONS")
    receive(layer, req, 0.0)
    receive(layer, req, 0.5)  # Trying: discarded silently
    txn = server(layer, req)
    assert clock.layer.outbox == []
    clock.run_until(0.6)
    txn.respond(req.create_response(200, to_tag="x"), 0.6)
    clock.drain()
    clock.now = 1.5
    receive(layer, req, 1.5)  # Completed: resend the final response
    assert txn.deadlines == {"J": 32.6}
    clock.run_until(32.6)
    assert txn.terminated and tu.kinds() == ["request"]
    assert clock.times(b"SIP/2.0 200") == [0.6, 1.5]


def test_server_non_invite_over_tcp_terminates_on_final() -> None:
    layer, tu, _ = setup()
    req = request("OPTIONS", transport="TCP")
    receive(layer, req, 0.0, TCP_PEER)
    txn = server(layer, req)
    txn.respond(req.create_response(200, to_tag="x"), 0.0)
    assert txn.terminated and layer.servers == {}


# -- response routing (§18.2.2, RFC 3581) ------------------------------------------------------


def test_response_peer_uses_received_rport_and_connection() -> None:
    src = Peer("UDP", "203.0.113.5", 41000)
    via = request(via_host="10.0.0.1:5060").top_via
    assert response_peer(via, src) == Peer("UDP", "10.0.0.1", 5060)
    stamped = via.with_params(received="203.0.113.5", rport="41000")
    assert response_peer(stamped, src) == Peer("UDP", "203.0.113.5", 41000)
    no_port = request(via_host="10.0.0.1").top_via.with_params(received="203.0.113.5")
    assert response_peer(no_port, src) == Peer("UDP", "203.0.113.5", 5060)
    tcp = Peer("TCP", "203.0.113.5", 41000, conn=3)
    assert response_peer(stamped, tcp).conn == 3
