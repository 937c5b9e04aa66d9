"""The web console (``/console``): server-rendered page shells (Jinja2) that a small vanilla
script (``static/console.js``, no framework, no build step) fills from the admin API with
the token kept in the tab's ``sessionStorage``. The pages carry no data themselves, so they
need no token; every datum comes from ``/api`` under the same roles.

Pages: live calls (polled every second: calls appear and go without reload), one call's
timeline (an SVG ladder of the SIP messages as sent and received, one column per peer, from
``[admin] ladder_messages``; and the core's events beside our milestones),
registrations with a TTL counting down, the voicemail inbox with an ``<audio>`` player and
a greeting upload, and a number's call rules (``[[rule]]`` tables as JSON: add, edit, delete,
reorder, saved through ``PUT /api/rules/{number}``, the field at fault shown by its rule)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

router = APIRouter(prefix="/console", include_in_schema=False)

_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(_HERE / "templates"))

PAGES = {
    "calls": "Live calls",
    "registrations": "Registrations",
    "voicemail": "Voicemail",
    "rules": "Rules",
}


def _page(request: Request, name: str, **extra: str) -> HTMLResponse:
    context = {"page": name, "pages": PAGES, **extra}
    return templates.TemplateResponse(request, f"{name}.html", context)


@router.get("", response_class=HTMLResponse)
async def calls_page(request: Request) -> HTMLResponse:
    return _page(request, "calls")


@router.get("/calls/{key}", response_class=HTMLResponse)
async def timeline_page(request: Request, key: str) -> HTMLResponse:
    return _page(request, "timeline", key=key)


@router.get("/registrations", response_class=HTMLResponse)
async def registrations_page(request: Request) -> HTMLResponse:
    return _page(request, "registrations")


@router.get("/voicemail", response_class=HTMLResponse)
async def voicemail_page(request: Request) -> HTMLResponse:
    return _page(request, "voicemail")


@router.get("/rules", response_class=HTMLResponse)
async def rules_page(request: Request, number: str = "") -> HTMLResponse:
    return _page(request, "rules", number=number)


@router.get("/static/console.js")
async def script() -> FileResponse:
    return FileResponse(_HERE / "static" / "console.js", media_type="text/javascript")
