"""Per-number call policy: what the TAS does with a leg (issue #5, "call application").

A policy names a subscriber number, optionally one route type, and an action:

* ``answer``    answer and play an announcement (``announcement`` WAV, or the default), or run a
                DTMF ``menu`` mapping digits to further actions ("1" -> "voicemail" …);
                with ``early_media`` the announcement is played in 183 Session Progress
                without answering, then ``status`` ends the leg
* ``forward``   send the call on: ``target = "core"`` returns it to the operator core as leg 3
                with the leg-2 Session-ID (LOOP); any other target is a number or SIP URI that
                we call as a B2BUA, bridging media
* ``voicemail`` greeting, beep, record; with ``early_media`` a refusal ("mailbox full" …) is
                played in 183 Session Progress, whatever ``[voicemail] refusal_prompt`` says
* ``reject``    answer with ``status`` (4xx-6xx)
* ``observe``   ring and never answer: we only record that the call happened (FORK)

The number ``*`` is the wildcard policy of legs for numbers we hold no registration for
(:mod:`tas.calls.direct`); it never applies to a registered leg.

Without a matching policy the route type decides (:data:`DEFAULT_ACTIONS`): FALLBACK ->
voicemail, LOOP / LOOP_MO / LOOP_MT -> back to the core unchanged, FORK -> observe. Pure.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registrations.model import Route
from tas.calls.routing import LegInfo, e164_of
from tas.calls.toml_tables import load_tables

__all__ = [
    "Action",
    "Policy",
    "Decision",
    "PolicyError",
    "DEFAULT_ACTIONS",
    "decide",
    "parse_policy",
    "load_policy_file",
]


class Action(enum.Enum):
    ANSWER = "answer"
    FORWARD = "forward"
    VOICEMAIL = "voicemail"
    REJECT = "reject"
    OBSERVE = "observe"


DEFAULT_ACTIONS: Mapping[Route, Action] = {
    Route.FALLBACK: Action.VOICEMAIL,
    Route.LOOP: Action.FORWARD,
    Route.LOOP_MO: Action.FORWARD,
    Route.LOOP_MT: Action.FORWARD,
    Route.FORK: Action.OBSERVE,
    Route.INGRESS: Action.REJECT,  # INGRESS is for calls we place; a leg in is unexpected
}

_ROUTE_NAMES = {r.cli_name: r for r in Route}


class PolicyError(ValueError):
    """A policy that cannot be applied; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class Policy:
    number: str
    action: Action
    route: Route | None = None  # None: every route type
    status: int = 486  # reject
    target: str = "core"  # forward
    announcement: str | None = None  # answer: WAV path; None plays the default
    menu: Mapping[str, Action] = field(default_factory=dict)  # answer: DTMF digit -> action
    early_media: bool = False  # answer / voicemail refusals: play in 183, do not answer


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one leg, and which policy (if any) said so."""

    action: Action
    leg: LegInfo | None  # None: a direct leg (no registration, :mod:`tas.calls.direct`)
    policy: Policy | None
    status: int = 486
    target: str = "core"
    announcement: str | None = None
    menu: Mapping[str, Action] = field(default_factory=dict)
    hold: float | None = None  # answer: keep the call (silence) this long, then BYE
    early_media: bool = False
    ring: float | None = None  # hold: 180 first, answer this long after it (and its PRACK)


def decide(leg: LegInfo, policies: Iterable[Policy]) -> Decision:
    """Pick the policy for this leg: number + route type beats number alone beats default."""
    route = leg.route
    best: Policy | None = None
    for policy in policies:
        if policy.number != leg.subscriber:
            continue
        if policy.route is route:
            best = policy
            break
        if policy.route is None and best is None:
            best = policy
    if best is None:
        return Decision(DEFAULT_ACTIONS[route], leg, None)
    return Decision(
        best.action,
        leg,
        best,
        best.status,
        best.target,
        best.announcement,
        best.menu,
        early_media=best.early_media,
    )


def parse_policy(raw: Mapping[str, Any], *, stored: bool = False) -> Policy:
    """Validate one policy from TOML/CLI input; errors name the offending field. ``stored``:
    a row written before a rule was added (a menu ``forward`` digit) still loads."""
    known = {"number", "action", "route", "status", "target", "announcement", "menu", "early_media"}
    if unknown := set(raw) - known:
        raise PolicyError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
    number = "*" if raw.get("number") == "*" else e164_of(str(raw.get("number", "")))
    if number is None:
        raise PolicyError(
            f"number must be E.164 like +4799990000 (or '*': every leg with no registration), "
            f"got {raw.get('number')!r}"
        )
    action = _action(raw.get("action"))
    route: Route | None = None
    if raw.get("route") is not None:
        name = str(raw["route"]).lower().replace("_", "-")
        if name not in _ROUTE_NAMES:
            raise PolicyError(f"route must be one of {', '.join(_ROUTE_NAMES)}, got {name!r}")
        route = _ROUTE_NAMES[name]
    status = raw.get("status", 486)
    if not isinstance(status, int) or not 400 <= status <= 699:
        raise PolicyError(f"status must be a 4xx-6xx SIP status, got {status!r}")
    target = str(raw.get("target", "core"))
    if action is Action.FORWARD and target != "core" and not _valid_target(target):
        raise PolicyError(f"target must be 'core', an E.164 number or a sip:/sips: URI: {target!r}")
    menu_raw = raw.get("menu") or {}
    if not isinstance(menu_raw, Mapping):
        raise PolicyError("menu must map DTMF digits to actions")
    menu: dict[str, Action] = {}
    for digit, value in menu_raw.items():
        if str(digit) not in set("0123456789*#"):
            raise PolicyError(f"menu key must be one DTMF digit 0-9 * #, got {digit!r}")
        menu[str(digit)] = _action(value)
    if Action.FORWARD in menu.values() and not stored:  # answered leg: no media relay to bridge
        raise PolicyError(
            "a menu digit cannot forward (the call is already answered and the TAS relays no "
            "media); use action forward with target, or a voicemail/answer/reject digit"
        )
    announcement = raw.get("announcement")
    early_media = raw.get("early_media", False)
    if not isinstance(early_media, bool):
        raise PolicyError(f"early_media must be true or false, got {early_media!r}")
    if early_media and action not in (Action.ANSWER, Action.VOICEMAIL):
        raise PolicyError("early_media applies to answer and voicemail only")
    if early_media and menu:
        raise PolicyError("early_media cannot run a menu (DTMF needs an answered call)")
    return Policy(
        number=number,
        action=action,
        route=route,
        status=status,
        target=target,
        announcement=str(announcement) if announcement is not None else None,
        menu=menu,
        early_media=early_media,
    )


def load_policy_file(path: Path) -> list[Policy]:
    """Read ``[[policy]]`` tables from a TOML file."""
    return load_tables(path, "policy", parse_policy, PolicyError)


def _action(value: object) -> Action:
    try:
        return Action(str(value).lower())
    except ValueError:
        names = ", ".join(a.value for a in Action)
        raise PolicyError(f"action must be one of {names}, got {value!r}") from None


def _valid_target(target: str) -> bool:
    return e164_of(target) is not None or target.startswith(("sip:", "sips:"))
