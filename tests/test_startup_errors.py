"""Every known start-up mistake ends with one clear line on stderr, a non-zero exit and no traceback (issue 13).

Most cases run the real entry point (`adapters.cli.main`) in-process, which is fast; two run it as a subprocess to
show the installed command behaves the same. Tokens never appear in what is printed.
"""
from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import Settings, unknown_variables
from bot.errors import ConfigError
from fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def paperwire(monkeypatch, capsys, tmp_path):
    """Run `paperwire ARGS` in-process with extra environment; returns (exit code, stdout, stderr)."""
    seeds = tmp_path / "no-seeds"
    seeds.mkdir()
    monkeypatch.setenv("PAPERWIRE_SEEDS", str(seeds))
    monkeypatch.setenv("PAPERWIRE_INGEST", "0")
    monkeypatch.setenv("HOST", "127.0.0.1")

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.setattr(sys, "argv", ["paperwire", *args])
        code = 0
        try:
            main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def one_line(err: str) -> str:
    info = ("warning:", "new database", "created a new database")  # notes said before the failure
    lines = [line for line in err.splitlines() if line.strip() and not any(i in line for i in info)]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("name, value, expected", [
    ("PORT", "notanumber", "PORT must be a TCP port number from 1 to 65535, got 'notanumber'"),
    ("PORT", "99999", "PORT must be a TCP port number"),
    ("PAPERWIRE_TICK_SECONDS", "often", "PAPERWIRE_TICK_SECONDS must be a duration"),
    ("PAPERWIRE_INGEST_INTERVAL", "soon", "PAPERWIRE_INGEST_INTERVAL must be a duration of at least 1 s, like 3600"),
    ("PAPERWIRE_CLOCK_SPEED", "fast", "PAPERWIRE_CLOCK_SPEED must be a positive number"),
    ("PAPERWIRE_CLOCK_SPEED", "-2", "PAPERWIRE_CLOCK_SPEED must be a positive number"),
    ("PAPERWIRE_NOW", "yesterday", "PAPERWIRE_NOW must be an ISO-8601 time"),
    ("PAPERWIRE_INGEST", "maybe", "PAPERWIRE_INGEST must be 1/0, true/false"),
    ("HF_ENDPOINT", "huggingface.co", "HF_ENDPOINT must be an http(s) URL"),
    ("PAPERWIRE_ARXIV_CATEGORIES", "cs.CL,Physics!", "'Physics!' is not one"),
    ("PAPERWIRE_ARXIV_CATEGORIES", "cs.CL,foo.bar", "'foo.bar' is not an arXiv category"),
    ("PAPERWIRE_LOG_LEVEL", "loud", "PAPERWIRE_LOG_LEVEL must be one of DEBUG, INFO"),
    ("PAPERWIRE_LOG_FORMAT", "xml", "PAPERWIRE_LOG_FORMAT must be one of text, json"),
    ("PAPERWIRE_SENDS_IN_FLIGHT", "0", "PAPERWIRE_SENDS_IN_FLIGHT must be a whole number from 1 to 32"),
    ("PAPERWIRE_SENDS_IN_FLIGHT", "many", "PAPERWIRE_SENDS_IN_FLIGHT must be a whole number from 1 to 32"),
])
def test_bad_values_name_the_variable_and_the_form(name, value, expected):
    with pytest.raises(ConfigError) as e:
        Settings.from_env({name: value})
    assert expected in str(e.value) and "\n" not in str(e.value)


def test_durations_accept_units():
    s = Settings.from_env({"PAPERWIRE_INGEST_INTERVAL": "1h", "PAPERWIRE_TICK_SECONDS": "45s"})
    assert s.ingest_interval_s == 3600 and s.tick_seconds == 45


def test_bad_token_shapes_are_refused_without_showing_them():
    for name, value in (("TELEGRAM_BOT_TOKEN", "not a token SECRET"), ("SLACK_BOT_TOKEN", "xapp-SECRET"),
                        ("SLACK_APP_TOKEN", "xoxb-SECRET")):
        with pytest.raises(ConfigError) as e:
            Settings.from_env({name: value})
        assert name in str(e.value) and "SECRET" not in str(e.value)


def test_bad_port_fails_even_stats_with_one_line(paperwire, tmp_path):
    code, out, err = paperwire("--db", str(tmp_path / "x.db"), "stats", PORT="notanumber")
    assert code == 2 and out == ""
    assert one_line(err) == "paperwire: PORT must be a TCP port number from 1 to 65535, got 'notanumber'"


def test_unknown_variable_gets_did_you_mean(paperwire, tmp_path):
    assert unknown_variables({"TELEGRAM_TOKEN": "x"}) == [
        "unknown setting TELEGRAM_TOKEN is ignored (did you mean TELEGRAM_BOT_TOKEN?)"]
    code, _, err = paperwire("--db", str(tmp_path / "x.db"), "run", TELEGRAM_TOKEN="123:" + "a" * 30)
    assert "warning: unknown setting TELEGRAM_TOKEN is ignored (did you mean TELEGRAM_BOT_TOKEN?)" in err
    # under a service manager (no terminal) that typo must not look like a working bot
    assert code == 1 and one_line(err).startswith("paperwire: no platform configured (set TELEGRAM_BOT_TOKEN or "
                                                  "SLACK_BOT_TOKEN")
    assert "a" * 30 not in err
    assert not (tmp_path / "x.db").exists()  # nothing was created for a run that could not start


