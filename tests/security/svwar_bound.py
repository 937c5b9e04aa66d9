"""``sipvicious_svwar`` with its ``-b/--bindingip`` honoured.

sipvicious 0.3.8 parses ``-b`` but never passes it to ``TakeASip`` (its socket binds to all
addresses, so on loopback it sends from 127.0.0.1). This runs the same ``main()`` with the
binding address handed through, so the scan really comes from the address the test names:
``python -m tests.security.svwar_bound -b 127.0.0.2 -m INVITE …``.
"""

from __future__ import annotations

import sys
from typing import Any

import sipvicious.svwar as svwar  # type: ignore[import-untyped]


def _binding_ip(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg in ("-b", "--bindingip") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--bindingip="):
            return arg.partition("=")[2]
    return ""


def main() -> None:
    bind = _binding_ip(sys.argv[1:])
    original = svwar.TakeASip.__init__

    def bound_init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("bindingip", bind)
        original(self, *args, **kwargs)

    svwar.TakeASip.__init__ = bound_init
    svwar.main()


if __name__ == "__main__":
    main()
