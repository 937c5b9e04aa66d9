"""Handset behaviours of the sandbox's simulated subscribers (parsing and per-number config)."""

from __future__ import annotations

import pytest

from media.session import MediaEngine
from tas.sandbox.subscribers import Behaviour, Handsets, parse_behaviour


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("answer", Behaviour("answer", 1.0)),
        ("answer:2.5", Behaviour("answer", 2.5)),
        ("Answer:0", Behaviour("answer", 0.0)),
        ("echo", Behaviour("echo", 1.0)),
        ("echo:0.2", Behaviour("echo", 0.2)),
        ("busy", Behaviour("busy")),
        ("reject", Behaviour("reject")),
        ("unavailable", Behaviour("unavailable")),
        ("no-answer", Behaviour("no-answer")),
        ("no_answer", Behaviour("no-answer")),
    ],
)
def test_parse_behaviour(text: str, expected: Behaviour) -> None:
    assert parse_behaviour(text) == expected


def test_statuses_and_names() -> None:
    assert [parse_behaviour(t).status for t in ("busy", "reject", "unavailable")] == [486, 603, 480]
    assert parse_behaviour("answer").status is None
    assert parse_behaviour("no-answer").status is None
    assert str(parse_behaviour("answer", 3)) == "answer:3"
    assert str(parse_behaviour("echo:0.5")) == "echo:0.5"
    assert str(parse_behaviour("busy")) == "busy"
    assert [parse_behaviour(t).answers for t in ("answer", "echo", "no-answer")] == [
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ring", "unknown handset behaviour"),
        ("busy:3", "takes no argument"),
        ("answer:soon", "not a number"),
        ("answer:-1", "out of range"),
        ("answer:nan", "out of range"),
    ],
)
def test_bad_behaviours_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_behaviour(text)


def test_per_number_behaviour_with_a_default() -> None:
    handsets = Handsets(
        MediaEngine("127.0.0.1", 31000, 31010),
        behaviours={"+4711111111": "busy"},
        default="no-answer",
        answer_delay=0.5,
    )
    assert handsets.behaviour_for("+4711111111") == Behaviour("busy")
    assert handsets.behaviour_for("+4722222222") == Behaviour("no-answer")
    handsets.set("+4722222222", "answer")
    assert handsets.behaviour_for("+4722222222") == Behaviour("answer", 0.5)
    handsets.set("+4711111111", None)
    assert handsets.behaviour_for("+4711111111") == Behaviour("no-answer")
    with pytest.raises(ValueError, match=r"subscribers\['\+4711111111'\]: unknown handset"):
        Handsets(MediaEngine(), behaviours={"+4711111111": "ring"})
    with pytest.raises(ValueError, match="default_behaviour: unknown handset"):
        Handsets(MediaEngine(), default="ring")
