"""`make bench`: every benchmark in turn, each in its own process; a missing data set skips it with one line.

The numbers are for a shared machine: run once, note them, say the machine was shared.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = ["search_quality.py", "gen_queries.py", "match_topics.py", "ingest.py", "digests.py", "fanout.py",
         "slack_ack.py"]


def main() -> int:
    scripts = ORDER + sorted(p.name for p in BENCH.glob("[a-z]*.py") if p.name not in ORDER + ["run_all.py"])
    results = []
    for name in scripts:
        print(f"=== bench/{name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(BENCH / name)])
        results.append((name, {0: "ok", 3: "skipped (no data)"}.get(code, f"failed (exit {code})"),
                        time.monotonic() - started))
    print("=== summary")
    for name, outcome, seconds in results:
        print(f"{name:20} {outcome:20} {seconds:7.1f} s")
    return 1 if any(o.startswith("failed") for _, o, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
