"""A progress bar over the items of a long export step (tqdm on stderr, only on a terminal)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from tqdm import tqdm

__all__ = ["Counted", "bar"]


def bar(items: Iterable, desc: str, *, total: int | None = None, unit: str = "Fläche") -> Iterator:
    """``items`` with a tqdm bar; silent when stderr is no terminal (CI logs, tests, a GUI)."""
    yield from tqdm(items, desc=desc, total=total, unit=unit, disable=None, leave=False, dynamic_ncols=True)


class Counted:
    """A sequence seen through a progress bar: ``len()`` as the sequence, iteration through :func:`bar`."""

    def __init__(self, items: Sequence, desc: str):
        self.items = items
        self.desc = desc

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator:
        return bar(self.items, self.desc, total=len(self.items))
