"""The `paperwire` console script: the core CLI plus the commands that start platforms (`chat`, `run`)."""
from __future__ import annotations

from adapters.console import chat_command
from adapters.runner import run_command
from adapters.wiring import open_store
from bot.cli import cli

cli.add_command(run_command)
cli.add_command(chat_command)


def main() -> None:
    cli(prog_name="paperwire", obj=open_store)


if __name__ == "__main__":
    main()
