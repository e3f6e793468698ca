"""Makes every benchmark runnable as `python bench/X.py` from anywhere: imported first by each of them.

- Outside the project's virtualenv (no sqlite_utils, ...), it re-runs the script with `.venv/bin/python` when that
  exists, or says to run `make install` (instead of a ModuleNotFoundError traceback).
- `need_corpus(path)` stops with one line when the shared data set (../shared/data) is absent, e.g. on a fresh clone.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    import rapidfuzz  # noqa: F401
    import sqlite_utils  # noqa: F401
except ImportError:
    if VENV_PYTHON.exists() and not os.environ.get("PAPERWIRE_BENCH_REEXEC"):
        os.environ["PAPERWIRE_BENCH_REEXEC"] = "1"
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    sys.exit(f"{Path(sys.argv[0]).name}: the project's dependencies are not installed: run `make install`, then "
             f"`.venv/bin/python bench/{Path(sys.argv[0]).name}` (or `make bench`)")


def need_corpus(*paths: Path) -> None:
    """Exit with one line (status 3: skipped) when a data file the benchmark needs is missing."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"{Path(sys.argv[0]).name}: skipped: {missing[0]} not found (the shared benchmark data, "
              "../shared/data, is not on this machine)", file=sys.stderr)
        sys.exit(3)
