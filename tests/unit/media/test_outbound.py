"""The sending half on a fake pacer: one stream clock across hold, codec change and ptime."""

from media.codecs import PCMA, PCMU
from media.outbound import OutboundStream
from media.pacer import PacedOutput
from media.rtp import RtpPacket


class FakePacer:
    def __init__(self) -> None:
        self.next_tick = 100
        self.outputs: list[PacedOutput] = []

    def activate(self, output: PacedOutput) -> int:
        self.outputs.append(output)
        return self.next_tick

    def deactivate(self, output: PacedOutput) -> None:
        self.outputs.remove(output)

    def run(self, ticks: range) -> None:
        for tick in ticks:
            for output in list(self.outputs):
                output(tick)
        self.next_tick = ticks.stop


def test_one_clock_one_ssrc_across_hold_codec_and_ptime_changes() -> None:
    pacer = FakePacer()
    sent: list[RtpPacket] = []
    stream = OutboundStream(lambda: pacer, lambda d: sent.append(RtpPacket.parse(d)))  # type: ignore[arg-type,return-value]
    stream.renegotiate(PCMU, 0, 101, 20, None)
    stream.sync(True)
    pacer.run(range(100, 110))
    stream.sync(False)  # hold: nothing on the wire
    pacer.run(range(110, 120))
    stream.renegotiate(PCMA, 8, 101, 40, None)  # resumed with another codec and ptime
    stream.sync(True)
    pacer.run(range(120, 130))
    stream.hand_over()
    pacer.run(range(130, 140))
    assert len(sent) == 10 + 5 and {p.ssrc for p in sent} == {stream.ssrc}
    seqs = [p.sequence_number for p in sent]
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:], strict=False))
    base = sent[0].timestamp
    offsets = [(p.timestamp - base) & 0xFFFFFFFF for p in sent]
    assert offsets == [160 * i for i in range(10)] + [160 * t for t in range(20, 30, 2)]
    assert [p.marker for p in sent].count(True) == 2 and sent[10].marker  # start and resume
    assert [p.payload_type for p in sent] == [0] * 10 + [8] * 5
    assert stream.rtp_time(130) == (base + 160 * 30) and not pacer.outputs
