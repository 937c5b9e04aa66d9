"""The shipped menu prompt pieces are what ``make_menu_prompts.sh`` makes: a fresh run with
espeak-ng and sox gives the committed bytes (reproducible, nothing hand-edited), and the
committed SHA256SUMS list every piece."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tas.voicemail.menu_compose import SHIPPED_PROMPTS
from tas.voicemail.menu_prompts import Prompt

SCRIPT = SHIPPED_PROMPTS / "make_menu_prompts.sh"


def _sums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.wav")}


def test_committed_sums_list_every_piece() -> None:
    listed = {}
    for line in (SHIPPED_PROMPTS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        listed[name.removeprefix("./")] = digest
    assert listed == _sums(SHIPPED_PROMPTS)
    assert set(listed) == {f"{p.value}.wav" for p in Prompt}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_script_reproduces_the_shipped_pieces(tmp_path: Path) -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package {tool}; .ci/run installs it)")
    subprocess.run(
        ["sh", str(SCRIPT), str(tmp_path)], check=True, timeout=110,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
    )  # fmt: skip
    assert _sums(tmp_path) == _sums(SHIPPED_PROMPTS)
