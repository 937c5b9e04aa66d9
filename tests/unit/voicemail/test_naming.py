"""File names of the voicemail store: what is whose, and the instance id in every temp name."""

from __future__ import annotations

import pytest

from tas.voicemail.naming import (
    clean_instance,
    default_instance,
    parse_name,
    pending_name,
    staged_name,
)

ID = "0b3c2b8e-1c1a-4a57-9a83-1a2b3c4d5e6f"


def test_names_carry_the_instance_and_parse_back() -> None:
    staged = parse_name(staged_name(ID, "pod-a"))
    pending = parse_name(pending_name(ID, "pod-a"))
    assert staged is not None and (staged.kind, staged.instance) == ("staged", "pod-a")
    assert pending is not None and (pending.kind, pending.voicemail_id) == ("pending", ID)
    assert staged.owned_by("pod-a") and not staged.owned_by("pod-b")


@pytest.mark.parametrize(
    ("name", "instance"),
    [
        (f".{ID}.pod-a.rec.123.7f00.part", "pod-a"),  # media.wav.WavWriter's temp
        (f".{ID}.pod-a.rec.123.part", "pod-a"),  # wavfile.write_durably's temp
        (f".{ID}.pod-a.pending.123.part", "pod-a"),  # the sidecar's temp
        (f".{ID}.wav.123.part", None),  # previous release: nobody's in particular
    ],
)
def test_temporaries_name_their_instance(name: str, instance: str | None) -> None:
    parsed = parse_name(name)
    assert parsed is not None and parsed.kind == "temp" and parsed.instance == instance


def test_previous_release_names_belong_to_every_instance() -> None:
    legacy = parse_name(f"{ID}.pending")
    assert legacy is not None and legacy.instance is None and legacy.owned_by("any")


@pytest.mark.parametrize("name", ["notes.txt", ".other.wav.1.part", f"{ID}.wav.bak", "x.rec"])
def test_foreign_files_are_not_ours(name: str) -> None:
    assert parse_name(name) is None


def test_committed_audio_has_no_instance() -> None:
    audio = parse_name(f"{ID}.wav")
    assert audio is not None and audio.kind == "audio" and audio.instance is None


def test_instance_ids_are_safe_file_name_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert clean_instance("tas 1/../x") == "tas_1____x"
    assert clean_instance("") == "tas"
    monkeypatch.setenv("TAS_INSTANCE_ID", "node.7")
    assert default_instance() == "node_7"
    assert default_instance(2) == "node_7-2"
    monkeypatch.delenv("TAS_INSTANCE_ID")
    assert default_instance() != ""


def test_a_process_instance_id_adds_the_server_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace
    from typing import Any

    from tas.voicemail.store import instance_of

    monkeypatch.setenv("TAS_INSTANCE_ID", "host")
    with_server: Any = SimpleNamespace(server=SimpleNamespace(instance="3"))
    without: Any = SimpleNamespace()
    assert instance_of(with_server) == "host-3" and instance_of(without) == "host"
