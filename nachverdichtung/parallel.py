"""Element-wise geometry on all cores of the machine.

shapely 2 releases the GIL inside its vectorised GEOS functions, so an element-wise call over many
geometries can run chunk by chunk in threads of one process: each element is computed on its own,
the result is bit for bit the one of the serial call (``tests/test_parallel.py``), and no geometry
is copied between processes. The single path uses every core this way; a dask task runs
:func:`serial` (the cluster already runs one task per core).

The number of threads is ``NV_THREADS`` if set, else the CPUs this process may use.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

__all__ = ["elementwise", "map_tasks", "serial", "threads", "tree_query"]

#: Fewest elements per chunk: below it a thread costs more than it saves (~20 µs per GEOS call).
MIN_CHUNK = 64
#: Chunks per thread: geometries differ in cost, smaller chunks even the load out.
CHUNKS_PER_THREAD = 4

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()


def threads() -> int:
    """Threads for element-wise geometry here: 1 inside :func:`serial`, else ``NV_THREADS`` or the CPUs."""
    if getattr(_local, "serial", 0):
        return 1
    env = os.environ.get("NV_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@contextmanager
def serial() -> Iterator[None]:
    """Run element-wise geometry in the calling thread only (a dask task, a worker of a process pool)."""
    _local.serial = getattr(_local, "serial", 0) + 1
    try:
        yield
    finally:
        _local.serial -= 1


def _executor(n: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < n:  # grow once if NV_THREADS rises
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="nv-geom")
        return _pool


def elementwise(fn: Callable, *args, by: np.ndarray | None = None, **kwargs):
    """``fn(*args, **kwargs)`` for an element-wise vectorised function, split over threads.

    Every positional argument that is an array as long as the first one is cut into the same
    chunks; everything else (scalars, keyword arguments) goes to each chunk unchanged. ``fn`` must
    treat each element on its own (shapely's element-wise functions do; ``union_all`` or
    ``geometrycollections(..., indices=)`` do not).

    ``by`` (sorted keys, one per row) for a predicate whose first argument repeats one prepared
    geometry over a run of rows, e.g. ``contains_xy(poly[owner], x, y, by=owner)``: chunks are then
    cut only where the key changes, so each prepared geometry (whose GEOS indexes are built lazily
    on first use) is used by one thread.

    Examples
    --------
    >>> import shapely
    >>> g = shapely.points(np.arange(1000.0), 0.0)
    >>> bool((elementwise(shapely.buffer, g, 1.0) == shapely.buffer(g, 1.0)).all())
    True
    """
    first = np.asarray(args[0], dtype=object) if args and not isinstance(args[0], np.ndarray) else args[0]
    n = len(first) if getattr(first, "ndim", 0) >= 1 else 0
    k = min(threads() * CHUNKS_PER_THREAD, n // MIN_CHUNK)
    if threads() < 2 or k < 2:
        return fn(*args, **kwargs)
    cuts = np.linspace(0, n, k + 1).astype(np.int64)
    if by is not None:
        cuts = _group_cuts(np.asarray(by), cuts)
        if len(cuts) < 3:
            return fn(*args, **kwargs)
    split = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.ndim >= 1 and len(a) == n]
    args = list(args)
    args[0] = first

    def run(lo_hi):
        lo, hi = lo_hi
        with serial():  # a pool thread never waits for the pool
            return fn(*[a[lo:hi] if i in split or i == 0 else a for i, a in enumerate(args)], **kwargs)

    parts = list(_executor(threads()).map(run, itertools.pairwise(cuts)))
    return np.concatenate(parts)


def map_tasks(fn: Callable, items: list, *, limit: int | None = None) -> list:
    """``[fn(item) for item in items]`` in threads, each task with element-wise geometry in its own thread.

    For independent pieces of work that mix numpy, scipy and shapely (e.g. the walking-length graphs
    of :mod:`~nachverdichtung.criteria.erschliessung`); the results come back in the order of ``items``.
    ``limit``: at most this many tasks at once (memory-heavy tasks on a machine with many cores).

    Examples
    --------
    >>> map_tasks(lambda k: k * k, [1, 2, 3])
    [1, 4, 9]
    """
    n = min(threads(), limit or threads())
    if n < 2 or len(items) < 2:
        return [fn(item) for item in items]
    gate = threading.Semaphore(n)

    def run(item):
        with gate, serial():
            return fn(item)

    return list(_executor(threads()).map(run, items))


def tree_query(tree, geoms, *, nearest: bool = False, **kwargs):
    """``tree.query(geoms, **kwargs)`` (or ``tree.query_nearest`` if ``nearest``) over chunks in threads.

    The same pairs in the same order as one call: the chunks' query positions are shifted back and
    joined in order. A keyword array as long as ``geoms`` (a distance per geometry) is cut with them.
    The tree is built by a first query in the calling thread (GEOS builds it lazily), so the threads
    only read it.

    Examples
    --------
    >>> import shapely
    >>> tree = shapely.STRtree(shapely.points(np.arange(500.0), 0.0))
    >>> q = shapely.buffer(shapely.points(np.arange(500.0) + 0.5, 0.0), 0.6)
    >>> bool((tree_query(tree, q, predicate="intersects") == tree.query(q, predicate="intersects")).all())
    True
    """
    call = tree.query_nearest if nearest else tree.query
    n = len(geoms) if getattr(geoms, "ndim", 0) >= 1 or isinstance(geoms, (list, tuple)) else 0
    k = min(threads() * CHUNKS_PER_THREAD, n // MIN_CHUNK)
    if threads() < 2 or k < 2:
        return call(geoms, **kwargs)
    geoms = np.asarray(geoms, dtype=object)
    cuts = np.linspace(0, n, k + 1).astype(np.int64)
    sliced = {key: v for key, v in kwargs.items() if isinstance(v, np.ndarray) and v.ndim == 1 and len(v) == n}

    def run(lo_hi):
        lo, hi = lo_hi
        with serial():
            res = call(geoms[lo:hi], **{**kwargs, **{key: v[lo:hi] for key, v in sliced.items()}})
        pairs = res[0] if isinstance(res, tuple) else res
        pairs = pairs.copy()
        pairs[0] += lo
        return (pairs, res[1]) if isinstance(res, tuple) else pairs

    call(geoms[:1], **{**kwargs, **{key: v[:1] for key, v in sliced.items()}})
    parts = list(_executor(threads()).map(run, itertools.pairwise(cuts)))
    if parts and isinstance(parts[0], tuple):
        return np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts])
    return np.concatenate(parts, axis=1)


def _group_cuts(keys: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """``cuts`` moved forward to the next row where the key changes (duplicates dropped)."""
    starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    if not len(starts):
        return np.array([0, len(keys)])
    inner = starts[np.minimum(np.searchsorted(starts, cuts[1:-1]), len(starts) - 1)]
    return np.unique(np.concatenate(([0], inner, [len(keys)])))
