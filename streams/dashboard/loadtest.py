"""A crowd of dashboard pages, for load tests: N event streams and a /healthz probe, bounded.

Run it in its own process (its CPU must not be the server's), e.g.::

    python -m streams.dashboard.loadtest http://127.0.0.1:8765 --clients 1000 --seconds 20

It opens ``clients`` event streams at once (as a crowd of browsers would), reads them for
``seconds`` (or until its standard input closes, with ``--until-stdin-closes``: a harness
decides when its measurement is over), probes ``/healthz`` every ``probe_s`` throughout, closes
everything and prints one JSON object: streams accepted / refused with 503 and ``Retry-After``
/ failed, bytes and SSE messages per accepted stream, and the probe's latencies. ``ready`` is
printed on stderr once every stream has its answer, so a harness knows the crowd is in place.
Only loopback addresses are accepted: a test tool, not a way to load someone else's server.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streams.dashboard.server import raise_open_files_limit

CONNECT_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 5.0


@dataclass
class Stream:
    """What one page saw."""

    status: int = 0  # 0: no answer (connect or read failed)
    retry_after: str | None = None
    error: str = ""
    bytes: int = 0
    messages: int = 0  # SSE messages (state, delta, heartbeat) after the headers
    first_byte_s: float | None = None


@dataclass
class Crowd:
    streams: list[Stream] = field(default_factory=list)
    probes: list[float | None] = field(default_factory=list)  # seconds, None: failed


def _loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback or parts.port is None:
        raise SystemExit(f"loadtest: {url!r} is not http://127.0.0.1:PORT (loopback only)")
    return host, parts.port


async def _head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return status, headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


async def _stream(
    host: str, port: int, until: Callable[[], float], out: Stream, answered: Callable[[], None]
) -> None:
    start = time.monotonic()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), CONNECT_TIMEOUT_S
        )
        writer.write(f"GET /api/events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        out.status, headers = await asyncio.wait_for(_head(reader), CONNECT_TIMEOUT_S)
        out.retry_after = headers.get("retry-after")
        answered()
        if out.status != 200:
            return
        while (left := until() - time.monotonic()) > 0:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), min(left, 0.5))
            except TimeoutError:
                continue  # look at the (maybe moved) deadline again
            if not chunk:
                break
            if out.first_byte_s is None:
                out.first_byte_s = time.monotonic() - start
            out.bytes += len(chunk)
            out.messages += chunk.count(b"\n\n")
    except (OSError, TimeoutError, ValueError, IndexError) as error:
        out.error = f"{type(error).__name__}: {error}"[:120]
        answered()
    finally:
        if writer is not None:
            writer.close()


async def _probe(host: str, port: int) -> float | None:
    start = time.monotonic()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), PROBE_TIMEOUT_S
        )
        request = f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        status, _ = await asyncio.wait_for(_head(reader), PROBE_TIMEOUT_S)
        await asyncio.wait_for(reader.read(), PROBE_TIMEOUT_S)
        return time.monotonic() - start if status == 200 else None
    except (OSError, TimeoutError, ValueError, IndexError):
        return None
    finally:
        if writer is not None:
            writer.close()


async def _stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def crowd(
    url: str, clients: int, seconds: float, probe_s: float = 0.5, *, stdin_ends: bool = False
) -> Crowd:
    """Open ``clients`` streams on ``url`` for ``seconds`` while probing /healthz."""
    host, port = _loopback(url)
    result = Crowd(streams=[Stream() for _ in range(clients)])
    until = time.monotonic() + seconds
    waiting = clients
    if stdin_ends:
        watcher = asyncio.create_task(_stdin_closed())

        def end_early(_: object) -> None:
            nonlocal until
            until = min(until, time.monotonic())

        watcher.add_done_callback(end_early)

    def answered() -> None:
        nonlocal waiting
        waiting -= 1
        if waiting == 0:
            print("ready", file=sys.stderr, flush=True)

    tasks = [
        asyncio.create_task(_stream(host, port, lambda: until, s, answered)) for s in result.streams
    ]
    while time.monotonic() < until:
        result.probes.append(await _probe(host, port))
        await asyncio.sleep(max(0.0, min(probe_s, until - time.monotonic())))
    await asyncio.gather(*tasks)
    return result


def summary(result: Crowd) -> dict[str, Any]:
    """The crowd's figures as JSON-ready numbers."""
    ok = [s for s in result.streams if s.status == 200]
    refused = [s for s in result.streams if s.status == 503]
    answered = [p for p in result.probes if p is not None]
    per = sorted(s.bytes for s in ok)
    first = sorted(s.first_byte_s for s in ok if s.first_byte_s is not None)
    return {
        "clients": len(result.streams),
        "accepted": len(ok),
        "refused_503": len(refused),
        "refused_with_retry_after": sum(1 for s in refused if s.retry_after),
        "failed": sum(1 for s in result.streams if s.status == 0),
        "other_status": sorted({s.status for s in result.streams} - {0, 200, 503}),
        "errors": sorted({s.error for s in result.streams if s.error})[:5],
        "accepted_without_bytes": sum(1 for s in ok if s.bytes == 0),
        "accepted_with_updates": sum(1 for s in ok if s.messages >= 3),
        "bytes_min": per[0] if per else 0,
        "bytes_median": int(statistics.median(per)) if per else 0,
        "first_byte_s_max": round(first[-1], 3) if first else None,
        "probes": len(result.probes),
        "probes_failed": len(result.probes) - len(answered),
        "probe_s_median": round(statistics.median(answered), 4) if answered else None,
        "probe_s_max": round(max(answered), 4) if answered else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the dashboard, http://127.0.0.1:PORT")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--probe-s", type=float, default=0.5)
    parser.add_argument("--until-stdin-closes", action="store_true")
    parser.add_argument(
        "--nice", type=int, default=0, help="lower this process's priority (browsers stand in)"
    )
    args = parser.parse_args(argv)
    if args.nice:
        os.nice(args.nice)
    if not 1 <= args.clients <= 20_000 or not 0 < args.seconds <= 600:
        raise SystemExit("loadtest: --clients 1..20000 and --seconds 0..600")
    raise_open_files_limit()
    run = crowd(
        args.url, args.clients, args.seconds, args.probe_s, stdin_ends=args.until_stdin_closes
    )
    result = asyncio.run(run)
    print(json.dumps(summary(result)))


if __name__ == "__main__":
    main()
