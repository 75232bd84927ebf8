"""Pooling layers (tf.keras 2.5): MaxPooling1D/2D, AveragePooling1D/2D, GlobalMaxPooling1D/2D,
GlobalAveragePooling1D/2D, and their aliases MaxPool1D/2D, AvgPool1D/2D, GlobalMaxPool1D/2D,
GlobalAvgPool1D/2D.  Windows run on the C pool ops (tf.nn.max_pool2d / avg_pool2d);
global pooling is a reduction over the spatial axes."""
from .. import _core
from ..engine.tensor import TensorShape, convert_to_tensor
from ..engine.api import pool as _pool
from ..engine.api import reduce as _red
from ..engine.api import shape as _sh
from .base import Layer, InputSpec

C = _core.ops


from ..utils.conv_utils import (conv_output_length, normalize_data_format,  # noqa: E402,F401
                                normalize_padding, normalize_tuple)


# ---- windowed pooling ------------------------------------------------------------------------

class _Pooling(Layer):
    """Windowed pooling over the `rank` spatial axes of (batch, *spatial, channels) (or
    channels_first), on tf.nn's pool functions (the C pool ops)."""

    rank = None
    _formats = None          # (channels_last, channels_first) data_format strings for tf.nn
    _config_keys = None      # get_config's key order, as tf.keras 2.5 writes it

    def __init__(self, pool_function, pool_size, strides, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if strides is None:
            strides = pool_size
        self.pool_function = pool_function
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        fmt = self._formats[self.data_format == "channels_first"]
        return self.pool_function(inputs, self.pool_size, self.strides, self.padding.upper(), fmt)

    def compute_output_shape(self, input_shape):
        shape = TensorShape(input_shape).as_list()
        first = self.data_format == "channels_first"
        spatial = shape[2:] if first else shape[1:-1]
        out = [conv_output_length(n, self.pool_size[i], self.padding, self.strides[i])
               for i, n in enumerate(spatial)]
        if first:
            return TensorShape([shape[0], shape[1]] + out)
        return TensorShape([shape[0]] + out + [shape[-1]])

    def get_config(self):
        config = {k: getattr(self, k) for k in self._config_keys}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class Pooling1D(_Pooling):
    """Pooling over the steps axis of (batch, steps, features) (or channels_first)."""

    rank = 1
    _formats = ("NWC", "NCW")
    _config_keys = ("strides", "pool_size", "padding", "data_format")

    def __init__(self, pool_function, pool_size, strides, padding="valid",
                 data_format="channels_last", name=None, **kwargs):
        super().__init__(pool_function, pool_size, strides, padding=padding,
                         data_format=data_format, name=name, **kwargs)


class MaxPooling1D(Pooling1D):
    """Max pooling for temporal data: pool_size=2, strides=None (= pool_size), 'valid'."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                 **kwargs):
        super().__init__(_pool.max_pool1d, pool_size=pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling1D(Pooling1D):
    """Average pooling for temporal data."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last",
                 **kwargs):
        super().__init__(_pool.avg_pool1d, pool_size=pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class Pooling2D(_Pooling):
    """Pooling over the two spatial axes of (batch, rows, cols, channels) (or channels_first)."""

    rank = 2
    _formats = ("NHWC", "NCHW")
    _config_keys = ("pool_size", "padding", "strides", "data_format")


class MaxPooling2D(Pooling2D):
    """Max pooling for spatial data: pool_size=(2, 2), strides=None (= pool_size), 'valid'."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(_pool.max_pool2d, pool_size=pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling2D(Pooling2D):
    """Average pooling for spatial data ('same' averages only the elements inside the input)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(_pool.avg_pool2d, pool_size=pool_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


# ---- global pooling ------------------------------------------------------------------------------

class _GlobalPooling(Layer):
    """Reduce the spatial axes.  keepdims (tf.keras 2.6's argument) is accepted; it is
    written into the config only when True, so 2.5 configs stay as they were."""

    _rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _axes(self):
        if self.data_format == "channels_last":
            return list(range(1, self._rank + 1))
        return list(range(2, self._rank + 2))

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        if self.data_format == "channels_last":
            if self.keepdims:
                return TensorShape([input_shape[0]] + [1] * self._rank + [input_shape[-1]])
            return TensorShape([input_shape[0], input_shape[-1]])
        if self.keepdims:
            return TensorShape([input_shape[0], input_shape[1]] + [1] * self._rank)
        return TensorShape([input_shape[0], input_shape[1]])

    def get_config(self):
        config = {"data_format": self.data_format}
        if self.keepdims:
            config["keepdims"] = self.keepdims
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class GlobalPooling1D(_GlobalPooling):
    _rank = 1

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalPooling2D(_GlobalPooling):
    _rank = 2


class GlobalAveragePooling1D(GlobalPooling1D):
    """Mean over the steps axis; with a mask (batch, steps), the mean of the unmasked steps."""

    def __init__(self, data_format="channels_last", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        steps_axis = 1 if self.data_format == "channels_last" else 2
        if mask is not None:
            m = mask if isinstance(mask, _core.TensorBase) else convert_to_tensor(mask)
            if m._dtype_id != inputs._dtype_id:
                m = C["cast"](m, ints=(inputs._dtype_id,))
            m = _sh.expand_dims(m, 2 if self.data_format == "channels_last" else 1)
            num = _red.reduce_sum(C["multiply"](inputs, m), axis=steps_axis, keepdims=self.keepdims)
            den = _red.reduce_sum(m, axis=steps_axis, keepdims=self.keepdims)
            return C["divide"](num, den)
        return _red.reduce_mean(inputs, axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(GlobalPooling1D):
    """Max over the steps axis."""

    def call(self, inputs):
        steps_axis = 1 if self.data_format == "channels_last" else 2
        return _red.reduce_max(inputs, axis=steps_axis, keepdims=self.keepdims)


class GlobalAveragePooling2D(GlobalPooling2D):
    """Mean over rows and cols: (batch, rows, cols, channels) -> (batch, channels)."""

    def call(self, inputs):
        return _red.reduce_mean(inputs, axis=self._axes(), keepdims=self.keepdims)


class GlobalMaxPooling2D(GlobalPooling2D):
    """Max over rows and cols: (batch, rows, cols, channels) -> (batch, channels)."""

    def call(self, inputs):
        return _red.reduce_max(inputs, axis=self._axes(), keepdims=self.keepdims)


# aliases (same classes, as in tf.keras)
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D"]
