"""`paperwire run`: one asyncio process — the scheduler loop, the ingest loop, the configured platforms and /healthz.

The runner only wires: which adapters start is decided by the settings; what is due is the core's business; delivery
is the adapter's. With no platform token configured it starts the local console chat, so a fresh clone does something.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Optional

import click
from aiohttp import web

from bot.config import Settings
from bot.models import DeliveryResult, Digest

log = logging.getLogger("paperwire.runner")


def platform_adapters(core, settings: Settings) -> list:
    """The adapters the settings ask for (imported lazily: a Slack-only deployment never loads PTB)."""
    found = []
    if settings.telegram_enabled:
        from adapters.telegram import create_adapter

        found.append(create_adapter(core, settings))
    if settings.slack_enabled:
        from adapters.slack import create_adapter

        found.append(create_adapter(core, settings))
    return found


def make_web_app(core) -> web.Application:
    """The shared HTTP server: /healthz here; adapters add their webhook routes before it starts."""
    app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "papers": core.store.papers.count()})

    app.router.add_get("/healthz", healthz)
    return app


def make_deliver(adapters: list):
    """Route each digest to the adapter of its chat's platform; a platform that is not running retries later."""
    by_platform = {a.platform: a for a in adapters}

    async def deliver(digest: Digest) -> DeliveryResult:
        adapter = by_platform.get(digest.chat.platform)
        if adapter is None:
            return DeliveryResult("retry", detail=f"platform {digest.chat.platform!r} is not running")
        return await adapter.deliver(digest)

    return deliver


async def serve(core, settings: Settings, stop: asyncio.Event, adapters: Optional[list] = None,
                ingest: bool = True) -> None:
    """Run until `stop` is set: adapters, the HTTP server, the scheduler and (optionally) the ingest loop."""
    from bot.scheduler import run_scheduler

    adapters = platform_adapters(core, settings) if adapters is None else adapters
    core.searcher.warm()  # load the search vocabulary now, not during the first user's search
    web_app = make_web_app(core)
    for adapter in adapters:
        await adapter.start(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("listening on %s:%s; platforms: %s", settings.host, settings.port,
             ", ".join(a.platform for a in adapters) or "none")
    tasks = [asyncio.create_task(run_scheduler(core, make_deliver(adapters), core.clock, settings.tick_seconds, stop),
                                 name="scheduler")]
    if ingest and settings.ingest_enabled:
        from bot.sources.schedule import ingest_forever

        tasks.append(asyncio.create_task(ingest_forever(core.store, settings, core.clock, stop), name="ingest"))
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for adapter in adapters:
            try:
                await adapter.stop()
            except Exception:  # one adapter failing to stop must not keep the others running
                log.exception("stopping %s failed", adapter.platform)
        await runner.cleanup()


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
        from adapters.console import run_console

        click.echo("No TELEGRAM_BOT_TOKEN or SLACK_BOT_TOKEN configured: starting the local console chat.", err=True)
        for name in ("bot.scheduler", "bot.sources"):  # the chat is the output here, not routine loop logs
            logging.getLogger(name).setLevel(logging.WARNING)
        ingesting = None
        if ingest and settings.ingest_enabled:  # new papers keep arriving while you chat
            from bot.sources.schedule import ingest_forever

            ingesting = asyncio.create_task(ingest_forever(core.store, settings, core.clock, stop), name="ingest")
        try:
            await run_console(core, stop=stop)
        finally:
            stop.set()
            if ingesting:
                ingesting.cancel()
                await asyncio.gather(ingesting, return_exceptions=True)
        return
    await serve(core, settings, stop, adapters=adapters, ingest=ingest)


@click.command("run")
@click.option("--no-ingest", is_flag=True, help="Do not fetch Hugging Face daily papers on a schedule.")
@click.option("--console/--no-console", default=None,
              help="Start the local console chat when no platform is configured (default), or never.")
@click.pass_obj
def run_command(obj, no_ingest: bool, console: Optional[bool]) -> None:
    """Run the bot: scheduler, ingest loop, configured platforms and /healthz (console chat without tokens)."""
    from adapters.wiring import build_core

    core = build_core(obj.settings, obj.store)
    asyncio.run(main_async(core, obj.settings, ingest=not no_ingest, console=console))
