"""The house rules, held by a test: bot/ is platform- and SQL-free, SQL lives in store/, env only in bot/config.py."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_BOT = {"adapters", "store", "sqlite3", "sqlite_utils", "telegram", "slack_bolt", "slack_sdk"}
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b[^\n]*\b(FROM|INTO|SET)\b")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _py(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_core_imports_no_platform_and_no_sql():
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN_IN_BOT) for p in _py("bot")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_sql_lives_only_in_store():
    offenders = [str(p.relative_to(ROOT)) for folder in ("bot", "adapters") for p in _py(folder)
                 if SQL.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_environment_is_read_only_in_config():
    offenders = [str(p.relative_to(ROOT)) for folder in ("bot", "adapters", "store") for p in _py(folder)
                 if "os.environ" in p.read_text(encoding="utf-8") or "getenv(" in p.read_text(encoding="utf-8")]
    assert offenders == ["bot/config.py"]


def test_store_does_not_import_adapters_or_platforms():
    for p in _py("store"):
        assert not (_imports(p) & {"adapters", "telegram", "slack_bolt"}), p
        # slack_sdk only for its SQLite installation/state stores: the store owns every SQLite file
        assert "slack_sdk" not in _imports(p) or p.name == "slack_oauth.py", p
