"""The dnspython adapter's pure parts (tas.dns.resolver): the RFC 2308 §5 negative TTL taken
from a response's SOA."""

from __future__ import annotations

import dns.message

from tas.dns.resolver import _negative_ttl

NXDOMAIN = """id 1
opcode QUERY
rcode NXDOMAIN
flags QR AA RD
;QUESTION
nowhere.example. IN A
;ANSWER
;AUTHORITY
example. {ttl} IN SOA ns.example. admin.example. 1 3600 600 86400 {minimum}
"""


def test_the_soa_ttl_or_minimum_whichever_is_less_capped() -> None:
    response = dns.message.from_text(NXDOMAIN.format(ttl=300, minimum=20))
    assert _negative_ttl(response, 30.0) == 20.0
    response = dns.message.from_text(NXDOMAIN.format(ttl=15, minimum=60))
    assert _negative_ttl(response, 30.0) == 15.0
    response = dns.message.from_text(NXDOMAIN.format(ttl=3600, minimum=3600))
    assert _negative_ttl(response, 30.0) == 30.0


def test_no_soa_means_the_cap() -> None:
    assert _negative_ttl(None, 30.0) == 30.0
    bare = dns.message.from_text(NXDOMAIN.split(";AUTHORITY")[0])
    assert _negative_ttl(bare, 12.0) == 12.0
