"""Element-wise geometry in threads gives exactly the serial result (nachverdichtung.parallel)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from nachverdichtung import parallel
from nachverdichtung.parallel import (
    _group_cuts,
    elementwise,
    serial,
    threads,
    tree_query,
)


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setenv("NV_THREADS", "2")


def _polys(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, y, r = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n), rng.uniform(3, 30, n)
    return shapely.buffer(shapely.points(x, y), r, quad_segs=rng.integers(1, 8))


def test_elementwise_equals_the_serial_call_bit_for_bit(two_threads):
    g = _polys(2000)
    r = np.linspace(-5, 5, len(g))  # an array argument is cut with the geometries
    serial_result = shapely.buffer(g, r, join_style="mitre")
    threaded = elementwise(shapely.buffer, g, r, join_style="mitre")
    assert threaded.shape == serial_result.shape
    assert shapely.equals_exact(threaded, serial_result, tolerance=0).all()
    other = _polys(2000, seed=2)
    assert shapely.equals_exact(elementwise(shapely.intersection, g, other),
                                shapely.intersection(g, other), tolerance=0).all()


def test_group_cuts_never_split_a_run_of_one_key():
    keys = np.repeat([0, 1, 2, 3], [300, 10, 5, 500])
    cuts = _group_cuts(keys, np.linspace(0, len(keys), 9).astype(np.int64))
    assert cuts[0] == 0 and cuts[-1] == len(keys)
    assert set(cuts[1:-1].tolist()) <= {300, 310, 315}
    assert _group_cuts(np.zeros(1000, dtype=int), np.array([0, 500, 1000])).tolist() == [0, 1000]


def test_prepared_predicate_by_owner(two_threads):
    polys = _polys(50)
    shapely.prepare(polys)
    owner = np.repeat(np.arange(50), 400)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 1000, len(owner)), rng.uniform(0, 1000, len(owner))
    expected = shapely.contains_xy(polys[owner], x, y)
    assert (elementwise(shapely.contains_xy, polys[owner], x, y, by=owner) == expected).all()


def test_tree_query_equals_one_query(two_threads):
    items = _polys(3000, seed=4)
    geoms = _polys(1500, seed=5)
    tree = shapely.STRtree(items)
    dist = np.linspace(0, 20, len(geoms))
    np.testing.assert_array_equal(tree_query(tree, geoms, predicate="dwithin", distance=dist),
                                  tree.query(geoms, predicate="dwithin", distance=dist))
    (a, d), (b, e) = (tree_query(tree, geoms, nearest=True, all_matches=True, return_distance=True),
                      tree.query_nearest(geoms, all_matches=True, return_distance=True))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(d, e)


def test_serial_keeps_the_work_in_the_calling_thread(two_threads, monkeypatch):
    assert threads() == 2

    def no_pool(n):
        raise AssertionError("the thread pool was used inside serial()")

    monkeypatch.setattr(parallel, "_executor", no_pool)
    g = _polys(1000)
    with serial():
        with serial():
            assert threads() == 1
        assert threads() == 1
        elementwise(shapely.buffer, g, 1.0)
        tree_query(shapely.STRtree(g), g, predicate="intersects")
    assert threads() == 2
    with pytest.raises(AssertionError, match="thread pool"):
        elementwise(shapely.buffer, g, 1.0)


def test_nv_threads_one_runs_serially(monkeypatch):
    monkeypatch.setenv("NV_THREADS", "1")
    monkeypatch.setattr(parallel, "_executor", lambda n: (_ for _ in ()).throw(AssertionError("pool")))
    g = _polys(1000)
    assert threads() == 1
    assert shapely.equals_exact(elementwise(shapely.buffer, g, 1.0), shapely.buffer(g, 1.0), tolerance=0).all()


def test_map_tasks_keeps_order_and_its_limit(monkeypatch):
    import threading
    import time

    monkeypatch.setenv("NV_THREADS", "4")
    running, peak, lock = [0], [0], threading.Lock()

    def task(k):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return k * k

    assert parallel.map_tasks(task, list(range(12)), limit=2) == [k * k for k in range(12)]
    assert peak[0] <= 2
