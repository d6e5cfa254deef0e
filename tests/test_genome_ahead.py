"""The background iterator of the build pipeline keeps order, errors and bounds."""

from __future__ import annotations

import threading

import pytest

from pgxdl.genome.ahead import Ahead


def test_items_come_in_order_transformed_in_another_thread():
    caller = threading.get_ident()
    seen_threads = []

    def square(x):
        seen_threads.append(threading.get_ident())
        return x * x

    with Ahead(range(50), 3, square) as items:
        assert list(items) == [x * x for x in range(50)]
    assert set(seen_threads) and caller not in seen_threads


def test_producer_error_is_raised_after_the_items_before_it():
    def items():
        yield from (1, 2)
        raise KeyError("third")

    got = []
    with Ahead(items(), 2) as ahead, pytest.raises(KeyError, match="third"):
        for item in ahead:
            got.append(item)
    assert got == [1, 2]


def test_producer_runs_at_most_depth_items_ahead_and_stops_on_close():
    produced = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    ahead = Ahead(items(), 4)
    iterator = iter(ahead)
    assert next(iterator) == 0
    ahead.close()  # the producer was blocked on the full queue
    assert not ahead._thread.is_alive()
    # one taken, 4 queued, one produced and waiting to be queued when close came
    assert len(produced) <= 1 + 4 + 1
