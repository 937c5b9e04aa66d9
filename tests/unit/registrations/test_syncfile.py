"""The ``tas register sync`` file: defaults, validation per entry, refusals."""

from __future__ import annotations

import pytest

from registrations.model import Registration, Route
from registrations.syncfile import SyncFileError, parse_sync_file
from registrations.validation import NOT_SIPS

GOOD = """
[defaults]
uri = "sips:tas.example.com:5061"
mo_prefix = "11"

[[registration]]
number = "+4799990001"
route = "loop"

[[registration]]
number = "+4799990002"
route = "LOOP-MT"
uri = "sips:other.example.com"
mo_prefix = ""
mt_prefix = "22"
"""


def test_defaults_apply_and_entries_override() -> None:
    assert parse_sync_file(GOOD) == [
        Registration("+4799990001", Route.LOOP, "sips:tas.example.com:5061", "11", ""),
        Registration("+4799990002", Route.LOOP_MT, "sips:other.example.com", "", "22"),
    ]


def test_explicit_empty_list_means_remove_everything() -> None:
    assert parse_sync_file("registration = []\n") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "",
            "f.toml: no [[registration]] entries (write `registration = []` to remove every registration)",
        ),
        ("registration = [", "f.toml: not valid TOML: "),
        ("[other]\n", "f.toml: unknown table(s): other"),
        (
            '[[registration]]\nnumber = "+4799990001"\n',
            "f.toml: registration #1 (+4799990001): missing route, uri",
        ),
        (
            '[[registration]]\nnumber = "+4799990001"\nroute = "loop"\nuri = "sip:a.example"\n',
            f"f.toml: registration #1 (+4799990001): {NOT_SIPS}",
        ),
        (
            '[[registration]]\nnumbr = "+4799990001"\n',
            "f.toml: registration #1: unknown key(s): numbr",
        ),
        (
            "[[registration]]\nnumber = 4799990001\n",
            "f.toml: registration #1: number must be a string",
        ),
        (
            '[defaults]\nroute = "loop"\nuri = "sips:a.example"\n'
            '[[registration]]\nnumber = "+4799990001"\n[[registration]]\nnumber = "+4799990001"\n',
            "f.toml: registration #2 (+4799990001): number listed twice",
        ),
    ],
)
def test_refusals_name_the_file_and_entry(text: str, message: str) -> None:
    with pytest.raises(SyncFileError) as err:
        parse_sync_file(text, source="f.toml")
    assert str(err.value).startswith(message)
