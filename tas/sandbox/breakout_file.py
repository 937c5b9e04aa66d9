"""The sandbox core's registrations on disk, so a restarted sandbox still routes by them.

The real operator keeps registrations on its side across our restarts; the embedded sandbox
plays the operator, so it keeps them too: one SQLite file (stdlib :mod:`sqlite3`) under
``<data_dir>/sandbox/``, separate from the TAS's own database. Why a file of its own and not a
table in the server's Database: the sandbox's state is the *operator's* state, not ours
(a production PostgreSQL never carries a sandbox table, and ``tas db`` migrations never touch
it); ``tas sandbox`` runs without the server's Database; and wiping our store must not make
the "operator" forget, which is exactly the drift this guards against.

Rows hold the absolute ``expires_at`` (epoch seconds) of each registration, so expiry stays
the operator's rule: :data:`~tas.sandbox.breakout.REGISTRATION_TTL` from the last upsert,
whatever happened in between. Lapsed rows are dropped on :meth:`BreakoutFile.load`.

Writes are a few hundred microseconds and happen only on Upsert/Delete (never on the INVITE
path, which reads the in-memory :class:`~tas.sandbox.breakout.BreakoutTable`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from registrations.model import Registration, Route
from tas.sandbox.breakout import ActiveRegistration

__all__ = ["FILE_NAME", "BreakoutFile"]

#: Where under ``<data_dir>`` the sandbox keeps its registrations.
FILE_NAME = Path("sandbox") / "registrations.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_registration (
    phone_number TEXT NOT NULL,
    sip_uri TEXT NOT NULL,
    route INTEGER NOT NULL,
    mo_prefix TEXT NOT NULL DEFAULT '',
    mt_prefix TEXT NOT NULL DEFAULT '',
    upserted_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (phone_number, sip_uri)
)
"""


class BreakoutFile:
    """One SQLite file of (number, sip_uri) → registration + expiry.

    Each call opens, commits and closes its own connection: nothing to close, and several
    sandboxes over one data folder see each other's last write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=5.0)
        try:
            with db:  # one transaction: commit, or roll back on error
                yield db
        finally:
            db.close()

    @classmethod
    def under(cls, data_dir: Path) -> BreakoutFile:
        """The file at ``<data_dir>/sandbox/registrations.sqlite3``."""
        return cls(data_dir / FILE_NAME)

    def load(self, now: float) -> list[ActiveRegistration]:
        """Drop what has lapsed by ``now``; return the rest, least recently upserted first."""
        with self._connect() as db:
            db.execute("DELETE FROM sandbox_registration WHERE expires_at <= ?", (now,))
            rows = db.execute(
                "SELECT phone_number, route, sip_uri, mo_prefix, mt_prefix, expires_at "
                "FROM sandbox_registration ORDER BY upserted_at, phone_number, sip_uri"
            ).fetchall()
        return [
            ActiveRegistration(Registration(number, Route(route), uri, mo, mt), expires_at)
            for number, route, uri, mo, mt, expires_at in rows
        ]

    def put(self, active: ActiveRegistration, upserted_at: float) -> None:
        """Store (or replace) one registration after an accepted upsert."""
        reg = active.registration
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO sandbox_registration "
                "(phone_number, sip_uri, route, mo_prefix, mt_prefix, upserted_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    reg.phone_number,
                    reg.sip_uri,
                    int(reg.route),
                    reg.mo_prefix,
                    reg.mt_prefix,
                    upserted_at,
                    active.expires_at,
                ),
            )

    def remove(self, phone_number: str, sip_uri: str) -> None:
        """Forget one registration after an accepted delete."""
        with self._connect() as db:
            db.execute(
                "DELETE FROM sandbox_registration WHERE phone_number = ? AND sip_uri = ?",
                (phone_number, sip_uri),
            )
