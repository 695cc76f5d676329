"""The training settings: :class:`TrainConfig` (what the model file's
``training`` object holds) and the limits of each setting,
:data:`TRAIN_CONSTRAINTS`, which the check, the Training panel's fields and
the model schema read.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..constraints import BadValue, Constraint, Interval, Options, merged
from ..errors import NNBuilderError
from .optimizers import OPTIMIZERS

__all__ = ["TrainConfig", "TRAIN_CONSTRAINTS"]


#: Each training setting's limits, by its TrainConfig field (and model-file)
#: name: TrainConfig.check, the Training panel's fields and the model schema's
#: ``$defs.training`` read them. An optimizer declares its own settings
#: (momentum, rho, ...) in its ``params``.
TRAIN_CONSTRAINTS: dict[str, Constraint] = {
    "optimizer": Options(OPTIMIZERS),
    "lr": Interval(kind=float, low=0, high=1000, closed="right"),
    "batch_size": Interval(kind=int, low=1, high=100_000),
    **merged((opt.params for opt in OPTIMIZERS.values()), "optimizer setting"),
    "l1": Interval(kind=float, low=0),
    "l2": Interval(kind=float, low=0),
    "max_epochs": Interval(kind=int, low=0, none_ok=True),
    "loss_target": Interval(kind=float, none_ok=True),
}


@dataclass
class TrainConfig:
    """Hyperparameters; each may change between chunks. Their limits are
    :data:`TRAIN_CONSTRAINTS`."""

    optimizer: str = "sgd"
    lr: float = 0.03
    batch_size: int = 10
    momentum: float = 0.0
    nesterov: bool = False
    rho: float = 0.9  # RMSProp decay
    beta1: float = 0.9  # Adam
    beta2: float = 0.999
    eps: float = 1e-8
    l1: float = 0.0
    l2: float = 0.0
    max_epochs: int | None = None
    loss_target: float | None = None

    def check(self) -> "TrainConfig":
        """Normalise each field (``batch_size`` 3.0 -> 3) or raise
        NNBuilderError naming the first bad one (its ``field``); return self."""
        for f in fields(self):
            value = getattr(self, f.name)
            try:
                setattr(self, f.name, TRAIN_CONSTRAINTS[f.name].check(value))
            except BadValue as e:
                err = NNBuilderError(f"training setting '{f.name}': {e.why} (got {value!r})")
                err.field = f.name
                raise err from None
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known}).check()


TRAIN_CONSTRAINTS = {f.name: TRAIN_CONSTRAINTS[f.name] for f in fields(TrainConfig)}  # in field order
