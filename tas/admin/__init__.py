"""The admin HTTP API of ``tas serve`` (issue 16): live calls, registrations, policies,
voicemail and greetings, the effective config and call timelines, with ``/metrics``,
``/healthz`` and ``/readyz`` on the same HTTP server (uvicorn inside the server's event loop).

* :mod:`tas.admin.app` - :func:`create_app` (FastAPI; OpenAPI at ``/openapi.json``)
* :mod:`tas.admin.auth` - bearer tokens with roles (``admin``, ``subscriber`` scoped to numbers)
* :mod:`tas.admin.problems` - errors as RFC 9457 problem documents
* ``routes_*`` - one module per resource; :mod:`tas.admin.http` - the in-loop server
* :mod:`tas.admin.cli` - ``tas calls live`` / ``tas calls hangup ID`` through the API
"""
