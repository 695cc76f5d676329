"""Long work as a generator of steps: ``*_steps`` functions yield the fraction
done after each block and return their result, so a caller on another thread
can show progress or stop; :func:`finish` runs one to its end in place.
"""
from __future__ import annotations

from typing import Generator, TypeVar

__all__ = ["finish"]

T = TypeVar("T")


def finish(steps: Generator[float, None, T]) -> T:
    """Run a ``*_steps`` generator to its end; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
