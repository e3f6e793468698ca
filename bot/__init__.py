"""Paperwire's platform-neutral core. `__version__` is the one version source (pyproject reads it)."""

__version__ = "0.1.0"
