"""``tas register delete --local``: forget a registration here only, with no operator call.

For a number the operator no longer has (a sandbox that lost it, a registration removed by
other means, a delete stuck as "rejected"): the local row goes, nothing is sent. If the
operator does still hold it, it lapses by itself at most ``time_to_live`` (3600 s) after its
last upsert, or ``tas register delete NUMBER --uri URI`` removes it there.
"""

from __future__ import annotations

import json

import click

from registrations.errors import EXIT_OK, BadInput
from registrations.schedule import Entry, state
from registrations.store import RegistrationStore

__all__ = ["forget_local", "forgotten_message"]


async def forget_local(
    store: RegistrationStore, phone_number: str, uri: str | None, now: float, *, as_json: bool
) -> int:
    """Remove the row of ``phone_number`` and print what was forgotten; :class:`BadInput`
    when the store has no such row or a ``--uri`` (an operator-side target) was given."""
    if uri:
        raise BadInput("--local makes no operator call: it takes no --uri")
    entry = await store.forget(phone_number)
    if entry is None:
        raise BadInput(f"no registration for {phone_number} in the store; nothing to forget")
    if as_json:
        payload = {
            "ok": True,
            "exit_code": EXIT_OK,
            "number": phone_number,
            "forgotten": True,
            "operator_called": False,
            "was": state(entry, now).value,
            "registered_uri": entry.registered.sip_uri if entry.registered else None,
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(forgotten_message(entry, now))
    return EXIT_OK


def forgotten_message(entry: Entry, now: float) -> str:
    """One paragraph saying what was forgotten and what did not happen."""
    reg = entry.registered or entry.desired
    what = f"{state(entry, now).value}, {reg.sip_uri}" if reg else state(entry, now).value
    text = (
        f"{entry.phone_number}: forgotten locally (was {what}); no call was made to the operator."
    )
    if entry.registered is not None:
        text += (
            " If the operator still holds it, it lapses within its time_to_live (at most"
            f" 3600 s after its last upsert), or run: tas register delete {entry.phone_number}"
            f" --uri {entry.registered.sip_uri} --route {entry.registered.route.cli_name}"
        )
    return text
