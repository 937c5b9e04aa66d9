"""find_leg looks up only the numbers a leg can belong to, yet decides exactly as
decode_leg over the whole registration list; combined sources dedupe per number and route."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registrations.model import Registration, Route
from tas.calls.routing import decode_leg
from tas.calls.sources import (
    CombinedRegistrations,
    StaticRegistrations,
    candidate_numbers,
    find_leg,
)

NUMBERS = ["+4799990000", "+4712345678", "+114799990000", "+2247123", "+47123"]
URI = "sips:tas.example:5061"
PREFIXES = ["", "1", "11", "22", "0"]

registrations = st.lists(
    st.builds(
        Registration,
        st.sampled_from(NUMBERS),
        st.sampled_from(list(Route)),
        st.just("sips:tas.example.com"),
        st.sampled_from(PREFIXES),
        st.sampled_from(PREFIXES),
    ),
    max_size=6,
)
users = st.one_of(
    st.none(),
    st.just("service"),
    st.builds(lambda p, n: "+" + p + n[1:], st.sampled_from(PREFIXES), st.sampled_from(NUMBERS)),
)


@given(registrations, users, users)
def test_find_leg_decides_like_decode_leg(
    regs: list[Registration], request_user: str | None, caller_user: str | None
) -> None:
    # one registration per (number, route), as the directory holds them
    unique = list({(r.phone_number, r.route): r for r in regs}.values())
    expected = decode_leg(request_user, caller_user, unique)
    assert find_leg(StaticRegistrations(unique), request_user, caller_user) == expected


def test_candidates_are_the_caller_and_each_suffix_of_the_target() -> None:
    assert candidate_numbers("+224712", "+4799") == ["+224712", "+24712", "+4712", "+712"] + [
        "+12",
        "+2",
        "+4799",
    ]
    assert candidate_numbers("service", "+4799") == []
    assert len(candidate_numbers("+" + "1" * 19, None)) == 19  # bounded by the E.164 length


def test_combined_sources_first_wins_per_number_and_route() -> None:
    mine = Registration("+4799990001", Route.LOOP, URI, "11")
    theirs = Registration("+4799990001", Route.LOOP, "sips:other", "99")
    fork = Registration("+4799990001", Route.FORK, URI)
    combined = CombinedRegistrations(
        StaticRegistrations([mine]), StaticRegistrations([theirs, fork])
    )
    assert list(combined.registrations_for("+4799990001")) == [mine, fork]
