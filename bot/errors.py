"""Known failures: each carries one line a person can act on. The entry point prints it and exits non-zero,
with no traceback (unless PAPERWIRE_LOG_LEVEL=DEBUG). Messages never hold a token or a secret."""
from __future__ import annotations


class FatalError(Exception):
    """A failure the user can fix (a setting, a path, a port, a credential): `str(e)` is the whole story."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(FatalError):
    """A setting is missing, malformed or inconsistent; the message names the variable and the expected form."""

    exit_code = 2
