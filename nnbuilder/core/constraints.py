"""Limits on a setting's value, each declared once and read by everyone.

A constraint is declared where its setting is (a node type's parameters in
:data:`~nnbuilder.core.model.nodetypes.NODE_SPECS`, the training settings in
:data:`~nnbuilder.core.engine.config.TRAIN_CONSTRAINTS`, an optimizer's own
``params``) and answers, from that one declaration:

- :meth:`Constraint.check`: the value normalised (``3.0`` -> ``3``), or
  :class:`BadValue` with the reason ("must be above 0 and at most 1000");
- :meth:`Constraint.widget`: what a window field offers (its minimum and
  maximum, or the choices of a combo box);
- :meth:`Constraint.schema`: its fragment of the model file's JSON Schema
  (``{"type": "number", "exclusiveMinimum": 0, "maximum": 1000}``).

So the check, its message, the field's range and the schema cannot disagree
(as scikit-learn's ``_parameter_constraints`` serve its estimators).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["BadValue", "Constraint", "Interval", "Options", "Boolean", "merged", "number_text"]

CLOSED = ("both", "left", "right", "neither")


class BadValue(ValueError):
    """A check refuses a value: why, and the value as the check last saw it."""

    def __init__(self, why: str, value: Any):
        super().__init__(why)
        self.why, self.value = why, value


def number_text(x: float) -> str:
    """A limit as a message says it: 1000000 (a whole number as written), 0.5,
    1000.0 as 1000, 1e6 as 1e6, -1e-5."""
    if isinstance(x, int) or (x.is_integer() and abs(x) < 1e5):
        return str(int(x))
    mantissa, _, exponent = f"{x:g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """What every constraint answers; ``none_ok``: None (JSON null) is allowed too."""

    none_ok: bool = False

    def check(self, value: Any) -> Any:
        """``value`` normalised, or raise :class:`BadValue`."""
        if value is None and self.none_ok:
            return None
        return self._check(value)

    def refusal(self, value: Any) -> str | None:
        """Why ``value`` is refused, or None."""
        try:
            self.check(value)
        except BadValue as e:
            return e.why
        return None

    def schema(self) -> dict:
        """The JSON Schema fragment a model file's value must match."""
        frag = self._schema()
        if not self.none_ok:
            return frag
        if "type" in frag:
            types = frag["type"] if isinstance(frag["type"], list) else [frag["type"]]
            return {**frag, "type": [*types, "null"]}
        if "enum" in frag:
            return {**frag, "enum": [*frag["enum"], None]}
        return {"anyOf": [{"type": "null"}, frag]}

    def widget(self, decimals: int = 2) -> dict:
        """What a field offers: ``minimum``/``maximum`` (None: no limit) for a
        number field showing ``decimals`` digits, or ``choices``."""
        return {}

    def _check(self, value: Any) -> Any:
        raise NotImplementedError

    def _schema(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Interval(Constraint):
    """A whole (``kind=int``) or finite real (``kind=float``) number between
    ``low`` and ``high`` (None: unbounded); ``closed`` says which ends are
    allowed: "both", "left", "right" or "neither"."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def __post_init__(self):
        if self.kind not in (int, float) or self.closed not in CLOSED:
            raise ValueError(f"an Interval is of int or float, closed {', '.join(CLOSED)}: "
                             f"not {self.kind}, {self.closed!r}")

    @property
    def _low_closed(self) -> bool:
        return self.closed in ("both", "left")

    @property
    def _high_closed(self) -> bool:
        return self.closed in ("both", "right")

    def range_text(self) -> str:
        """The allowed numbers in words: "between 1 and 1024" (both ends
        allowed), "at least 0 and below 1", "above 0 and at most 1000"."""
        lo, hi = self.low, self.high
        if lo is not None and hi is not None and self.closed == "both":
            return f"between {number_text(lo)} and {number_text(hi)}"
        parts = []
        if lo is not None:
            parts.append(f"{'at least' if self._low_closed else 'above'} {number_text(lo)}")
        if hi is not None:
            parts.append(f"{'at most' if self._high_closed else 'below'} {number_text(hi)}")
        return " and ".join(parts)

    def _why(self) -> str:
        what = "a whole number" if self.kind is int else "a finite number"
        rng = self.range_text()
        return f"must be {what}" if not rng else \
            f"must be a whole number {rng}" if self.kind is int else f"must be {rng}"

    def _check(self, value):
        if self.kind is int:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadValue("must be a whole number", value)
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                raise BadValue("must be a finite number", value)
            value = float(value)
        lo, hi = self.low, self.high
        if (lo is not None and (value < lo or (value == lo and not self._low_closed))) or \
                (hi is not None and (value > hi or (value == hi and not self._high_closed))):
            raise BadValue(self._why(), value)
        return value

    def _schema(self) -> dict:
        frag: dict = {"type": "integer" if self.kind is int else "number"}
        if self.low is not None:
            frag["minimum" if self._low_closed else "exclusiveMinimum"] = self.low
        if self.high is not None:
            frag["maximum" if self._high_closed else "exclusiveMaximum"] = self.high
        return frag

    def widget(self, decimals: int = 2) -> dict:
        """The ends a field with ``decimals`` digits can show: an open end
        moves in by one last digit (below 1 with 2 decimals: 0.99)."""
        tick = 1 if self.kind is int else 10.0 ** -decimals
        lo = None if self.low is None else self.low + (0 if self._low_closed else tick)
        hi = None if self.high is None else self.high - (0 if self._high_closed else tick)
        return {"minimum": lo, "maximum": hi, "decimals": 0 if self.kind is int else decimals}


@dataclass(frozen=True, kw_only=True)
class Options(Constraint):
    """One of ``names``; ``noun`` names them in the message ("unknown loss; ...")."""

    names: tuple
    noun: str = ""

    def __init__(self, names: Iterable, noun: str = "", none_ok: bool = False):
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "noun", noun)
        object.__setattr__(self, "none_ok", none_ok)

    def _check(self, value):
        if not any(value == n and type(value) is type(n) for n in self.names):
            prefix = f"unknown {self.noun}; " if self.noun else ""
            raise BadValue(f"{prefix}choose from {', '.join(map(str, self.names))}", value)
        return value

    def _schema(self) -> dict:
        return {"enum": list(self.names)}

    def widget(self, decimals: int = 2) -> dict:
        return {"choices": list(self.names)}


@dataclass(frozen=True, kw_only=True)
class Boolean(Constraint):
    """True or false."""

    def _check(self, value):
        if not isinstance(value, bool):
            raise BadValue("must be true or false", value)
        return value

    def _schema(self) -> dict:
        return {"type": "boolean"}

    def widget(self, decimals: int = 2) -> dict:
        return {"choices": [False, True]}


def merged(tables: Iterable[dict], what: str, same=lambda c: c) -> dict:
    """One table of several (each node type's parameters, each optimizer's),
    the first entry of a name kept: a name must mean the same constraint
    (``same(entry)``) wherever it appears, as the model file has one entry
    per name; ValueError otherwise."""
    out: dict = {}
    for table in tables:
        for name, entry in table.items():
            first = out.setdefault(name, entry)
            if same(first) != same(entry):
                raise ValueError(f"{what} '{name}' is declared twice, differently: "
                                 f"{same(first)} and {same(entry)}")
    return out
