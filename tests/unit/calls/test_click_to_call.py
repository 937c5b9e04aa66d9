"""``tas originate --bridge`` input (tas.calls.click_to_call.plan_click_to_call, pure)."""

from __future__ import annotations

import pytest

from tas.calls.click_to_call import plan_click_to_call


def test_a_plan_names_both_legs() -> None:
    plan = plan_click_to_call("+47 9999-0001", "sips:127.0.0.1:5061", "sip:bob@127.0.0.1:5080")
    assert plan.number == "+4799990001"
    assert str(plan.number_uri) == "sips:+4799990001@127.0.0.1:5061;user=phone"
    assert (plan.bridge.host, plan.bridge.port, plan.bridge.user) == ("127.0.0.1", 5080, "bob")


def test_an_ipv6_bridge_host_is_an_address() -> None:
    plan = plan_click_to_call("+4799990001", "sip:[::1]:5060", "sip:bob@[::1]:5080")
    assert plan.bridge.port == 5080


@pytest.mark.parametrize(
    ("number", "core", "bridge", "message"),
    [
        ("4799990001", "sip:127.0.0.1", "sip:bob@127.0.0.1", "E.164"),
        ("+4799990001", "sip:127.0.0.1", "tel:+4711", "--bridge must be a sip: or sips: URI"),
        ("+4799990001", "sip:127.0.0.1", "sip:bob@example.com", "--bridge needs an IP address"),
        ("+4799990001", "tel:+4711", "sip:bob@127.0.0.1", "--core must be a sip: or sips: URI"),
        ("+4799990001", "sip:127.0.0.1", "bob", "--bridge is not a SIP URI"),
    ],
)
def test_bad_input_says_what_is_wrong(number: str, core: str, bridge: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_click_to_call(number, core, bridge)
