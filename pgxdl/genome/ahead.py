"""Run an iterator a few items ahead in a background thread (a two-stage pipeline).

Builds spend most of their time in code that releases the GIL (htslib parsing a VCF
record, numpy filling a chunk of codes), so producing item ``i + 1`` in a thread while the
caller consumes item ``i`` uses a second core without a second process. :class:`Ahead`
keeps the order, raises a producer's exception in the caller where it occurred in the
stream, and holds at most ``depth`` items; leaving it (``with``) stops the thread and waits
for it, so whatever the producer reads can be closed safely afterwards.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Ahead:
    """Iterate ``transform(item)`` for each item of ``items``, computed in a thread.

    Parameters
    ----------
    items : iterated only by the thread.
    depth : items produced ahead of the caller at most (the queue's size).
    transform : applied to each item in the thread (default: none).
    name : the thread's name.
    """

    def __init__(self, items: Iterable, depth: int,
                 transform: Callable[[Any], Any] | None = None, name: str = "pgxdl-ahead"
                 ) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(items, transform),
                                        daemon=True, name=name)
        self._thread.start()

    def __iter__(self) -> Iterator:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the thread (it may be blocked on a full queue) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(0.05)

    def _produce(self, items: Iterable, transform: Callable | None) -> None:
        try:
            for item in items:
                if not self._put(item if transform is None else transform(item)):
                    return
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            self._put(_Failure(error))
            return
        self._put(_DONE)

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
