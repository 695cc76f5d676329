"""Weight initializers, keyed by the names used in files.

``init(rng, fan_in, fan_out, value, out)`` fills ``out`` (shape
``(fan_in, fan_out)``) from the run's one ``np.random.Generator``.
``value`` is used by ``constant`` only. Biases always start at zero.
"""
from __future__ import annotations

import math

__all__ = ["INITIALIZERS"]


def _glorot_uniform(rng, fan_in, fan_out, value, out):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    out[...] = rng.uniform(-limit, limit, out.shape)


def _glorot_normal(rng, fan_in, fan_out, value, out):
    out[...] = rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), out.shape)


def _he_normal(rng, fan_in, fan_out, value, out):
    out[...] = rng.normal(0.0, math.sqrt(2.0 / fan_in), out.shape)


def _uniform(rng, fan_in, fan_out, value, out):
    out[...] = rng.uniform(-0.5, 0.5, out.shape)


def _zeros(rng, fan_in, fan_out, value, out):
    # Every unit of a layer then gets the same gradient: the symmetry problem.
    out.fill(0.0)


def _constant(rng, fan_in, fan_out, value, out):
    out.fill(value)


INITIALIZERS = {
    "glorot_uniform": _glorot_uniform,
    "glorot_normal": _glorot_normal,
    "he_normal": _he_normal,
    "uniform": _uniform,
    "zeros": _zeros,
    "constant": _constant,
}
