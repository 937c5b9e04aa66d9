#!/bin/sh
# Regenerates the mailbox menu's prompt pieces (here, or in the folder given as $1):
# 8 kHz mono G.711 µ-law WAV (8 kB/s), leading and trailing silence trimmed so pieces join
# without gaps. Names and texts come from tas/voicemail/menu_prompts.py (the only list of them).
# Reproducible: espeak-ng 1.51 and SoX 14.4.2 with `sox -D` (no random dither) give the same
# bytes every run (sums: SHA256SUMS).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "${1:-$here}"
out="$(cd "${1:-$here}" && pwd)"
raw="/tmp/tas_menu_prompt_$$.wav"
trap 'rm -f "$raw"' EXIT
rm -f "$out"/*.wav
(cd "$root" && "$python" -m tas.voicemail.menu_prompts) |
  while IFS="$(printf '\t')" read -r name text; do
    espeak-ng -v en-us -s 165 -w "$raw" "$text"
    sox -D "$raw" -r 8000 -c 1 -e u-law -b 8 "$out/$name.wav" \
      silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse pad 0 0.08
  done
(cd "$out" && sha256sum ./*.wav > SHA256SUMS)
