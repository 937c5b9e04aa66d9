#!/bin/sh
# Regenerates the spoken prompts of tas/voicemail/assets (8 kHz mono 16-bit PCM WAV).
# Reproducible: `sox -D` turns dithering (random) off, so espeak-ng 1.51 + SoX 14.4.2 give the
# same bytes every run (sums in README.md).
set -eu
cd "$(dirname "$0")"
say() {  # say OUTPUT TEXT
  espeak-ng -v en-us -s 150 -w "/tmp/tas_prompt_$$.wav" "$2"
  sox -D "/tmp/tas_prompt_$$.wav" -r 8000 -c 1 -b 16 -e signed-integer "$1"
  rm -f "/tmp/tas_prompt_$$.wav"
}
say mailbox_full.wav \
  "The mailbox of the person you are calling is full. Please try again later. Goodbye."
say message_refused.wav \
  "Sorry, this mailbox cannot take your message right now. Please try again later. Goodbye."
