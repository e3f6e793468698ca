"""`GET /healthz` and `GET /metrics` on the shared HTTP server (every mode, the console chat's too).

/healthz answers 200 `{"ok": true, "papers": N}` while the database answers and the scheduler and ingest loops
keep finishing rounds (bot.metrics.HEARTBEATS); otherwise 503 with `{"ok": false, "problems": {...}}`, so a
service manager or a load balancer can restart a stuck process. /metrics is Prometheus' text format.
"""
from __future__ import annotations

from aiohttp import web

from bot import metrics


def add_health_routes(app: web.Application, core) -> None:
    metrics.watch_sources(core.store)

    async def healthz(_request: web.Request) -> web.Response:
        problems: dict[str, str] = {}
        body: dict = {}
        try:
            body["papers"] = core.store.papers.count()
        except Exception as e:  # noqa: BLE001 - any database failure is the answer, not a crash
            problems["database"] = f"{type(e).__name__}: {e}"[:200]
        for loop, seconds in metrics.HEARTBEATS.stuck().items():
            problems[loop] = f"no round finished for {seconds:.0f} s"
        if problems:
            return web.json_response({"ok": False, **body, "problems": problems}, status=503)
        return web.json_response({"ok": True, **body})

    async def prometheus(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)
