"""Preprocessing layers (tf.keras 2.5 `layers.experimental.preprocessing`): Rescaling.

Also exported as `layers.Rescaling` (its name from tf.keras 2.6 on)."""
import types

from .. import _core
from ..engine.api import elementwise as _ew
from .base import Layer

C = _core.ops


class Rescaling(Layer):
    """`inputs * scale + offset`, computed in the layer's dtype (float32 unless set):
    integer inputs (uint8 images) are cast first. E.g. `Rescaling(1/255)` maps [0, 255] to
    [0, 1], `Rescaling(1/127.5, offset=-1)` maps it to [-1, 1]."""

    def __init__(self, scale, offset=0.0, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        dtype = self._compute_dtype_object
        if inputs._dtype_id != dtype._id:
            inputs = _ew.cast(inputs, dtype)
        scale = _core.scalar(float(self.scale), dtype._id)
        offset = _core.scalar(float(self.offset), dtype._id)
        return C["add"](C["multiply"](inputs, scale), offset)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"scale": self.scale, "offset": self.offset}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# layers.experimental.preprocessing.<name>, as tf.keras 2.5 spells it
preprocessing = types.SimpleNamespace(Rescaling=Rescaling)
experimental = types.SimpleNamespace(preprocessing=preprocessing)
