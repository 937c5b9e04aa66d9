"""Errors of the admin API as problem documents (RFC 9457 ``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

__all__ = ["PROBLEM_RESPONSES", "Problem", "install"]

MEDIA_TYPE = "application/problem+json"

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},  # extension member (RFC 9457 §3.2): the input at fault
    },
    "required": ["type", "title", "status", "detail"],
}


def _response(text: str) -> dict[str, Any]:
    return {"description": text, "content": {MEDIA_TYPE: {"schema": _SCHEMA}}}


#: Declared on every route (OpenAPI), so clients and schemathesis know the error shapes.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _response("Bad input"),
    401: _response("Missing or unknown bearer token"),
    403: _response("The token may not see this"),
    404: _response("No such resource"),
    422: _response("Malformed request"),
}


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        bearer: bool = False,
        field: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.bearer = status, title, detail, bearer
        self.field = field  # the input at fault (``rules[1].time_zone``), when one is


def problem_response(
    status: int, title: str, detail: str, bearer: bool = False, field: str | None = None
) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="tas-admin"'} if bearer else None
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if field is not None:
        body["field"] = field
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Every error of ``app`` as a problem document."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.title, exc.detail, exc.bearer, exc.field)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return problem_response(exc.status_code, "HTTP error", str(exc.detail))

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}"
        return problem_response(422, "Malformed request", detail, field=where or None)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
