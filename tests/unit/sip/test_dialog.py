"""Dialog construction and in-dialog request rules (RFC 3261 §12)."""

from __future__ import annotations

import pytest

from tas.sip.dialog import Dialog
from tas.sip.errors import RemoteProtocolError
from tas.sip.parser import parse_message
from tas.sip.uri import SipURI
from tests.unit.sip.sip_helpers import request, response_to

RR = "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"


def test_uas_dialog_keeps_record_route_order_and_contact_target() -> None:
    invite = request(extra=RR)
    dialog = Dialog.for_uas(invite, "local", confirmed=False)
    assert dialog.id == ("call-1@192.0.2.10", "local", "ft1")
    assert dialog.route_set == ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    assert dialog.remote_target == SipURI(host="192.0.2.10", user="alice", port=5070)
    assert dialog.remote_seq == 1 and dialog.local_seq == 0
    assert dialog.next_hop() == SipURI(host="p1.example.com", params={"lr": None})


def test_uac_dialog_reverses_record_route_and_builds_requests() -> None:
    invite = request(extra=RR)
    ok = response_to(invite, 200)
    ok.headers.add("Contact", "<sip:bob@198.51.100.7:5080>")
    for value in invite.headers.fields("Record-Route"):
        ok.headers.add("Record-Route", value)
    dialog = Dialog.for_uac(invite, ok)
    assert dialog.id == ("call-1@192.0.2.10", "ft1", "tt1") and dialog.confirmed
    assert dialog.route_set == ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    bye = dialog.create_request("BYE")
    assert bye.uri == SipURI(host="198.51.100.7", user="bob", port=5080)
    assert bye.cseq.seq == 2 and bye.cseq.method == "BYE"
    assert bye.to.tag == "tt1" and bye.from_.tag == "ft1"
    assert bye.headers.fields("Route") == dialog.route_set
    ack = dialog.create_request("ACK", seq=1)
    assert ack.cseq.seq == 1 and dialog.local_seq == 2  # ACK does not consume a number


def test_remote_cseq_must_grow_and_target_refresh() -> None:
    dialog = Dialog.for_uas(request(), "local", confirmed=True)
    dialog.check_request(request("INFO", cseq=2))
    with pytest.raises(RemoteProtocolError) as same:
        dialog.check_request(request("INFO", cseq=2))
    assert same.value.status_hint == 500
    with pytest.raises(RemoteProtocolError):
        dialog.check_request(request("BYE", cseq=1))
    dialog.check_request(request("ACK", cseq=1))  # ACK and CANCEL carry the INVITE's number
    reinvite = (
        request(cseq=3, extra="")
        .__bytes__()
        .replace(b"Contact: <sip:alice@192.0.2.10:5070>", b"Contact: <sip:alice@203.0.113.1:6000>")
    )
    message = parse_message(reinvite)
    dialog.refresh_target(message)
    assert dialog.remote_target == SipURI(host="203.0.113.1", user="alice", port=6000)


def test_invite_without_contact_is_refused() -> None:
    invite = request()
    invite.headers.remove("Contact")
    with pytest.raises(RemoteProtocolError):
        Dialog.for_uas(invite, "x", confirmed=False)
