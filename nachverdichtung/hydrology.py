"""Heavy-rain fallback from the elevation model: sink depth and D8 flow accumulation.

Used by the ``starkregen`` criterion when no flash-flood hazard map is configured. Everything is
vectorised with numpy/scipy:

* **Depression filling** (the surface a priority-flood fill would produce) is computed as a
  minimax path problem: the filled elevation of a cell is the lowest possible "highest point" on
  any path from the cell to the edge of the window. That path runs along the minimum spanning tree
  of the 8-neighbour grid graph whose edge weights are ``max(z_a, z_b)`` (edges to a virtual outside
  node carry the elevation of the edge cell). ``scipy.sparse.csgraph.minimum_spanning_tree`` builds
  the tree in C; the maximum along each tree path is then found by pointer doubling.
* **Flow directions** are D8 (steepest descent, distance-weighted) on the filled surface. On flats
  that filling creates, a cell drains to its parent in the spanning tree, which leads out of the
  flat without cycles.
* **Flow accumulation** (upstream area) is summed level by level (Kahn's algorithm): each round moves
  the flow of all cells whose upstream cells are done, so the number of rounds is the longest flow
  path in cells, not the number of cells.

The window edge is treated as open (water leaves there); upstream area beyond the window is not
seen, so callers read a halo around their areas.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

__all__ = ["fill_depressions", "flow_accumulation", "sinks_and_flow"]

#: 8-neighbour offsets (row, col)
_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def _open_edge(valid: np.ndarray) -> np.ndarray:
    """Valid cells on the window edge or next to a missing cell (8-neighbourhood)."""
    h, w = valid.shape
    pad = np.pad(valid, 1, constant_values=False)
    out = np.zeros_like(valid)
    for dr, dc in _OFFSETS:
        out |= ~pad[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
    return out & valid


def _spanning_tree(z: np.ndarray):
    """Minimum spanning tree of the grid graph rooted at the outside node.

    Returns ``(valid, parent, root)``: ``parent`` holds, for every flat cell index, the flat index of
    its tree parent (``root`` = outside, ``-1`` for invalid cells).
    """
    h, w = z.shape
    n = h * w
    root = n
    valid = ~np.isnan(z)
    zf = np.where(valid, z, np.inf).ravel()
    zmin = float(np.nanmin(z))
    idx = np.arange(n).reshape(h, w)
    rows, cols, weights = [], [], []
    # four of the eight neighbours give every undirected edge once
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = idx[max(0, -dr):h - max(0, dr), max(0, -dc):w - max(0, dc)].ravel()
        b = idx[max(0, dr):h + min(0, dr), max(0, dc):w + min(0, dc)].ravel()
        ok = valid.ravel()[a] & valid.ravel()[b]
        a, b = a[ok], b[ok]
        rows.append(a)
        cols.append(b)
        weights.append(np.maximum(zf[a], zf[b]))
    # cells on the window edge or next to missing data drain to the outside
    edge = np.nonzero(_open_edge(valid).ravel())[0]
    rows.append(edge)
    cols.append(np.full(len(edge), root))
    weights.append(zf[edge])
    r, c = np.concatenate(rows), np.concatenate(cols)
    # csgraph ignores zero weights: shift all weights to be >= 1 (order is unchanged)
    wt = np.concatenate(weights) - zmin + 1.0
    graph = coo_matrix((wt, (r, c)), shape=(n + 1, n + 1)).tocsr()
    mst = minimum_spanning_tree(graph)
    _, pred = breadth_first_order(mst, root, directed=False, return_predecessors=True)
    parent = np.where(pred < 0, -1, pred)
    parent[root] = root
    parent[:n][~valid.ravel()] = -1
    # valid cells the search did not reach cannot exist (every component touches an open edge)
    return valid, parent, root


def fill_depressions(z: np.ndarray) -> np.ndarray:
    """Depression-filled elevations (as a priority-flood fill gives); NaN stays NaN.

    The window edge and cells next to NaN are outlets.

    Examples
    --------
    >>> z = np.array([[5, 5, 5, 5], [5, 1, 2, 5], [5, 3, 5, 5], [5, 5, 4, 5]], float)
    >>> fill_depressions(z)[1:3, 1:3].tolist()
    [[4.0, 4.0], [4.0, 5.0]]
    """
    filled, _, _ = _fill_and_tree(np.asarray(z, dtype=float))
    return filled


def _fill_and_tree(z: np.ndarray):
    h, w = z.shape
    out = np.full(z.shape, np.nan)
    if h == 0 or w == 0 or np.isnan(z).all():
        return out, None, None
    valid, parent, root = _spanning_tree(z)
    n = h * w
    zf = np.append(np.where(valid, z, np.nan).ravel(), -np.inf)
    anc = parent.copy()
    anc[anc < 0] = root
    # value carried by the edge to the parent: max(z, z_parent) (the root edge: z itself)
    val = np.maximum(zf, np.where(anc == root, -np.inf, zf[anc]))
    val[~np.append(valid.ravel(), True)] = -np.inf
    # pointer doubling: max over the whole path to the root
    for _ in range(64):
        if (anc == root).all():
            break
        val = np.maximum(val, val[anc])
        anc = anc[anc]
    out.ravel()[valid.ravel()] = val[:n][valid.ravel()]
    return out, parent, root


def _receivers(filled: np.ndarray, parent: np.ndarray, root: int, res: tuple[float, float]) -> np.ndarray:
    """D8 receiver of every cell (flat index, -1 = leaves the window or invalid)."""
    h, w = filled.shape
    n = h * w
    pad = np.pad(filled, 1, constant_values=np.nan)
    best = np.zeros((h, w))
    recv = np.full((h, w), -1, dtype=np.int64)
    idx = np.arange(n).reshape(h, w)
    pidx = np.pad(idx, 1, constant_values=-1)
    xres, yres = abs(res[0]), abs(res[1])
    for dr, dc in _OFFSETS:
        nb = pad[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
        drop = (filled - nb) / np.hypot(dr * yres, dc * xres)
        better = drop > best  # NaN compares False
        best = np.where(better, drop, best)
        recv = np.where(better, pidx[1 + dr:1 + dr + h, 1 + dc:1 + dc + w], recv)
    recv = recv.ravel()
    # a cell without a lower neighbour on the open edge drains out of the window; inner flat cells
    # follow the spanning tree out of their flat
    flat = (recv < 0) & ~np.isnan(filled.ravel()) & ~_open_edge(~np.isnan(filled)).ravel()
    p = parent[:n][flat]
    recv[flat] = np.where((p == root) | (p < 0), -1, p)
    return recv


def flow_accumulation(recv: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Upstream sum of ``weight`` along acyclic receivers (``-1`` = outlet), level by level."""
    acc = weight.astype(float).copy()
    has = recv >= 0
    indeg = np.bincount(recv[has], minlength=len(recv))
    frontier = np.nonzero((indeg == 0) & has)[0]
    while len(frontier):
        r = recv[frontier]
        np.add.at(acc, r, acc[frontier])
        np.subtract.at(indeg, r, 1)
        cand = np.unique(r)
        frontier = cand[(indeg[cand] == 0) & (recv[cand] >= 0)]
    return acc


