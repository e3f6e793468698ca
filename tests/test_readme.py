"""The README stays true: the commands it shows exist, the env vars it names are read, and CI runs its test command."""
from __future__ import annotations

import re
from pathlib import Path

from adapters.cli import cli  # the entry point, with every command registered
from bot import registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_paperwire_subcommand_in_the_readme_exists():
    named = set(re.findall(r"paperwire (?:--db \S+ |\[--db PATH\] )?([a-z][a-z-]+)", README))
    assert {"run", "chat", "search", "ingest", "fetch", "stats", "digest", "push"} <= named
    assert named - set(cli.commands) == set()


def test_every_env_var_in_the_readme_is_read_by_config():
    config = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:PAPERWIRE|TELEGRAM|SLACK|HF|ARXIV)_[A-Z_]+|PORT|HOST)`", README))
    assert len(named) > 15
    assert {v for v in named if f'"{v}"' not in config} == set()


def test_quick_start_commands_are_the_ones_ci_and_make_use():
    assert "make run" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test: .*\n\t.*pytest", makefile, re.M)
    assert re.search(r"^run: .*\n\t.*paperwire run", makefile, re.M)


# slash words in the README that are not Paperwire chat commands: Slack's /invite, BotFather's /setinline, the
# console's /quit, the HTTP /healthz and /metrics routes
NOT_CHAT_COMMANDS = {"invite", "setinline", "quit", "healthz", "metrics"}


def test_every_chat_command_is_documented_and_every_documented_one_exists():
    documented = set(re.findall(r"(?<![\w/.:<-])/([a-z][a-z0-9_]*)\b(?![/.\w-])", README)) - NOT_CHAT_COMMANDS
    assert {c.name for c in registry.commands()} - documented == set()  # every command documented
    assert documented - set(registry.words()) == set()  # every documented command exists (name or alias)