def test_port_in_use(paperwire, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = paperwire("--db", str(tmp_path / "x.db"), "run", "--no-console", "--no-ingest", PORT=str(port))
    assert code == 1
    assert one_line(err).endswith(f"cannot listen on 127.0.0.1:{port}: address already in use: stop the other "
                                  "process or set PORT to a free port")


def test_database_path_under_a_file(paperwire, tmp_path):
    (tmp_path / "afile").write_text("x")
    code, _, err = paperwire("--db", str(tmp_path / "afile" / "sub" / "p.db"), "ingest", str(tmp_path / "afile"))
    assert code == 1
    assert one_line(err) == (f"paperwire: cannot create the database {tmp_path}/afile/sub/p.db: {tmp_path}/afile is "
                             "a file, not a folder (check --db / PAPERWIRE_DB)")


def test_database_in_a_missing_folder_is_not_created(paperwire, tmp_path):
    code, _, err = paperwire("--db", str(tmp_path / "typo" / "p.db"), "ingest", str(ROOT / "README.md"))
    assert code == 1 and "the folder " + str(tmp_path / "typo") + " does not exist" in one_line(err)
    assert not (tmp_path / "typo").exists()


def test_database_in_an_unwritable_folder(paperwire, tmp_path):
    # /proc refuses new files even to root (CI runs as root, so a chmod would not show anything)
    code, _, err = paperwire("--db", "/proc/paperwire-test.db", "ingest", str(ROOT / "README.md"))
    assert code == 1
    assert one_line(err) == ("paperwire: cannot open the database /proc/paperwire-test.db: unable to open database "
                             "file (is /proc writable?)")


def test_database_of_random_bytes(paperwire, tmp_path):
    db = tmp_path / "junk.db"
    db.write_bytes(bytes(range(256)) * 64)
    code, _, err = paperwire("--db", str(db), "stats")
    assert code == 1
    assert one_line(err).startswith(f"paperwire: {db} is not a usable SQLite database (file is not a database)")


@pytest.mark.parametrize("command", [["stats"], ["search", "mamba"], ["digest", "--chat", "console:you"],
                                     ["push", "--dry-run"]])
def test_reads_never_create_a_database(paperwire, tmp_path, command):
    db = tmp_path / "missing.db"
    code, _, err = paperwire("--db", str(db), *command)
    assert code == 1 and one_line(err).startswith(f"paperwire: no database at {db} (check --db / PAPERWIRE_DB")
    assert not db.exists()


def test_slack_bot_token_alone(paperwire, tmp_path):
    code, _, err = paperwire("--db", str(tmp_path / "x.db"), "run", SLACK_BOT_TOKEN="xoxb-hush-1")
    assert code == 2
    assert one_line(err) == ("paperwire: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                             "SLACK_SIGNING_SECRET (HTTP mode at /slack/events) is")
    assert "hush" not in err


class ThreadedFake:
    """The fake Telegram server on its own event loop (the entry point under test runs asyncio.run itself)."""

    def __enter__(self) -> FakeTelegram:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeTelegram()
        asyncio.run_coroutine_threadsafe(self.fake.__aenter__(), self.loop).result(10)
        return self.fake

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.__aexit__(None, None, None), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def test_rejected_telegram_token(paperwire, tmp_path):
    wrong = "999:SECRETwrongTOKEN_0123456789"
    with ThreadedFake() as fake:
        code, out, err = paperwire("--db", str(tmp_path / "x.db"), "run", "--no-ingest", PORT=free_port(),
                                   TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_API_BASE_URL=fake.url)
    assert code == 1
    assert one_line(err) == (f"paperwire: Telegram ({fake.url}) rejected TELEGRAM_BOT_TOKEN: check the token "
                             "@BotFather gave you")
    assert "SECRET" not in err + out


def test_unreachable_telegram_api_base_url(paperwire, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the socket is closed
    code, _, err = paperwire("--db", str(tmp_path / "x.db"), "run", "--no-ingest", PORT=free_port(),
                             TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=url)
    assert code == 1
    assert one_line(err) == (f"paperwire: cannot reach the Telegram Bot API at {url} (NetworkError): check "
                             "TELEGRAM_API_BASE_URL and the network")
    assert TOKEN not in err


def test_debug_level_shows_the_traceback(paperwire, tmp_path):
    code, _, err = paperwire("--db", str(tmp_path / "missing.db"), "stats", PAPERWIRE_LOG_LEVEL="DEBUG")
    assert code == 1 and "Traceback" in err and "no database at" in err


def _cli(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PAPERWIRE_INGEST": "0"}
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={**base, **env}, stdin=subprocess.DEVNULL)


def test_installed_command_same_behaviour(tmp_path):
    proc = _cli(tmp_path, "--db", str(tmp_path / "x.db"), "run", PAPERWIRE_TICK_SECONDS="0")
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line(proc.stderr) == ("paperwire: PAPERWIRE_TICK_SECONDS must be a duration of at least 1 s, like "
                                     "3600, 90s, 30m or 1h; got '0'")
    proc = _cli(tmp_path, "--db", str(tmp_path / "x.db"), "run")  # stdin is not a terminal: no console chat
    assert proc.returncode == 1 and "no platform configured" in one_line(proc.stderr)


def test_ingest_into_a_new_database_loads_only_the_file(paperwire, tmp_path, monkeypatch):
    """No PAPERWIRE_SEEDS override: the shipped seeds exist, yet a new database gets exactly the file given."""
    monkeypatch.delenv("PAPERWIRE_SEEDS")
    db = tmp_path / "x.db"
    code, out, err = paperwire("--db", str(db), "ingest", str(ROOT / "tests" / "data" / "hf_daily_papers_2026-08-21.json"))
    assert code == 0, err
    assert f"created a new database {db}" in err
    assert "17 added" in out and "papers in the database: 17" in out
