"""Coverage-guided fuzzing of the parsers with atheris (libFuzzer).

``python -m tests.fuzz.atheris_main TARGET [libFuzzer options] [CORPUS_DIR ...]`` runs one
target of :mod:`tests.fuzz.invariants` (sip, headers, framing, sdp, rtp, rtcp, dtmf), with the
dictionary of SIP or SDP tokens in ``dicts/`` unless ``-dict=`` is given. A broken invariant
or an unexpected exception is a crash, which libFuzzer writes to ``-artifact_prefix``.
``make fuzz`` drives this per target.
"""

from __future__ import annotations

import sys
from pathlib import Path

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

#: libFuzzer dictionaries (protocol tokens the mutator splices in) by target.
DICTS = Path(__file__).resolve().parent / "dicts"
_DICT_OF = {"sip": "sip", "headers": "sip", "framing": "sip", "sdp": "sdp"}


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options] [corpus ...]")
    target, options = argv[1], argv[2:]
    if target in _DICT_OF and not any(o.startswith("-dict=") for o in options):
        options.insert(0, f"-dict={DICTS / _DICT_OF[target]}.dict")
    atheris.Setup([argv[0], *options], TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
