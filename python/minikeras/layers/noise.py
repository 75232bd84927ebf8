"""Noise regularisation layers (tf.keras 2.5): GaussianNoise, GaussianDropout,
AlphaDropout.  They act only when called with training=True (Model.fit passes it);
otherwise they return their inputs unchanged."""
import numpy as np

from .. import _core
from ..engine.api import random as _rnd
from .base import Layer

C = _core.ops


def _s(x, v):
    return _core.scalar(float(v), x._dtype_id)


def _training(training):
    if isinstance(training, _core.TensorBase):
        training = bool(training)     # eager only; a traced call passes a Python bool
    return bool(training)


def _normal(shape, mean, stddev, dtype, seed=None):
    gen = "float32" if dtype.name == "float16" else dtype
    z = _rnd.normal(list(shape), mean=mean, stddev=stddev, dtype=gen, seed=seed)
    return z if z._dtype_id == dtype._id else C["cast"](z, ints=(dtype._id,))


class GaussianNoise(Layer):
    """Add zero-centred Gaussian noise of standard deviation `stddev` while training."""

    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.stddev = stddev

    def call(self, inputs, training=None):
        if not _training(training):
            return inputs
        return C["add"](inputs, _normal(inputs._shape, 0., self.stddev, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"stddev": self.stddev}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class GaussianDropout(Layer):
    """Multiply by 1-centred Gaussian noise of standard deviation sqrt(rate / (1 - rate))
    while training (0 < rate < 1; the identity otherwise)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.rate = rate

    def call(self, inputs, training=None):
        if 0 < self.rate < 1 and _training(training):
            stddev = np.sqrt(self.rate / (1.0 - self.rate))
            return C["multiply"](inputs, _normal(inputs._shape, 1.0, stddev, inputs.dtype))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": self.rate}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class AlphaDropout(Layer):
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation
    value and an affine map keeps the inputs' mean and variance (while training)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def _get_noise_shape(self, inputs):
        if self.noise_shape is None:
            return list(inputs._shape)
        return [inputs._shape[i] if d is None else int(d) for i, d in enumerate(self.noise_shape)]

    def call(self, inputs, training=None):
        if 0. < self.rate < 1. and _training(training):
            rate = self.rate
            noise_shape = self._get_noise_shape(inputs)
            alpha = 1.6732632423543772848170429916717
            scale = 1.0507009873554804934193349852946
            alpha_p = -alpha * scale
            gen = "float32" if inputs.dtype.name == "float16" else inputs.dtype
            u = _rnd.uniform(noise_shape, dtype=gen, seed=self.seed)
            kept_idx = C["cast"](C["greater_equal"](u, _s(u, rate)), ints=(inputs._dtype_id,))
            # affine transformation parameters
            a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
            b = -a * alpha_p * rate
            x = C["add"](C["multiply"](inputs, kept_idx),
                         C["multiply"](_s(inputs, alpha_p), C["subtract"](_s(kept_idx, 1.0), kept_idx)))
            return C["add"](C["multiply"](_s(x, a), x), _s(x, b))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


__all__ = ["GaussianNoise", "GaussianDropout", "AlphaDropout"]
