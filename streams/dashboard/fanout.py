"""The dashboard's fan-out: one reader of the view's change feed, one bounded queue per page.

Why: with one generator per page polling the view, N pages cost N lock takings, N JSON
encodings of every change and N wake-ups per tick on the server's event loop; 1,000 pages
starved the twin (same process, one GIL) and left ``/healthz`` and every page unanswered. Here
one task on the server's loop reads the view's new events once per tick, encodes them once as
server-sent-event bytes and offers the same bytes to every page's queue without waiting. A
queue is bounded: a page that does not keep up loses its old frames and is sent the latest full
state instead (latest state wins), so a slow page never holds up the others, the hub, the
reader or the twin. The number of open streams is capped: past the cap a page gets HTTP 503
with ``Retry-After`` at once, rather than everyone getting nothing. A page that takes nothing
from its full queue for ``stall_s`` (a client that stopped reading) gives its slot up, so
stalled connections cannot keep real pages out; its stream ends if it ever reads again.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from streams.dashboard.view import DashboardView

MAX_STREAMS = 256  # ops rooms have tens of screens; the cap only stops a flood
QUEUE_FRAMES = 16  # frames a page may fall behind before it is resynced with the full state
TICK_S = 0.5  # how often the hub reads the view: the page redraws at most this often anyway
HEARTBEAT_S = 15.0
RETRY_AFTER_S = 5
CATCH_UP_EVENTS = 500  # a reconnecting page further behind than this gets the full state
STALL_S = 30.0  # a page whose queue stays full this long gives its slot up


@dataclass(frozen=True)
class Frame:
    """Encoded events ``first``..``last`` (each one SSE message), or a heartbeat (no events)."""

    events: tuple[tuple[int, bytes], ...]
    data: bytes

    @property
    def first(self) -> int:
        return self.events[0][0]

    @property
    def last(self) -> int:
        return self.events[-1][0]


RESYNC = Frame((), b"")  # "you lost frames: send the latest full state"
CLOSE = Frame((), b"")  # "the server is stopping: end the stream"
HEARTBEAT = Frame((), b": heartbeat\n\n")


@dataclass(eq=False)
class Page:
    """One open stream: its bounded queue of frames and what it lost."""

    queue: asyncio.Queue[Frame]
    dropped: int = 0
    resyncs: int = 0
    taken: float = field(default_factory=time.monotonic)  # when it last took a frame

    def stalled(self, now: float, stall_s: float) -> bool:
        """Its queue is full and it has taken nothing for ``stall_s``: it stopped reading."""
        return self.queue.full() and now - self.taken > stall_s

    def offer(self, frame: Frame) -> None:
        """Queue ``frame`` without waiting; a full queue is emptied and marked for a resync."""
        if frame is CLOSE:
            self._clear()
            self.queue.put_nowait(CLOSE)
            return
        if not self.queue.full():
            self.queue.put_nowait(frame)
            return
        if frame is HEARTBEAT:
            return  # a page this far behind does not need a heartbeat
        self.dropped += self._clear()
        self.resyncs += 1
        self.queue.put_nowait(RESYNC)

    def _clear(self) -> int:
        n = 0
        while not self.queue.empty():
            self.queue.get_nowait()
            n += 1
        return n


class Fanout:
    """Streams ``view``'s changes to at most ``max_streams`` pages; every call on one loop."""

    def __init__(
        self,
        view: DashboardView,
        *,
        max_streams: int = MAX_STREAMS,
        queue_frames: int = QUEUE_FRAMES,
        tick_s: float = TICK_S,
        heartbeat_s: float = HEARTBEAT_S,
        retry_after_s: int = RETRY_AFTER_S,
        stall_s: float = STALL_S,
    ) -> None:
        if max_streams < 1 or queue_frames < 2:
            raise ValueError("max_streams must be >= 1 and queue_frames >= 2")
        self.view = view
        self.max_streams = max_streams
        self.queue_frames = queue_frames
        self.tick_s = tick_s
        self.heartbeat_s = heartbeat_s
        self.retry_after_s = retry_after_s
        self.stall_s = stall_s
        self.pages: set[Page] = set()
        self.refused = 0  # streams turned away at the cap
        self.frames = 0  # frames encoded (once each, whatever the number of pages)
        self.dropped = 0  # frames dropped for pages that fell behind (closed pages included)
        self.resyncs = 0
        self.evicted = 0  # pages that stopped reading and lost their slot
        self._last = 0
        self._state: tuple[int, bytes] | None = None

    # -- pages --------------------------------------------------------------------------

    def subscribe(self) -> Page | None:
        """A new page's queue, or None when ``max_streams`` are open (answer 503)."""
        if len(self.pages) >= self.max_streams:
            self.refused += 1
            return None
        page = Page(asyncio.Queue(self.queue_frames))
        self.pages.add(page)
        return page

    def unsubscribe(self, page: Page) -> None:
        if page in self.pages:
            self.pages.discard(page)
            self.dropped += page.dropped
            self.resyncs += page.resyncs

    def stats(self) -> dict[str, int]:
        """What ``/healthz`` reports about the streams."""
        return {
            "open": len(self.pages),
            "max": self.max_streams,
            "refused": self.refused,
            "frames": self.frames,
            "dropped": self.dropped + sum(p.dropped for p in self.pages),
            "resyncs": self.resyncs + sum(p.resyncs for p in self.pages),
            "evicted": self.evicted,
        }

    async def stream(self, page: Page, since: int | None) -> AsyncIterator[bytes]:
        """One page's SSE bytes: catch-up or full state, then the hub's frames as they come."""
        try:
            yield b"retry: 1000\n\n"
            last, head = self._opening(since)
            yield head
            while True:
                frame = await page.queue.get()
                page.taken = time.monotonic()
                if frame is CLOSE:
                    return
                if frame is HEARTBEAT:
                    yield frame.data
                    continue
                if frame is RESYNC or frame.first > last + 1:
                    last, data = self.state_frame()
                    yield data
                    continue
                if frame.last <= last:
                    continue  # the full state this page started from already had these
                if frame.first == last + 1:
                    data = frame.data
                else:  # partly seen: only the newer events
                    data = b"".join(e for n, e in frame.events if n > last)
                last = frame.last
                yield data
        finally:
            self.unsubscribe(page)

    def _opening(self, since: int | None) -> tuple[int, bytes]:
        """What a page gets first: the events it missed when few enough, else the full state."""
        missed = self.view.events_since(since) if since is not None else None
        if missed is None or len(missed) > CATCH_UP_EVENTS:
            return self.state_frame()
        if not missed:
            return since or 0, b""
        return missed[-1][0], b"".join(_sse("delta", n, e) for n, e in missed)

    def state_frame(self) -> tuple[int, bytes]:
        """The full state as one SSE message, encoded once per change however many ask."""
        seq = self.view.last_seq()
        if self._state is None or self._state[0] != seq:
            state = self.view.state()
            self._state = (state["seq"], _sse("state", state["seq"], state))
        return self._state

    # -- the hub ------------------------------------------------------------------------

    def publish_due(self) -> int:
        """Read the view's new events once and offer them to every page; how many."""
        batch = self.view.events_since(self._last)
        if batch is None:  # the buffer overflowed between ticks (or the view is new)
            self._last = self.view.last_seq()
            for page in list(self.pages):
                page.offer(RESYNC)
            return 0
        if not batch:
            return 0
        events = tuple((n, _sse("delta", n, e)) for n, e in batch)
        frame = Frame(events, b"".join(e for _, e in events))
        self._last = frame.last
        self.frames += 1
        for page in list(self.pages):
            page.offer(frame)
        return len(batch)

    def evict_stalled(self, now: float | None = None) -> int:
        """Free the slots of pages that stopped reading; how many."""
        now = time.monotonic() if now is None else now
        stalled = [p for p in self.pages if p.stalled(now, self.stall_s)]
        for page in stalled:
            self.unsubscribe(page)
            page.offer(CLOSE)  # if it ever reads again, its stream ends there
        self.evicted += len(stalled)
        return len(stalled)

    async def run(self, stopping: threading.Event) -> None:
        """The hub: every ``tick_s``, new events to every page; a heartbeat when quiet."""
        self._last = self.view.last_seq()
        quiet = 0.0
        try:
            while not stopping.is_set():
                await asyncio.sleep(self.tick_s)
                quiet = 0.0 if self.publish_due() else quiet + self.tick_s
                self.evict_stalled()
                if quiet >= self.heartbeat_s:
                    quiet = 0.0
                    for page in list(self.pages):
                        page.offer(HEARTBEAT)
        finally:
            self.close()

    def close(self) -> None:
        """End every open stream (the server is stopping)."""
        for page in list(self.pages):
            page.offer(CLOSE)


def _sse(kind: str, number: int, data: dict[str, Any]) -> bytes:
    body = json.dumps(data, allow_nan=False)
    return f"id: {number}\nevent: {kind}\ndata: {body}\n\n".encode()
