"""`paperwire doctor` against the local fakes: one line per check, exit 1 when any fails, never a token."""
from __future__ import annotations

import sqlite3

from aiohttp import web
from click.testing import CliRunner
from fake_slack import FakeSlack
from fake_telegram import TOKEN, FakeTelegram

from adapters.cli import cli
from adapters.doctor import run_checks
from adapters.wiring import open_store
from bot.config import Settings


class FakeUpstream:
    """HF and arXiv endpoints on 127.0.0.1 that answer (or fail) a probe."""

    def __init__(self, status: int = 200):
        self.status = status
        self.paths: list[str] = []

    async def __aenter__(self) -> "FakeUpstream":
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._any)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()

    async def _any(self, request: web.Request) -> web.Response:
        self.paths.append(request.path)
        return web.Response(status=self.status, text="[]")


def _db(tmp_path) -> str:
    (tmp_path / "seeds").mkdir()
    path = str(tmp_path / "p.db")
    open_store(Settings(db_path=path, seeds_dir=str(tmp_path / "seeds"))).close()
    return path


async def test_all_checks_pass_against_the_fakes(tmp_path):
    db = _db(tmp_path)
    async with FakeTelegram() as tg, FakeUpstream() as up:
        slack = await FakeSlack().start()
        try:
            settings = Settings(db_path=db, telegram_token=TOKEN, telegram_api_base_url=tg.url,
                                slack_bot_token="xoxb-test", slack_app_token="xapp-test", slack_api_url=slack.base_url,
                                hf_endpoint=up.url, arxiv_api_url=up.url + "/api/query", arxiv_categories=("cs.CL",),
                                arxiv_feed_url=up.url + "/rss")
            checks = await run_checks(settings)
        finally:
            await slack.stop()
    lines = [c.line() for c in checks]
    assert all(c.status == "ok" for c in checks), lines
    names = [c.name for c in checks]
    assert names[:4] == ["config", "database", "schema", "disk"]
    assert {"telegram", "slack", "source Hugging Face", "source arXiv feed cs.CL", "source arXiv API"} <= set(names)
    assert any(line.startswith("OK    telegram: getMe: @PaperwireBot") for line in lines)
    assert any("auth.test: team Team T1 (T1)" in line for line in lines)
    assert "quick_check ok" in lines[1] and "up to date" in lines[2]
    assert sorted(up.paths) == ["/api/daily_papers", "/api/query", "/rss/cs.CL"]
    assert "getMe" in [c.method for c in tg.calls]
    assert all(TOKEN not in line and "xoxb-test" not in line for line in lines)


async def test_failures_are_one_line_each(tmp_path):
    db = tmp_path / "corrupt.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    async with FakeTelegram(token="999:the-real-one") as tg, FakeUpstream(status=503) as up:
        slack = await FakeSlack().start()
        slack.fail("auth.test", "invalid_auth")
        try:
            settings = Settings(db_path=str(db), telegram_token=TOKEN, telegram_api_base_url=tg.url,
                                slack_bot_token="xoxb-test", slack_api_url=slack.base_url, hf_endpoint=up.url)
            checks = await run_checks(settings)
        finally:
            await slack.stop()
    by = {c.name: c for c in checks}
    assert by["config"].status == "fail" and "SLACK_BOT_TOKEN is set but neither" in by["config"].detail
    assert by["database"].status == "fail" and str(db) in by["database"].detail
    assert by["telegram"].status == "fail" and "rejected TELEGRAM_BOT_TOKEN" in by["telegram"].detail
    assert by["slack"].status == "fail" and "invalid_auth" in by["slack"].detail
    assert by["source Hugging Face"].status == "fail" and "answered HTTP 503" in by["source Hugging Face"].detail
    assert all("\n" not in c.line() and TOKEN not in c.line() for c in checks)


def test_doctor_command_exit_codes(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(cli, ["--db", str(tmp_path / "nope.db"), "doctor"], obj=open_store,
                            env={"PAPERWIRE_INGEST": "0"})
    assert missing.exit_code == 1 and "FAIL  database: no database at" in missing.output
    assert "checks failed." in missing.output and not (tmp_path / "nope.db").exists()
    db = _db(tmp_path)
    good = runner.invoke(cli, ["--db", db, "doctor"], obj=open_store, env={"PAPERWIRE_INGEST": "0"})
    assert good.exit_code == 0, good.output
    assert "SKIP  sources: PAPERWIRE_INGEST=0" in good.output and "checks passed." in good.output
    # a broken setting is reported as a failed check (doctor still looks at the rest)
    bad = runner.invoke(cli, ["--db", db, "doctor"], obj=open_store, env={"PAPERWIRE_INGEST": "0", "PORT": "x"})
    assert bad.exit_code == 1 and "FAIL  config: PORT must be a TCP port number" in bad.output
    assert "OK    database:" in bad.output


def test_schema_reports_pending_and_newer_migrations(tmp_path):
    from store.health import open_readonly, schema_status

    db = _db(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM _sqlite_migrations WHERE rowid = (SELECT max(rowid) FROM _sqlite_migrations)")
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('chats', 'm999_x', 'now')")
    conn.commit()
    conn.close()
    ro = open_readonly(db)
    status = schema_status(ro)
    ro.close()
    assert len(status.pending) == 1 and status.unknown == ["chats.m999_x"]
