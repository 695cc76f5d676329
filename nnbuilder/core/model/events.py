"""A tiny Qt-free signal: the graph model announces changes, views follow."""
from __future__ import annotations

from typing import Callable

__all__ = ["Event"]


class Event:
    """A list of callbacks called in order with the emitted arguments."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for cb in list(self._callbacks):
            cb(*args)