def sinks_and_flow(z: np.ndarray, res: tuple[float, float]) -> dict[str, np.ndarray]:
    """Sink (fill) depth in m and upstream contributing area in m² for a DEM window.

    Parameters
    ----------
    z
        Elevations (m), NaN where missing; row 0 is north.
    res
        Pixel size ``(xres, yres)`` in m.

    Returns
    -------
    dict
        ``senke`` (filled minus original elevation, m) and ``abfluss`` (area draining through the
        cell, including itself, m²); NaN where ``z`` is NaN.

    Examples
    --------
    >>> z = np.array([[3, 3, 3], [3, 1, 3], [3, 3, 3]], float)
    >>> r = sinks_and_flow(z, (1.0, 1.0))
    >>> float(r["senke"][1, 1]), float(np.nansum(r["senke"]))
    (2.0, 2.0)
    """
    z = np.asarray(z, dtype=float)
    filled, parent, root = _fill_and_tree(z)
    if parent is None:
        return {"senke": filled.copy(), "abfluss": filled.copy()}
    recv = _receivers(filled, parent, root, res)
    valid = ~np.isnan(z).ravel()
    cell = abs(res[0] * res[1])
    acc = flow_accumulation(recv, np.where(valid, cell, 0.0))
    acc[~valid] = np.nan
    return {"senke": filled - z, "abfluss": acc.reshape(z.shape)}
