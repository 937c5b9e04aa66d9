"""The shipped deploy/ files are valid as shipped (issue #14 item 5): Kubernetes manifests
against the Kubernetes schema (kubernetes-validate, strict), the config they carry under our
strict settings rules, the compose file's wiring; ``docker compose config`` (or Debian's ``docker-compose``, which
validates without an engine) where a compose client exists."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tas.config import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _k8s_documents() -> list[dict[str, object]]:
    return [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "tas.yaml").read_text()) if d]


def test_kubernetes_manifests_validate_strictly() -> None:
    documents = _k8s_documents()
    assert {d["kind"] for d in documents} >= {"ConfigMap", "Deployment"}
    for document in documents:
        kubernetes_validate.validate(document, "1.30", strict=True)


def test_the_config_map_is_a_valid_tas_config(tmp_path: Path) -> None:
    config = next(d for d in _k8s_documents() if d["kind"] == "ConfigMap")
    data = config["data"]
    assert isinstance(data, dict)
    path = tmp_path / "tas.toml"
    path.write_text(data["tas.toml"])
    settings = load_settings(path)
    assert settings.voicemail.storage == "database"  # replicas share the audio
    assert settings.operator.trusted  # nothing trusted would answer every leg 403
    deployment = next(d for d in _k8s_documents() if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]  # type: ignore[index]
    assert pod["terminationGracePeriodSeconds"] > settings.server.drain_timeout
    probes = pod["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_compose_wiring() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    tas, postgres = compose["services"]["tas"], compose["services"]["postgres"]
    url = tas["environment"]["TAS_DATABASE__URL"]
    if tas.get("network_mode") == "host":  # no service DNS on the host network
        assert "@127.0.0.1:5432/" in url
        assert "127.0.0.1:5432:5432" in postgres["ports"]
    assert tas["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(tas["healthcheck"]["test"])
    assert (DEPLOY / "tas.toml").is_file()
    load_settings(DEPLOY / "tas.toml")


def _compose_client() -> list[str] | None:
    """A compose client that validates without an engine: the ``docker compose`` plugin, or
    Debian's ``docker-compose`` (1.29, package docker-compose; .ci/run installs it)."""
    if shutil.which("docker") is not None:
        done = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if done.returncode == 0:
            return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found is not None else None


COMPOSE = _compose_client()


@pytest.mark.skipif(
    COMPOSE is None,
    reason="no compose client (apt-get install docker-compose; the engine is not needed)",
)
def test_docker_compose_config() -> None:
    assert COMPOSE is not None
    done = subprocess.run(
        [*COMPOSE, "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_compose_client_refuses_a_broken_file(tmp_path: Path) -> None:
    """The check above can fail: the client refuses a service that depends on a missing one."""
    if COMPOSE is None:
        pytest.skip("no compose client (apt-get install docker-compose)")
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        "services:\n  tas:\n    image: tas\n    depends_on:\n"
        "      postgres:\n        condition: service_healthy\n"
    )
    done = subprocess.run(
        [*COMPOSE, "-f", str(broken), "config", "-q"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "postgres" in done.stderr
