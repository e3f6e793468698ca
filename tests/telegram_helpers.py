"""Shared set-up for the Telegram tests: real Core + in-memory Store + the real PTB Application against FakeTelegram."""
from __future__ import annotations

from contextlib import asynccontextmanager

from aiohttp import web

from adapters.telegram import TelegramAdapter
from bot.config import Settings
from bot.core import Core
from bot.models import Paper
from fake_telegram import TOKEN, FakeTelegram

HOSTILE = "<script>alert('x')</script> & Flash <b>Attention</b> Tricks"


def papers() -> list[Paper]:
    """A small real-looking corpus: enough for search, paging (> 5 hits) and a hostile title."""
    rows = [
        Paper.make("FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness", "2205.14135",
                   abstract="Transformers are slow and memory-hungry on long sequences. We propose FlashAttention, "
                            "an IO-aware exact attention algorithm that uses tiling: flash attention.",
                   authors=("Tri Dao", "Daniel Y. Fu", "Stefano Ermon", "Atri Rudra", "Christopher Ré"),
                   published="2022-05-27", hf_date="2026-03-10", upvotes=321),
        Paper.make(HOSTILE, "2603.00001", abstract="We show <tags> & ampersands survive flash attention rendering.",
                   authors=("Mallory <m@x>",), published="2026-03-10", upvotes=7, hf_date="2026-03-10"),
    ]
    rows += [Paper.make(f"Sparse attention variant number {i}", f"2603.{100 + i:05d}",
                        abstract=f"Attention with sparsity pattern {i}. " * 8, authors=("A. Author",),
                        published="2026-03-09") for i in range(8)]
    rows.append(Paper.make("Denoising Diffusion Probabilistic Models", "2006.11239",
                           abstract="High quality image synthesis using diffusion probabilistic models.",
                           authors=("Jonathan Ho", "Ajay Jain", "Pieter Abbeel"), published="2020-06-19"))
    return rows


def settings(fake: FakeTelegram, **kw) -> Settings:
    return Settings(telegram_token=TOKEN, telegram_api_base_url=fake.url, **kw)


@asynccontextmanager
async def running(store, clock, web_app: web.Application | None = None, read_timeout: float = 2.0, **kw):
    """Yields (fake, adapter, core) with the adapter started (long polling unless a webhook URL is given)."""
    store.papers.upsert_many(papers(), now="2026-03-10T12:00:00+00:00")
    async with FakeTelegram() as fake:
        core = Core(store, clock=clock)
        adapter = TelegramAdapter(core, settings(fake, **kw), read_timeout=read_timeout)
        await adapter.start(web_app if web_app is not None else web.Application())
        try:
            yield fake, adapter, core
        finally:
            await adapter.stop()


async def say(fake: FakeTelegram, chat_id: int, text: str, n: int = 1, **kw) -> list[dict]:
    """Send a message as a user and return the bot's next `n` messages in that chat."""
    before = len([m for m in fake.sent if m["chat_id"] == chat_id])
    fake.send_text(chat_id, text, **kw)
    got = await fake.wait_sent(before + n, chat_id=chat_id)
    return got[before:]


async def press(fake: FakeTelegram, chat_id: int, data: str, n: int = 1, **kw) -> list[dict]:
    before = len([m for m in fake.sent if m["chat_id"] == chat_id])
    fake.press(chat_id, data, **kw)
    got = await fake.wait_sent(before + n, chat_id=chat_id)
    return got[before:]


def actions(message: dict) -> list[str]:
    """Every callback_data on a sent message's inline keyboard."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]
