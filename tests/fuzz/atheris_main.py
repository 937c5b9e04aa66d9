"""Coverage-guided fuzzing of the parsers with atheris (libFuzzer).

``python -m tests.fuzz.atheris_main TARGET [libFuzzer options] [CORPUS_DIR ...]`` runs one
target of :mod:`tests.fuzz.invariants` (sip, framing, sdp, rtp, rtcp, dtmf). A broken invariant
or an unexpected exception is a crash, which libFuzzer writes to ``-artifact_prefix``.
``make fuzz`` drives this per target.
"""

from __future__ import annotations

import sys

import atheris

#: Packages whose branches guide the fuzzer. atheris instruments each listed package with all
#: its submodules as they are imported (the SIP core, and the media package the parsers live in).
INSTRUMENTED = ["tas.sip", "media"]

# atheris's RegEx comparison hook is not enabled: its pattern proxy drops the ``pos`` argument
# of ``Pattern.search`` (framing.py calls ``search(buf, pos)``), a false crash at once.

with atheris.instrument_imports(include=INSTRUMENTED):
    import media.dtmf  # noqa: F401
    import media.offer_answer  # noqa: F401
    import media.rtcp  # noqa: F401
    import media.rtp  # noqa: F401
    import media.sdp  # noqa: F401
    import tas.sip.framing  # noqa: F401
    import tas.sip.parser  # noqa: F401
    import tas.sip.validate  # noqa: F401

from tests.fuzz.invariants import TARGETS  # noqa: E402


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options] [corpus ...]")
    atheris.Setup([argv[0], *argv[2:]], TARGETS[argv[1]])
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
