"""Pooling layers (tf.keras 2.5): MaxPooling1D/2D, AveragePooling1D/2D, GlobalMaxPooling1D/2D,
GlobalAveragePooling1D/2D, and their aliases MaxPool1D/2D, AvgPool1D/2D, GlobalMaxPool1D/2D,
GlobalAvgPool1D/2D.  Windows run on the C pool ops (tf.nn.max_pool2d / avg_pool2d);
global pooling is a reduction over the spatial axes."""
from .. import _core
from .. import backend
from ..engine.tensor import TensorShape, convert_to_tensor
from ..engine.api import pool as _pool
from ..engine.api import reduce as _red
from ..engine.api import shape as _sh
from .base import Layer, InputSpec

C = _core.ops


from ..utils.conv_utils import (conv_output_length, normalize_data_format,  # noqa: E402,F401
                                normalize_padding, normalize_tuple)


# ---- windowed pooling ------------------------------------------------------------------------

class Pooling1D(Layer):
    """Pooling over the steps axis of (batch, steps, features) (or channels_first)."""

    def __init__(self, pool_function, pool_size, strides, padding="valid",
                 data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if data_format is None:
            data_format = backend.image_data_format()
        if strides is None:
            strides = pool_size
        self.pool_function = pool_function
        self.pool_size = normalize_tuple(pool_size, 1, "pool_size")
        self.strides = normalize_tuple(strides, 1, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        fmt = "NWC" if self.data_format == "channels_last" else "NCW"
        return self.pool_function(inputs, self.pool_size, self.strides, self.padding.upper(), fmt)

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        if self.data_format == "channels_first":
            steps, features = input_shape[2], input_shape[1]
        else:
            steps, features = input_shape[1], input_shape[2]
        length = conv_output_length(steps, self.pool_size[0], self.padding, self.strides[0])
        if self.data_format == "channels_first":
            return TensorShape([input_shape[0], features, length])
        return TensorShape([input_shape[0], length, features])

    def get_config(self):
        config = {"strides": self.strides, "pool_size": self.pool_size, "padding": self.padding,
                  "data_format": self.data_format}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


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


class Pooling2D(Layer):
    """Pooling over the two spatial axes of (batch, rows, cols, channels) (or channels_first)."""

    def __init__(self, pool_function, pool_size, strides, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if data_format is None:
            data_format = backend.image_data_format()
        if strides is None:
            strides = pool_size
        self.pool_function = pool_function
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        fmt = "NHWC" if self.data_format == "channels_last" else "NCHW"
        return self.pool_function(inputs, ksize=self.pool_size, strides=self.strides,
                                  padding=self.padding.upper(), data_format=fmt)

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        if self.data_format == "channels_first":
            rows, cols = input_shape[2], input_shape[3]
        else:
            rows, cols = input_shape[1], input_shape[2]
        rows = conv_output_length(rows, self.pool_size[0], self.padding, self.strides[0])
        cols = conv_output_length(cols, self.pool_size[1], self.padding, self.strides[1])
        if self.data_format == "channels_first":
            return TensorShape([input_shape[0], input_shape[1], rows, cols])
        return TensorShape([input_shape[0], rows, cols, input_shape[3]])

    def get_config(self):
        config = {"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                  "data_format": self.data_format}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


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
