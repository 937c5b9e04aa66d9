""":func:`create_app`: the admin API's FastAPI application (OpenAPI at ``/openapi.json``)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from tas.admin import (
    console,
    routes_calls,
    routes_numbers,
    routes_ops,
    routes_rules,
    routes_voicemail,
)
from tas.admin.context import AdminContext, strict_query
from tas.admin.problems import PROBLEM_RESPONSES, install

__all__ = ["create_app"]


def create_app(context: AdminContext) -> FastAPI:
    """The routes of every resource over ``context`` (the running server's parts)."""
    app = FastAPI(
        title="TAS admin API",
        version="1",
        description="Live calls, registrations, policies, call rules, voicemail, config and call "
        "timelines of one `tas serve`; bearer tokens with roles ([admin] tokens).",
        responses=PROBLEM_RESPONSES,
        docs_url=None,
        redoc_url=None,
    )
    app.state.admin = context
    install(app)
    for module in (routes_ops, routes_calls, routes_numbers, routes_rules, routes_voicemail):
        app.include_router(module.router, dependencies=[Depends(strict_query)])
    app.include_router(console.router)
    return app
