"""The `paperwire` console script: the core CLI plus the commands that start platforms (`chat`, `run`, `doctor`).

Known failures (bot.errors.FatalError: a bad setting, a database path, a port, a rejected credential) end with one
line on stderr and a non-zero exit; anything else with one line and a hint. Tracebacks only with
PAPERWIRE_LOG_LEVEL=DEBUG.
"""
from __future__ import annotations

import sys
import traceback

from adapters.cli_ops import backup_command, export_command, import_command
from adapters.console import chat_command
from adapters.doctor import doctor_command
from adapters.runner import run_command
from adapters.wiring import open_store
from bot.cli import cli
from bot.config import debug_requested, redact
from bot.errors import FatalError

cli.add_command(run_command)
cli.add_command(chat_command)
cli.add_command(doctor_command)
cli.add_command(backup_command)
cli.add_command(export_command)
cli.add_command(import_command)


def main() -> None:
    try:
        cli(prog_name="paperwire", obj=open_store)
    except FatalError as e:
        if debug_requested():
            traceback.print_exc()
        print(f"paperwire: {redact(str(e))}", file=sys.stderr)
        sys.exit(e.exit_code)
    except Exception as e:  # a bug: still one line, the traceback on request
        if debug_requested():
            traceback.print_exc()
        print(f"paperwire: unexpected error: {type(e).__name__}: {redact(str(e))} "
              "(run with PAPERWIRE_LOG_LEVEL=DEBUG for the traceback)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
