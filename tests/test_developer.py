"""Developer habits hold: one version source, `make lint` in CI, benchmarks that explain a missing data set."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from adapters.cli import cli
from bot import __version__
from bot.sources.fetch import USER_AGENT

ROOT = Path(__file__).resolve().parent.parent


def test_one_version_source():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'version = {attr = "bot.__version__"}' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M)  # no second, literal version
    assert USER_AGENT.startswith(f"paperwire/{__version__} ")
    r = CliRunner().invoke(cli, ["--version"], obj=lambda *a, **k: None)
    assert r.exit_code == 0 and r.output.strip() == f"paperwire {__version__}"


def test_ci_runs_lint_beside_the_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make lint" in ci
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lint: .*\n\t.*ruff check bot store adapters tests bench\n\t.*mypy", makefile, re.M)
    extras = (ROOT / "pyproject.toml").read_text()
    assert '"ruff' in extras and '"mypy' in extras  # installed by `make install` through the test extras


def test_a_benchmark_without_its_data_says_so():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "ingest.py"), "--corpus", "/nonexistent/papers.jsonl.gz"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == ("ingest.py: skipped: /nonexistent/papers.jsonl.gz not found (the shared benchmark "
                                   "data, ../shared/data, is not on this machine)")
