"""Builds tests/data/schema_a9951b3.db: a database made by Paperwire at commit a9951b3 (the schema before issue
13's wave), with one chat, its settings, two topics, two papers and one delivery. Run it from a checkout of
a9951b3: `git archive a9951b3 | tar -x -C /tmp/old && cd /tmp/old && python make_schema_a9951b3.py OUT.db`."""
import sys
sys.path.insert(0, ".")
from pathlib import Path
from store import Store
from bot.models import Paper
p = Path(sys.argv[1])
p.unlink(missing_ok=True)
s = Store(p)
now = "2024-01-02T00:00:00+00:00"
s.papers.upsert_many([Paper.make("Diffusion models for old databases", "2401.00001", published="2024-01-01"),
                      Paper.make("State space models remembered", "2401.00002", published="2024-01-02")], now=now)
s.chats.ensure("telegram", "42", kind="group", title="Old lab", now=now, tz="Europe/Berlin")
s.chats.update("telegram", "42", digest_time="07:30", trending_n=5, trending_time="09:00")
s.chats.add_topic("telegram", "42", "diffusion -medical", "diffusion -medical", now=now)
s.chats.add_topic("telegram", "42", "author:Hinton", "author:hinton", now=now)
s.chats.record_deliveries("telegram", "42", ["2401.00001"], now=now)
s.db.execute("PRAGMA journal_mode=DELETE")
s.db.execute("VACUUM")
s.close()
