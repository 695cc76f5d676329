"""The example networks that ship with nnbuilder (``resources/examples``),
each with one line saying what it shows (File > Examples lists them).

The lines are kept here, in one table keyed by the file's name, rather than
in the files: a model file has no place for a description, and a teacher's
own file needs none to open.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..resources import resource

__all__ = ["Example", "DESCRIPTIONS", "shipped_examples"]

#: One line per shipped example, by file name without ".json", in menu order.
DESCRIPTIONS: dict[str, str] = {
    "circle": "2-4-4-1 tanh network for a disc inside a ring (the start-up example)",
    "xor": "the smallest network that learns XOR: 2-2-1 with tanh",
    "perceptron_and": "a step unit with hand-set weights computing AND; trains by the perceptron rule",
    "linear_regression": "the lecture's y = w x on four points: one weight, no bias, L2 loss",
    "spiral": "two interleaved spirals, learnt with extra input features (x1², sin x1, ...)",
    "skip_connection": "a DAG: two ReLU layers with a skip connection (Add) on the moons",
    "sine": "1-D regression: a 1-16-16-1 tanh network fits y = sin(x)",
    "iris": "Fisher's Iris flowers: 4-8-3 softmax classifier trained with Adam",
}


@dataclass(frozen=True)
class Example:
    name: str  # the file's name without ".json"
    path: Path
    description: str  # one line; empty for a file the table does not know yet


def shipped_examples() -> list[Example]:
    """Every ``resources/examples/*.json``: those in :data:`DESCRIPTIONS` in
    its order, then any others by name."""
    paths = {p.stem: p for p in resource("examples").glob("*.json")}
    order = [n for n in DESCRIPTIONS if n in paths] + sorted(n for n in paths if n not in DESCRIPTIONS)
    return [Example(n, paths[n], DESCRIPTIONS.get(n, "")) for n in order]
