"""Media engine: RTP/RTCP, SDP offer/answer, codecs, DTMF, tones, WAV, player/recorder."""
