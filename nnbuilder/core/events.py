"""A tiny Qt-free signal: the graph model announces changes, views follow."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

__all__ = ["Event"]


class Event:
    """A list of callbacks called in order with the emitted arguments."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable] = []
        self._blocked = 0

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        if self._blocked:
            return
        for cb in list(self._callbacks):
            cb(*args)

    @contextmanager
    def blocked(self):
        """Suppress emission inside the block (to avoid feedback loops)."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1
