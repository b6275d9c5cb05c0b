"""The event streams under pressure: a cap with a clear 503, slow pages that cannot hold anyone
up (latest state wins), and a dashboard process that keeps serving while streams are open.

Real parts throughout: the view folds messages read from the in-process bus by the real
reader; the cap and headers are checked on a real uvicorn server over raw loopback sockets.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from streams.bus import InProcessBus
from streams.dashboard import (
    DashboardFeed,
    DashboardServer,
    DashboardView,
    Fanout,
    create_app,
    operators_from,
    serve,
)
from streams.dashboard.fanout import CLOSE, RESYNC
from streams.messages import encode

from .conftest import MATCH_DAY, count

T = 20 * 3600.0


def _fed(scenario, n: int) -> tuple[InProcessBus, DashboardView, DashboardFeed]:
    bus = InProcessBus()
    view = DashboardView(scenario, day=MATCH_DAY)
    feed = DashboardFeed(bus, view)
    for i in range(n):
        message = count("plaza_n", T + i, 100 + i)
        bus.send(message["schema"], "cam_1", encode(message))
    feed.drain()
    return bus, view, feed


def _open_stream(port: int) -> tuple[socket.socket, bytes]:
    """An event stream opened by hand; returns the socket and the response head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed after {head!r}"
        head += chunk
    return sock, head


def test_past_the_cap_a_page_gets_503_with_retry_after_and_a_slot_frees_on_close(scenario):
    bus, view, _ = _fed(scenario, 3)
    app = create_app(view, bus, operators_from({"amina": "cap-test-token-0123"}), max_streams=2)
    with DashboardServer(app, port=0) as server:
        first, head1 = _open_stream(server.port)
        second, head2 = _open_stream(server.port)
        assert head1.startswith(b"HTTP/1.1 200") and head2.startswith(b"HTTP/1.1 200")
        third, head3 = _open_stream(server.port)
        assert head3.startswith(b"HTTP/1.1 503"), head3
        assert b"retry-after: 5" in head3.lower()
        body = head3.split(b"\r\n\r\n", 1)[1]
        while b"}" not in body:  # the JSON detail may come in the head's packet or after it
            chunk = third.recv(4096)
            assert chunk, body
            body += chunk
        assert b"too many live pages" in body and b"2 event streams" in body
        third.close()
        with urllib.request.urlopen(f"{server.url}healthz", timeout=5) as reply:  # still answers
            streams = json.load(reply)["streams"]
        assert (streams["open"], streams["max"], streams["refused"]) == (2, 2, 1)
        first.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the server notices the page left
            again, head = _open_stream(server.port)
            if head.startswith(b"HTTP/1.1 200"):
                break
            again.close()
            time.sleep(0.2)
        assert head.startswith(b"HTTP/1.1 200"), "the closed page's slot was never freed"
        again.close()
        second.close()


def test_a_page_that_does_not_read_loses_old_frames_then_gets_the_latest_state(scenario):
    bus, view, feed = _fed(scenario, 1)

    async def scenario_run() -> tuple[list[bytes], int, dict[str, int]]:
        fanout = Fanout(view, queue_frames=4)
        fanout._last = view.last_seq()
        slow = fanout.subscribe()
        quick = fanout.subscribe()
        assert slow is not None and quick is not None
        got_quick = 0
        for i in range(12):  # twelve ticks of news; the slow page reads none of them
            message = count("plaza_n", T + 100 + i, 500 + i)
            bus.send(message["schema"], "cam_1", encode(message))
            feed.drain()
            assert fanout.publish_due() > 0  # the hub never waits on the slow page
            while not quick.queue.empty():
                quick.queue.get_nowait()
                got_quick += 1
        assert slow.queue.qsize() <= 4 and slow.dropped > 0 and slow.resyncs > 0
        stream = fanout.stream(slow, None)
        chunks = [await stream.__anext__() for _ in range(3)]  # retry, state, then the news
        await stream.aclose()
        return chunks, got_quick, fanout.stats()

    chunks, got_quick, stats = asyncio.run(scenario_run())
    assert got_quick == 12  # the page that keeps up got every frame
    _, opening, latest = chunks
    assert opening.startswith(b"id: ") and b"event: state" in opening
    assert b"event: state" in latest  # after the resync marker: the full state, not old news
    state = json.loads(latest.split(b"data: ", 1)[1])
    plaza = next(z for z in state["zones"] if z["zone"] == "plaza_n")
    assert plaza["occupancy"] == 511  # the newest count, none of the dropped frames needed
    assert stats["dropped"] > 0 and stats["resyncs"] > 0 and stats["open"] == 1


