"""A pjsua2 (PyPI ``pjsua2-python``) phone in its own process, driven by lines on stdin.

``python -m tests.interop.phones.pjsua_agent CONFIG.json``; commands ``dial URI``, ``dtmf D``,
``hangup``, ``quit``; it prints ``EVENT ready|established|closed|dtmf D`` lines. Null sound
device, a WAV player into every call and a recorder of what it hears, RFC 4733 DTMF, UDP/TCP
and TLS (server certificate from the config, peer certificates not verified), incoming calls
answered at once. pjsua2 runs on this process's main thread only (``mainThreadOnly``).
"""

from __future__ import annotations

import json
import os
import select
import sys
from typing import Any

import pjsua2 as pj  # type: ignore[import-not-found,unused-ignore]

EVENTS: list[str] = []


def emit(line: str) -> None:
    sys.stdout.write(f"EVENT {line}\n")
    sys.stdout.flush()


class Call(pj.Call):  # type: ignore[misc]
    def __init__(self, account: pj.Account, config: dict[str, Any], call_id: int = -1) -> None:
        super().__init__(account, call_id)
        self.config = config
        self.player: pj.AudioMediaPlayer | None = None
        self.recorder: pj.AudioMediaRecorder | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:  # noqa: N802 (pjsua2 names)
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            emit("established")
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            emit(f"closed {info.lastStatusCode}")
            for media in (self.player, self.recorder):
                if media is not None:
                    del media
            self.player = self.recorder = None

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:  # noqa: N802
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            audio = self.getAudioMedia(index)
            if self.player is None:
                self.player = pj.AudioMediaPlayer()
                self.player.createPlayer(self.config["source"], pj.PJMEDIA_FILE_NO_LOOP)
                self.player.startTransmit(audio)
            if self.recorder is None:
                self.recorder = pj.AudioMediaRecorder()
                self.recorder.createRecorder(self.config["record"])
                audio.startTransmit(self.recorder)

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:  # noqa: N802
        emit(f"dtmf {prm.digit}")


class Account(pj.Account):  # type: ignore[misc]
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = config
        self.calls: list[Call] = []

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802
        call = Call(self, self.config, prm.callId)
        self.calls.append(call)
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)


def endpoint(config: dict[str, Any]) -> pj.Endpoint:
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 4
    cfg.logConfig.consoleLevel = 0
    cfg.logConfig.filename = config["log"]
    cfg.medConfig.clockRate = 8000
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    for codec in ep.codecEnum2():
        ep.codecSetPriority(codec.codecId, 255 if codec.codecId.startswith("PCMU/") else 0)
    for kind, port in (
        (pj.PJSIP_TRANSPORT_UDP, config["port"]),
        (pj.PJSIP_TRANSPORT_TCP, config["port"]),
        (pj.PJSIP_TRANSPORT_TLS, config["tls_port"]),
    ):
        tc = pj.TransportConfig()
        tc.port = port
        tc.boundAddress = "127.0.0.1"
        if kind == pj.PJSIP_TRANSPORT_TLS:
            tc.tlsConfig.certFile = config["cert"]
            tc.tlsConfig.privKeyFile = config["key"]
            tc.tlsConfig.verifyServer = False
            tc.tlsConfig.verifyClient = False
            tc.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
        ep.transportCreate(kind, tc)
    ep.libStart()
    return ep


def main() -> None:
    with open(sys.argv[1]) as file:
        config = json.load(file)
    ep = endpoint(config)
    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:pj@127.0.0.1:{config['port']}"
    acfg.mediaConfig.transportConfig.port = config["rtp_port"]
    acfg.mediaConfig.transportConfig.portRange = 10
    account = Account(config)
    account.create(acfg)
    emit("ready")
    buffer = b""
    running = True
    while running:
        ep.libHandleEvents(10)
        if not select.select([sys.stdin], [], [], 0)[0]:
            continue
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            command, _, arg = raw.decode().strip().partition(" ")
            try:
                if command == "dial":
                    call = Call(account, config)
                    account.calls.append(call)
                    call.makeCall(arg, pj.CallOpParam(True))
                elif command == "dtmf":
                    for call in account.calls:
                        if call.isActive():
                            call.dialDtmf(arg)
                elif command == "hangup":
                    for call in account.calls:
                        if call.isActive():
                            call.hangup(pj.CallOpParam())
                elif command == "quit":
                    running = False
            except pj.Error as exc:
                emit(f"error {exc.info()}")
    for call in account.calls:
        if call.isActive():
            call.hangup(pj.CallOpParam())
    for _ in range(30):
        ep.libHandleEvents(10)
    account.shutdown()
    ep.libDestroy()
    sys.stdout.flush()
    # pjsua2's Call destructors assert (abort) when they run after libDestroy at exit
    os._exit(0)


if __name__ == "__main__":
    main()
