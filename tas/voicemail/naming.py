"""Names of the voicemail store's files, and the instance id every temporary name carries.

Replicas may share one data folder (a k8s volume): each only ever creates, and at start-up
recovery only ever removes, temporary files whose name carries its own instance id.

* ``<id>.<instance>.rec``: the finished recording, staged until its commit moves it into the
  blob store (the recorder's own temp is ``.<id>.<instance>.rec.<pid>.<n>.part``).
* ``<id>.<instance>.pending``: the reservation sidecar (JSON).
* ``<id>.wav``: a committed message's audio in the local-folder backend.

Names of the previous release (``<id>.pending``, ``.<id>.wav.<pid>.part``) carry no instance;
they are treated as the own instance's, which is what a single-instance upgrade needs.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from typing import Literal

__all__ = ["FileName", "Kind", "default_instance", "parse_name", "pending_name", "staged_name"]

Kind = Literal["audio", "staged", "pending", "temp"]
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_INSTANCE = r"[A-Za-z0-9_-]{1,64}"
_AUDIO = re.compile(rf"(?P<id>{_UUID})\.wav")
_STAGED = re.compile(rf"(?P<id>{_UUID})\.(?P<instance>{_INSTANCE})\.rec")
_PENDING = re.compile(rf"(?P<id>{_UUID})(?:\.(?P<instance>{_INSTANCE}))?\.pending")
_TEMP = re.compile(
    rf"\.(?P<id>{_UUID})(?:\.(?P<instance>{_INSTANCE})\.(?:rec|pending)|\.wav|\.pending)\.[^/]*\.part"
)


@dataclass(frozen=True, slots=True)
class FileName:
    """A parsed file name of the store; ``instance`` is None for previous-release names."""

    kind: Kind
    voicemail_id: str
    instance: str | None

    def owned_by(self, instance: str) -> bool:
        """Whether ``instance``'s recovery may act on this file."""
        return self.instance is None or self.instance == instance


def clean_instance(value: str) -> str:
    """An instance id safe in a file name (other characters become ``_``, at most 64)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", value.strip())[:64]
    return cleaned or "tas"


def default_instance(instance: str | int | None = None) -> str:
    """This process's instance id: ``TAS_INSTANCE_ID`` if set, else the host name, plus
    ``-<instance>`` (``tas serve --instance N``) when several replicas share one host."""
    base = os.environ.get("TAS_INSTANCE_ID") or socket.gethostname()
    suffix = f"-{instance}" if instance not in (None, "", 0, "0") else ""
    return clean_instance(f"{base}{suffix}")


def staged_name(voicemail_id: str, instance: str) -> str:
    return f"{voicemail_id}.{instance}.rec"


def pending_name(voicemail_id: str, instance: str) -> str:
    return f"{voicemail_id}.{instance}.pending"


def parse_name(name: str) -> FileName | None:
    """What a file in a mailbox folder is, or None for a file that is not ours."""
    if match := _AUDIO.fullmatch(name):
        return FileName("audio", match["id"], None)
    if match := _STAGED.fullmatch(name):
        return FileName("staged", match["id"], match["instance"])
    if match := _PENDING.fullmatch(name):
        return FileName("pending", match["id"], match["instance"])
    if match := _TEMP.fullmatch(name):
        return FileName("temp", match["id"], match["instance"])
    return None