def test_a_page_that_stopped_reading_gives_its_slot_up(scenario):
    bus, view, feed = _fed(scenario, 1)

    async def run() -> tuple[bool, bool, dict[str, int]]:
        fanout = Fanout(view, max_streams=1, queue_frames=2, stall_s=5.0)
        fanout._last = view.last_seq()
        stuck = fanout.subscribe()
        assert stuck is not None and fanout.subscribe() is None  # the cap: one stream
        for i in range(4):  # news the stuck page never takes: its queue fills
            message = count("plaza_n", T + 100 + i, 500 + i)
            bus.send(message["schema"], "cam_1", encode(message))
            feed.drain()
            fanout.publish_due()
        now = time.monotonic()
        assert fanout.evict_stalled(now + 1.0) == 0  # full, but not for long yet
        assert fanout.evict_stalled(now + 6.0) == 1
        fresh = fanout.subscribe()  # the slot is free for a page that reads
        closed = stuck.queue.get_nowait() is CLOSE  # its stream ends if it ever reads again
        return fresh is not None, closed, fanout.stats()

    freed, closed, stats = asyncio.run(run())
    assert freed and closed
    assert stats["evicted"] == 1 and stats["open"] == 1


def test_a_page_that_joins_mid_tick_gets_only_the_events_after_its_state(scenario):
    bus, view, feed = _fed(scenario, 1)

    async def run() -> tuple[int, list[int]]:
        fanout = Fanout(view)
        fanout._last = view.last_seq()  # the hub's last tick
        for i in range(3):  # news after that tick, before the page connects
            message = count("plaza_n", T + 10 + i, 200 + i)
            bus.send(message["schema"], "cam_1", encode(message))
        feed.drain()
        page = fanout.subscribe()
        assert page is not None
        stream = fanout.stream(page, None)
        await stream.__anext__()  # retry
        opening = await stream.__anext__()
        seen = int(opening.split(b"\n", 1)[0].removeprefix(b"id: "))
        message = count("plaza_n", T + 20, 300)  # and more news before the next tick
        bus.send(message["schema"], "cam_1", encode(message))
        feed.drain()
        fanout.publish_due()  # one frame: events the page has (<= seen) and newer ones
        chunk = await stream.__anext__()
        await stream.aclose()
        ids = [int(line[4:]) for line in chunk.split(b"\n") if line.startswith(b"id: ")]
        return seen, ids

    seen, ids = asyncio.run(run())
    assert ids and min(ids) == seen + 1  # nothing twice, nothing missing
    assert ids == list(range(seen + 1, seen + 1 + len(ids)))


def test_a_resync_marker_is_one_slot_so_a_full_queue_never_grows():
    async def run() -> int:
        from streams.dashboard.fanout import Frame, Page

        page = Page(asyncio.Queue(3))
        for n in range(1, 50):
            page.offer(Frame(((n, b"x"),), b"x"))
        size = page.queue.qsize()
        items = [page.queue.get_nowait() for _ in range(size)]
        assert RESYNC in items
        return size

    assert asyncio.run(run()) <= 3


def test_the_dashboard_process_serves_streams_and_healthz_beside_the_live_process(scenario):
    """``serve`` (default: own process) answers /healthz and streams what the bus carries."""
    bus = InProcessBus()
    board = serve(bus, scenario, port=0, tokens={"amina": "process-test-token-01"})
    try:
        assert board.process is not None and board.process.alive
        sock, head = _open_stream(board.process.port)
        assert head.startswith(b"HTTP/1.1 200")
        message = count("plaza_n", T, 2400)
        bus.send(message["schema"], "cam_1", encode(message))
        seen = b""
        sock.settimeout(10)
        while b"plaza_n" not in seen:
            chunk = sock.recv(65536)
            assert chunk, "stream closed"
            seen += chunk
        sock.close()
        with urllib.request.urlopen(f"{board.url}healthz", timeout=5) as reply:
            body = json.load(reply)
        assert body["ok"] is True and body["bus"]["detail"] == "in-process"
    finally:
        board.stop()
    assert not board.process.alive
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{board.url}healthz", timeout=2)


def test_a_busy_port_is_a_clear_error_from_the_dashboard_process(scenario):
    from streams.errors import BusError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BusError, match=rf"cannot listen on 127\.0\.0\.1:{port}.*--port"):
            serve(InProcessBus(), scenario, port=port, tokens={"amina": "busy-port-token-012"})


def test_on_threads_when_asked_the_same_app_serves(scenario):
    bus = InProcessBus()
    board = serve(bus, scenario, port=0, tokens={"amina": "threads-test-token-01"}, process=False)
    try:
        assert board.process is None and board.server is not None
        with urllib.request.urlopen(f"{board.url}healthz", timeout=5) as reply:
            assert json.load(reply)["streams"]["max"] == 256
    finally:
        board.stop()
    with pytest.raises(ValueError, match="pass limits"):
        serve(bus, scenario, port=0, check=lambda message: None)
