"""The `paperwire` console script: the core CLI plus the commands that start platforms (`chat`, `run`)."""
from __future__ import annotations

from bot.cli import cli


def main() -> None:
    cli(prog_name="paperwire")


if __name__ == "__main__":
    main()
