"""deploy/: the service files name commands and options that exist and keep the promises the README makes."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from adapters.cli import cli

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _invocable(argv: list[str]) -> None:
    """`paperwire ARGS` parses (the command and every option exist): `--help` after them exits 0."""
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [*argv, "--help"], obj=lambda *a, **k: None)
    assert result.exit_code == 0, (argv, result.output)


def test_systemd_unit():
    unit = (DEPLOY / "paperwire.service").read_text()
    keys = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    assert keys["EnvironmentFile"] == "/etc/paperwire/paperwire.env"
    assert keys["Restart"] == "on-failure" and keys["RestartPreventExitStatus"] == "2"  # config errors exit 2
    for hardening in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "CapabilityBoundingSet",
                      "RestrictAddressFamilies", "SystemCallFilter", "ReadWritePaths"):
        assert hardening in keys, hardening
    assert keys["ReadWritePaths"] in keys["Environment"]  # the database lives where it may write
    _invocable(shlex.split(keys["ExecStart"])[1:])


def test_dockerfile_and_compose():
    docker = (DEPLOY / "Dockerfile").read_text()
    assert "HEALTHCHECK" in docker and "/healthz" in docker and 'VOLUME ["/data"]' in docker
    assert "USER paperwire" in docker and "STOPSIGNAL SIGTERM" in docker
    entry = re.search(r'^ENTRYPOINT \["paperwire"\]\nCMD (\[.*\])$', docker, re.M)
    assert entry
    _invocable(eval(entry.group(1)))  # noqa: S307 - a JSON list from our own file
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "healthcheck:" in compose and "/healthz" in compose
    assert re.search(r"volumes:\n\s+- paperwire-data:/data", compose) and "PAPERWIRE_DB: /data/paperwire.db" in compose
    assert "env_file: paperwire.env" in compose and (DEPLOY / "paperwire.env.example").exists()
