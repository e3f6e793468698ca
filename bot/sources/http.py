"""One bounded GET: a whole-request deadline, a cap on the bytes received and on the bytes they decompress to.

Why not httpx's own timeout and decoding: httpx's `timeout` bounds each read, so a server dripping one byte
every few seconds keeps a request alive forever; and its content decoders inflate a chunk without a limit, so a
1 MB gzip bomb becomes gigabytes. Here the body is read raw and inflated with `zlib` under `max_length`, and the
whole exchange (connect, headers, body) runs under `asyncio.timeout`.
"""
from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from typing import Optional

import httpx

MB = 1 << 20


class FetchError(Exception):
    """A source could not be reached or answered with an error; the message is safe to show to a user."""


class TooLarge(FetchError):
    """The answer exceeded a size cap (on the wire or decompressed): retrying will not help."""


@dataclass(frozen=True)
class Limits:
    """Bounds for one request. `deadline`: seconds for the whole exchange; sizes in bytes."""

    deadline: float = 60.0
    max_bytes: int = 32 * MB
    max_decoded: int = 96 * MB


def host_of(url: str) -> str:
    """The host (and port, if any) of a URL, never its userinfo or query: safe to name in an error."""
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "an invalid URL"
    if not u.host:
        return "an invalid URL"
    return f"{u.host}:{u.port}" if u.port else u.host


def _decoder(encoding: str):
    enc = (encoding or "identity").strip().lower()
    if enc in ("", "identity"):
        return None
    if enc in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if enc == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"the server used an unsupported Content-Encoding {enc[:20]!r}")


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n} bytes"


async def read_body(resp: httpx.Response, limits: Limits) -> bytes:
    """The response body, decompressed, or TooLarge as soon as a cap is passed (memory stays ~ the caps)."""
    length = resp.headers.get("content-length")
    if length and length.isdigit() and int(length) > limits.max_bytes:
        raise TooLarge(f"the answer is {_mb(int(length))}, over the {_mb(limits.max_bytes)} limit")
    decoder = _decoder(resp.headers.get("content-encoding", ""))
    out = bytearray()
    wire = 0
    try:
        async for chunk in resp.aiter_raw():
            wire += len(chunk)
            if wire > limits.max_bytes:
                raise TooLarge(f"the answer is over the {_mb(limits.max_bytes)} limit")
            if decoder is None:
                out += chunk
                continue
            data = chunk
            while data:
                room = limits.max_decoded - len(out) + 1
                out += decoder.decompress(data, room)
                if len(out) > limits.max_decoded:
                    raise TooLarge(f"the answer decompresses to over {_mb(limits.max_decoded)}")
                data = decoder.unconsumed_tail
        if decoder is not None:
            out += decoder.flush()
            if len(out) > limits.max_decoded:
                raise TooLarge(f"the answer decompresses to over {_mb(limits.max_decoded)}")
    except zlib.error as e:
        raise FetchError(f"the answer is not valid compressed data ({e})") from None
    return bytes(out)


async def bounded_get(client: httpx.AsyncClient, url: str, params: Optional[dict], limits: Limits,
                      headers: Optional[dict] = None) -> tuple[httpx.Response, bytes]:
    """GET under `limits`. Raises TimeoutError past the deadline, TooLarge past a cap, httpx errors as they come."""
    async with asyncio.timeout(limits.deadline):
        async with client.stream("GET", url, params=params, headers=headers) as resp:
            if not resp.is_success:
                return resp, b""
            return resp, await read_body(resp, limits)
