"""``tas voicemail pin set|unlock`` through click's CliRunner on SQLite: the PIN comes from
stdin (never argv) and only a valid one is stored."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tas.cli import cli
from tas.config import load_settings
from tas.store.db import Database
from tas.voicemail.menu_io import PinCheck
from tas.voicemail.pin_store import PinStore

BOX = "+4712345678"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    monkeypatch.delenv("TAS_DATABASE__URL", raising=False)
    path = tmp_path / "tas.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[voicemail]\npin_attempts = 2\n')
    return path


def tas(config: Path, *args: str, stdin: str = "") -> Any:
    return CliRunner().invoke(cli, ["voicemail", "--config", str(config), *args], input=stdin)


def verify(config: Path, pin: str) -> PinCheck:
    async def run() -> PinCheck:
        db = Database(load_settings(config).database_url)
        try:
            return await PinStore(db).verify(BOX, pin)
        finally:
            await db.close()

    return asyncio.run(run())


def test_pin_set_reads_stdin_and_unlock(config: Path) -> None:
    result = tas(config, "pin", "set", BOX, stdin="4711\n")
    assert result.exit_code == 0 and result.output == f"PIN set for {BOX}\n"
    assert verify(config, "4711") is PinCheck.OK
    locked = asyncio.run(_lock(config))
    assert locked is PinCheck.LOCKED  # [voicemail] pin_attempts = 2 from the config file
    assert tas(config, "pin", "unlock", BOX).output == f"unlocked {BOX}\n"
    assert verify(config, "4711") is PinCheck.OK


async def _lock(config: Path) -> PinCheck:
    settings = load_settings(config)
    db = Database(settings.database_url)
    try:
        store = PinStore(db, attempts=settings.voicemail.pin_attempts)
        await store.verify(BOX, "0000")
        return await store.verify(BOX, "0000")
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (("pin", "set", BOX), "12\n", 2, "error: a PIN has 4 to 8 digits (0-9)\n"),
        (("pin", "set", BOX), "\n", 2, "error: a PIN has 4 to 8 digits (0-9)\n"),
        (("pin", "set", "12345"), "1234\n", 2, None),
        (("pin", "unlock", BOX), "", 1, f"error: {BOX} has no PIN\n"),
    ],
)
def test_pin_errors(
    config: Path, args: tuple[str, ...], stdin: str, code: int, message: str | None
) -> None:
    result = tas(config, *args, stdin=stdin)
    assert result.exit_code == code
    if message is not None:
        assert result.output == message
    else:
        assert result.output.startswith("error: ") and result.output.count("\n") == 1


def test_pin_is_not_an_argument(config: Path) -> None:
    result = tas(config, "pin", "set", BOX, "1234")
    assert result.exit_code == 2 and "unexpected extra argument" in result.output.lower()
