"""``/api/registrations`` (read from the store) and ``/api/policies`` (the policy store that
``tas policy`` edits; the call directory picks writes up by its change feed)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from registrations.model import E164, is_e164
from tas.admin.auth import Principal
from tas.admin.context import Ctx, Who
from tas.admin.problems import Problem
from tas.calls.policy import Action, Policy, PolicyError, parse_policy

router = APIRouter(prefix="/api", tags=["numbers"])

#: A number in a path: E.164 (``registrations.model.E164``), so the OpenAPI document says so.
Number = Annotated[str, Path(pattern=f"^{E164.pattern}$", examples=["+4799990001"])]
#: A policy's number: E.164, or ``*`` (every leg for a number with no registration; admin only).
PolicyNumber = Annotated[
    str, Path(pattern=rf"^(\*|{E164.pattern})$", examples=["+4799990001", "*"])
]
RouteName = Literal["loop", "fork", "fallback", "loop-mo", "loop-mt", "ingress"]


class RegistrationOut(BaseModel):
    number: str
    desired_route: str | None
    desired_uri: str | None
    registered_route: str | None
    registered_uri: str | None
    registered_at: float | None
    expires_at: float | None
    ttl: float | None  # seconds until the registration expires (server clock)
    failures: int
    rejected: bool
    last_error: str | None


class PolicyIn(BaseModel):
    """``tas policy set``'s options as JSON (tas.calls.policy checks how they combine)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["answer", "forward", "voicemail", "reject", "observe"]
    route: RouteName | None = None
    status: int = Field(486, ge=400, le=699)
    target: str = "core"
    announcement: str | None = None
    menu: dict[str, str] = Field(default_factory=dict)
    early_media: bool = False


class PolicyOut(BaseModel):
    number: str
    route: str | None
    action: str
    status: int
    target: str
    announcement: str | None
    menu: dict[str, str]
    early_media: bool


class Removed(BaseModel):
    removed: int


def check_policy_number(who: Principal, number: str) -> str:
    """A policy's number: ``*`` for an admin, else the principal's own E.164 number."""
    if number == "*":
        who.require_admin()
        return number
    who.require(check_number(number))
    return number


def check_number(number: str) -> str:
    if not is_e164(number):
        raise Problem(400, "Bad number", f"{number!r} is not an E.164 number (+, 7-15 digits)")
    return number


def _registration(entry: Any) -> RegistrationOut:
    import time

    desired, registered = entry.desired, entry.registered
    return RegistrationOut(
        number=entry.phone_number,
        desired_route=desired.route.cli_name if desired else None,
        desired_uri=desired.sip_uri if desired else None,
        registered_route=registered.route.cli_name if registered else None,
        registered_uri=registered.sip_uri if registered else None,
        registered_at=entry.registered_at,
        expires_at=entry.expires_at,
        ttl=max(0.0, entry.expires_at - time.time()) if entry.expires_at else None,
        failures=entry.failures,
        rejected=entry.rejected,
        last_error=entry.last_error,
    )


def _policy(policy: Policy) -> PolicyOut:
    return PolicyOut(
        number=policy.number,
        route=policy.route.cli_name if policy.route else None,
        action=policy.action.value,
        status=policy.status,
        target=policy.target,
        announcement=policy.announcement,
        menu={digit: action.value for digit, action in policy.menu.items()},
        early_media=policy.early_media,
    )


@router.get("/registrations", response_model=list[RegistrationOut], tags=["registrations"])
async def list_registrations(ctx: Ctx, who: Who) -> list[RegistrationOut]:
    from registrations.store import RegistrationStore

    entries = await RegistrationStore(ctx.need("db")).entries()
    return [_registration(e) for e in entries if who.may(e.phone_number)]


@router.get("/registrations/{number}", response_model=RegistrationOut, tags=["registrations"])
async def show_registration(ctx: Ctx, who: Who, number: Number) -> RegistrationOut:
    from registrations.store import RegistrationStore

    who.require(check_number(number))
    entry = await RegistrationStore(ctx.need("db")).get(number)
    if entry is None:
        raise Problem(404, "Not found", f"no registration for {number}")
    return _registration(entry)


def _store(ctx: Ctx) -> Any:
    from tas.calls.policy_store import PolicyStore

    return PolicyStore(ctx.need("db"))


@router.get("/policies", response_model=list[PolicyOut], tags=["policies"])
async def list_policies(ctx: Ctx, who: Who) -> list[PolicyOut]:
    return [_policy(p) for p in await _store(ctx).all() if who.may(p.number)]


@router.get("/policies/{number}", response_model=list[PolicyOut], tags=["policies"])
async def show_policies(ctx: Ctx, who: Who, number: PolicyNumber) -> list[PolicyOut]:
    """The number's policies (one per route type, or one for every route)."""
    check_policy_number(who, number)
    return [_policy(p) for p in await _store(ctx).for_number(number)]


@router.put("/policies/{number}", response_model=PolicyOut, tags=["policies"])
async def set_policy(ctx: Ctx, who: Who, number: PolicyNumber, body: PolicyIn) -> PolicyOut:
    """Create or replace the policy for NUMBER (and ``route``), as ``tas policy set``."""
    from tas.calls.announce import read_announcement

    check_policy_number(who, number)
    if body.announcement and not who.is_admin:  # a server-side path: operators only
        raise Problem(403, "Forbidden", "only an admin token may name an announcement file")
    raw: dict[str, Any] = body.model_dump(exclude_none=True)
    raw["number"] = number
    try:
        policy = parse_policy(raw)
        if policy.announcement:
            read_announcement(policy.announcement)
    except (PolicyError, ValueError) as exc:
        raise Problem(400, "Bad policy", str(exc)) from None
    if policy.action is Action.FORWARD and not who.is_admin and policy.target != "core":
        who.require(policy.target)  # a subscriber forwards only to the core or its own numbers
    await _store(ctx).put(policy)
    return _policy(policy)


@router.delete("/policies/{number}", response_model=Removed, tags=["policies"])
async def delete_policy(
    ctx: Ctx, who: Who, number: PolicyNumber, route: RouteName | None = None
) -> Removed:
    """Remove the policy for NUMBER (and ``route``); 404 when there was none."""
    check_policy_number(who, number)
    removed = await _store(ctx).delete(number, route)
    if not removed:
        raise Problem(404, "Not found", f"no policy for {number}")
    return Removed(removed=removed)
