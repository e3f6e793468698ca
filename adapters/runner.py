"""`paperwire run`: one asyncio process — the scheduler loop, the ingest loop, the configured platforms and /healthz.

The runner only wires: which adapters start is decided by the settings; what is due is the core's business; delivery
is the adapter's. With no platform token configured it starts the local console chat, so a fresh clone does something.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys
from typing import Optional

import click
from aiohttp import web

from bot import metrics
from bot.collector import freeze_long_lived
from bot.config import Settings
from bot.errors import FatalError
from bot.models import DeliveryResult, Digest

log = logging.getLogger("paperwire.runner")


def platform_adapters(core, settings: Settings) -> list:
    """The adapters the settings ask for (imported lazily: a Slack-only deployment never loads PTB)."""
    found: list = []
    if settings.telegram_enabled:
        from adapters import telegram

        found.append(telegram.create_adapter(core, settings))
    if settings.slack_enabled:
        from adapters import slack

        found.append(slack.create_adapter(core, settings))
    return found


def make_web_app(core) -> web.Application:
    """The shared HTTP server: /healthz and /metrics (adapters/health.py); adapters add their webhook routes before
    it starts."""
    from adapters.health import add_health_routes

    app = web.Application()
    add_health_routes(app, core)
    return app


class Router:
    """The scheduler's sender: each digest goes to the adapter of its chat's platform, part by part (the parts are
    the adapter's rendering, stored with the claim before sending). A platform that is not running retries later."""

    def __init__(self, adapters: list):
        self.by_platform = {a.platform: a for a in adapters}

    def parts(self, digest: Digest) -> list[str]:
        adapter = self.by_platform.get(digest.chat.platform)
        return adapter.parts(digest) if adapter is not None and hasattr(adapter, "parts") else [""]

    async def send_part(self, digest: Digest, payload: str) -> DeliveryResult:
        adapter = self.by_platform.get(digest.chat.platform)
        if adapter is None:
            return DeliveryResult("retry", detail=f"platform {digest.chat.platform!r} is not running")
        if not hasattr(adapter, "send_part"):  # an adapter that sends a digest whole (the console)
            return await adapter.deliver(digest)
        return await adapter.send_part(digest, payload)

    async def __call__(self, digest: Digest) -> DeliveryResult:
        """Deliver a whole digest (outside the scheduler): the same part records."""
        adapter = self.by_platform.get(digest.chat.platform)
        if adapter is None:
            return DeliveryResult("retry", detail=f"platform {digest.chat.platform!r} is not running")
        return await adapter.deliver(digest)


def make_deliver(adapters: list) -> Router:
    return Router(adapters)


async def start_http(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve `web_app` on host:port; a port in use or a bad address is a FatalError naming both."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as e:
        await runner.cleanup()
        hint = {errno.EADDRINUSE: "address already in use: stop the other process or set PORT to a free port",
                errno.EACCES: "permission denied: ports below 1024 need privileges, set PORT (e.g. 3000)",
                errno.EADDRNOTAVAIL: "this machine has no such address: check HOST"}.get(e.errno or 0,
                                                                                        e.strerror or str(e))
        raise FatalError(f"cannot listen on {host}:{port}: {hint}") from None
    return runner


async def serve(core, settings: Settings, stop: asyncio.Event, adapters: Optional[list] = None,
                ingest: bool = True) -> None:
    """Run until `stop` is set: adapters, the HTTP server, the scheduler and (optionally) the ingest loop."""
    from bot.scheduler import run_scheduler

    adapters = platform_adapters(core, settings) if adapters is None else adapters
    core.searcher.warm()  # load the search vocabulary now, not during the first user's search
    freeze_long_lived()  # ... and keep later full collections from walking it (bot/collector.py)
    web_app = make_web_app(core)
    for adapter in adapters:
        await adapter.start(web_app)
    runner = await start_http(web_app, settings.host, settings.port)
    log.info("listening on %s:%s; platforms: %s", settings.host, settings.port,
             ", ".join(a.platform for a in adapters) or "none")
    ingesting = ingest and settings.ingest_enabled
    metrics.expect_loops(settings.tick_seconds, settings.ingest_interval_s if ingesting else None)
    tasks = [asyncio.create_task(run_scheduler(core, make_deliver(adapters), core.clock, settings.tick_seconds, stop,
                                                       sends_in_flight=settings.sends_in_flight),
                                 name="scheduler")]
    if ingesting:
        from bot.sources.schedule import ingest_forever

        tasks.append(asyncio.create_task(ingest_forever(core.store, settings, core.clock, stop,
                                                        on_cycle=metrics.ingest_report), name="ingest"))
    # vectorize the corpus and fit the taught chats' models in a worker thread (bot/taste.py)
    tasks.append(asyncio.create_task(core.learner.warm(delay=5.0), name="learn-warm"))
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        core.learner.close()  # a vectorization in progress stops at its next chunk
        # the scheduler stops itself: no new claims, in-flight parts finish and are recorded, the rest is released
        from bot.scheduler import DRAIN

        await asyncio.wait(tasks[:1], timeout=DRAIN + 5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for adapter in adapters:
            try:
                await adapter.stop()
            except Exception:  # one adapter failing to stop must not keep the others running
                log.exception("stopping %s failed", adapter.platform)
        await runner.cleanup()
        metrics.forget_loops()


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not on the main thread / platform without signals
            pass


async def main_async(core, settings: Settings, ingest: bool, console: Optional[bool]) -> None:
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    adapters = platform_adapters(core, settings)
    if not adapters and console is not False:
        from adapters.console import console_mode

        click.echo("No TELEGRAM_BOT_TOKEN or SLACK_BOT_TOKEN configured: starting the local console chat.", err=True)
        await console_mode(core, settings, stop, ingest=ingest)
        return
    await serve(core, settings, stop, adapters=adapters, ingest=ingest)


@click.command("run")
@click.option("--no-ingest", is_flag=True, help="Do not fetch Hugging Face daily papers on a schedule.")
@click.option("--console/--no-console", default=None,
              help="With no platform configured: --console starts the local console chat even without a terminal "
                   "(default: only on a terminal); --no-console serves /healthz and the scheduler only.")
@click.pass_obj
def run_command(obj, no_ingest: bool, console: Optional[bool]) -> None:
    """Run the bot: scheduler, ingest loop, configured platforms and /healthz (console chat on a terminal)."""
    from adapters.wiring import build_core

    obj.settings.check_platforms()
    platforms = obj.settings.telegram_enabled or obj.settings.slack_enabled
    if not platforms and console is None and not sys.stdin.isatty():
        raise FatalError("no platform configured (set TELEGRAM_BOT_TOKEN or SLACK_BOT_TOKEN; "
                         "`paperwire run --console` or `paperwire chat` for the local console chat)")

    core = build_core(obj.settings, obj.open(create=True, seed=True))
    asyncio.run(main_async(core, obj.settings, ingest=not no_ingest, console=console))
