"""Where Slack installations live: slack_sdk's own SQLite installation and OAuth-state stores, in a folder next to
the database. The store package owns every SQLite file the app writes, so the Slack adapter asks here."""
from __future__ import annotations

from pathlib import Path

from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore


def installation_store(data_dir: Path, client_id: str) -> SQLite3InstallationStore:
    data_dir.mkdir(parents=True, exist_ok=True)
    return SQLite3InstallationStore(database=str(data_dir / "installations.db"), client_id=client_id)


def oauth_state_store(data_dir: Path, expiration_seconds: int = 600) -> SQLite3OAuthStateStore:
    data_dir.mkdir(parents=True, exist_ok=True)
    return SQLite3OAuthStateStore(database=str(data_dir / "oauth_state.db"), expiration_seconds=expiration_seconds)
