"""Settings come from the environment; secrets never show in their repr (and so never in a log line)."""
from bot.config import Settings


def test_defaults_without_environment():
    s = Settings.from_env({})
    assert s.db_path == "paperwire.db" and s.port == 3000 and s.hf_endpoint == "https://huggingface.co"
    assert not s.telegram_enabled and not s.slack_enabled and s.slack_api_url == "https://slack.com/api/"


def test_environment_overrides_and_secrets_hidden():
    s = Settings.from_env({
        "PAPERWIRE_DB": "/tmp/x.db", "PORT": "8080", "HF_ENDPOINT": "http://127.0.0.1:9/",
        "TELEGRAM_BOT_TOKEN": "123456:SECRET-telegram", "SLACK_BOT_TOKEN": "xoxb-SECRET-slack",
        "SLACK_SIGNING_SECRET": "SECRET-signing", "PAPERWIRE_INGEST": "0", "PAPERWIRE_ARXIV_CATEGORIES": "cs.CL, cs.LG",
    })
    assert s.db_path == "/tmp/x.db" and s.port == 8080 and s.hf_endpoint == "http://127.0.0.1:9"
    assert s.telegram_enabled and s.slack_enabled and not s.ingest_enabled
    assert s.arxiv_categories == ("cs.CL", "cs.LG")
    assert "SECRET" not in repr(s) and "SECRET" not in str(s)
