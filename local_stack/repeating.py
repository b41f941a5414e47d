"""Work ``make run`` repeats in the background, as AWS does on its own time: the bucket's lifecycle
rules (``lifecycle``) and the tables' time to live (``ttl``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Wake = Callable[[], None]


@contextmanager
def repeating(
    name: str, work: Callable[[], None], interval: float, wake_on: Callable[[Wake], None] | None = None
) -> Iterator[None]:
    """Do ``work`` now, every ``interval`` seconds and whenever woken (``wake_on`` is given the call
    that wakes it), in a thread of its own called ``name``, until the block ends. A wake during the
    work does it again right after; the work is done at least once."""
    stop = threading.Event()
    woken = threading.Event()
    if wake_on is not None:
        wake_on(woken.set)

    def run() -> None:
        while True:
            woken.clear()  # a wake from here on, during the work too, does it again
            work()
            woken.wait(interval)
            if stop.is_set():
                return

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        woken.set()
        thread.join(timeout=5)
