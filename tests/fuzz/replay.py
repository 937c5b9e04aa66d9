"""Replay files through a fuzz invariant without atheris (reproduce a crash, measure coverage).

``python -m tests.fuzz.replay TARGET PATH...`` runs every file (directories: every file in
them) through :data:`tests.fuzz.invariants.TARGETS` and prints a traceback per failure;
the exit status is the number of failures (capped at 100). Under coverage:
``coverage run -m tests.fuzz.replay sip build/fuzz/corpus/sip && coverage report``.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from tests.fuzz.invariants import TARGETS


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        out += sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] not in TARGETS:
        print(f"usage: {argv[0]} {{{','.join(TARGETS)}}} PATH...", file=sys.stderr)
        return 2
    check, failures = TARGETS[argv[1]], 0
    files = _files(argv[2:])
    for path in files:
        try:
            check(path.read_bytes())
        except Exception:  # noqa: BLE001 - report every failing input, then go on
            failures += 1
            print(f"--- {path}", file=sys.stderr)
            traceback.print_exc()
    print(f"{argv[1]}: {len(files)} inputs, {failures} failures")
    return min(failures, 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
