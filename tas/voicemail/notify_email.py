"""E-mail plug-in: the summary with the message attached (WAV as stored, or OGG/Opus through
:mod:`tas.voicemail.export`), sent with ``aiosmtplib`` (RFC 5321; STARTTLS, RFC 3207, and
AUTH when configured). The Message-ID is derived from the idempotency key, so a re-sent
notification is recognisably the same e-mail (RFC 5322 §3.6.4)."""

from __future__ import annotations

import asyncio
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import aiosmtplib

from tas.config import NotifySettings
from tas.hostport import HostPort
from tas.voicemail.export import export_audio
from tas.voicemail.notify_channels import Notice, PermanentFailure, summary, transcript_text
from tas.voicemail.notify_models import Channel

__all__ = ["EmailNotifier", "compose"]


class EmailNotifier:
    channel = Channel.EMAIL

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self._host, self._port = HostPort.parse(settings.smtp, default_port=25).address()

    async def send(self, target: str, notice: Notice) -> str:
        audio = await notice.audio()
        fmt = self._settings.email_attachment
        if fmt == "ogg":
            audio = await asyncio.to_thread(_as_ogg, audio, notice.message.voicemail_id)
        email = compose(notice, self._settings.email_from, target, audio, fmt)
        password = self._settings.smtp_password.get_secret_value()
        try:
            await aiosmtplib.send(
                email,
                hostname=self._host,
                port=self._port,
                start_tls=self._settings.smtp_starttls,
                username=self._settings.smtp_username or None,
                password=password or None,
                timeout=self._settings.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"{target} refused: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(f"SMTP {exc.code} {exc.message}") from exc
            raise
        return f"e-mail to {target} ({fmt})"

    async def aclose(self) -> None:
        return None


def compose(notice: Notice, sender: str, to: str, audio: bytes, fmt: str) -> EmailMessage:
    """The e-mail: text part (summary, transcript), then the audio as ``<voicemail id>.wav|.ogg``."""
    message = notice.message
    email = EmailMessage()
    email["Subject"] = summary(message)
    email["From"] = sender
    email["To"] = to
    email["Date"] = format_datetime(message.created)
    email["Message-ID"] = f"<{notice.key.replace('/', '.')}@tas-voicemail>"
    email.set_content(
        f"{summary(message)}\n\n{transcript_text(notice)}\n\nThe message is attached.\n"
    )
    subtype = "wav" if fmt == "wav" else "ogg"
    email.add_attachment(
        audio,
        maintype="audio",
        subtype=subtype,
        filename=f"{message.voicemail_id}.{fmt}",
    )
    return email


def _as_ogg(wav: bytes, voicemail_id: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{voicemail_id}.ogg"
        export_audio(wav, out, "ogg", name=f"{voicemail_id}.wav")
        return out.read_bytes()
