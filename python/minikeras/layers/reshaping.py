"""Reshaping layers for images and sequences (tf.keras 2.5): ZeroPadding1D/2D,
Cropping1D/2D, UpSampling1D/2D (nearest; bilinear through tf.image.resize), and the
channel-dropping SpatialDropout1D/2D."""
from .. import _core
from ..engine.tensor import TensorShape
from ..engine.api import shape as _sh
from .base import Layer, InputSpec
from .core import Dropout
from ..utils.conv_utils import normalize_data_format, normalize_tuple

C = _core.ops


def _pairs(value, name):
    """int -> ((v, v), (v, v)); (a, b) -> ((a, a), (b, b)); ((a, b), (c, d)) as given."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ((value, value), (value, value))
    if hasattr(value, "__len__"):
        if len(value) != 2:
            raise ValueError(f"`{name}` should have two elements. Received: {value}.")
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return ((value[0], value[0]), (value[1], value[1]))
        return (normalize_tuple(value[0], 2, f"1st entry of {name}"),
                normalize_tuple(value[1], 2, f"2nd entry of {name}"))
    raise ValueError(f"`{name}` should be either an int, a tuple of 2 ints (symmetric_height_{name}, "
                     f"symmetric_width_{name}), or a tuple of 2 tuples of 2 ints ((top_{name}, "
                     f"bottom_{name}), (left_{name}, right_{name})). Received: {value}.")


def _add(d, n):
    return None if d is None else d + n


# ---- zero padding -------------------------------------------------------------------------

class ZeroPadding1D(Layer):
    """Pad the steps axis of (batch, steps, features) with zeros: padding=1 or (left, right)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = normalize_tuple(padding, 2, "padding")
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        s = TensorShape(input_shape).as_list()
        return TensorShape([s[0], _add(s[1], sum(self.padding)), s[2]])

    def call(self, inputs):
        return _sh.pad(inputs, [[0, 0], list(self.padding), [0, 0]])

    def get_config(self):
        config = {"padding": self.padding}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class ZeroPadding2D(Layer):
    """Pad rows and cols with zeros: padding=1, (rows, cols) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.padding = _pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        s = TensorShape(input_shape).as_list()
        (t, b), (l, r) = self.padding
        if self.data_format == "channels_first":
            return TensorShape([s[0], s[1], _add(s[2], t + b), _add(s[3], l + r)])
        return TensorShape([s[0], _add(s[1], t + b), _add(s[2], l + r), s[3]])

    def call(self, inputs):
        p = [list(self.padding[0]), list(self.padding[1])]
        if self.data_format == "channels_first":
            return _sh.pad(inputs, [[0, 0], [0, 0]] + p)
        return _sh.pad(inputs, [[0, 0]] + p + [[0, 0]])

    def get_config(self):
        config = {"padding": self.padding, "data_format": self.data_format}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- cropping -------------------------------------------------------------------------------

class Cropping1D(Layer):
    """Crop the steps axis: cropping=(start, end) (or one int for both)."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = normalize_tuple(cropping, 2, "cropping")
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        s = TensorShape(input_shape).as_list()
        length = s[1] - self.cropping[0] - self.cropping[1] if s[1] is not None else None
        return TensorShape([s[0], length, s[2]])

    def call(self, inputs):
        a, b = self.cropping
        n = inputs.shape[1]
        if a + b > n:
            raise ValueError(f"Cropping {self.cropping} is larger than the steps axis of the input "
                             f"(shape {tuple(inputs.shape)})")
        return inputs[:, a:n - b, :]

    def get_config(self):
        config = {"cropping": self.cropping}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class Cropping2D(Layer):
    """Crop rows and cols: cropping=int, (rows, cols) or ((top, bottom), (left, right))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.cropping = _pairs(cropping, "cropping")
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        s = TensorShape(input_shape).as_list()
        (t, b), (l, r) = self.cropping

        def crop(d, n):
            return d - n if d is not None else None

        if self.data_format == "channels_first":
            return TensorShape([s[0], s[1], crop(s[2], t + b), crop(s[3], l + r)])
        return TensorShape([s[0], crop(s[1], t + b), crop(s[2], l + r), s[3]])

    def call(self, inputs):
        (t, b), (l, r) = self.cropping
        if self.data_format == "channels_first":
            h, w = inputs.shape[2], inputs.shape[3]
        else:
            h, w = inputs.shape[1], inputs.shape[2]
        if t + b > h or l + r > w:
            raise ValueError(f"Cropping {self.cropping} is larger than the input's spatial size "
                             f"(shape {tuple(inputs.shape)})")
        if self.data_format == "channels_first":
            return inputs[:, :, t:h - b, l:w - r]
        return inputs[:, t:h - b, l:w - r, :]

    def get_config(self):
        config = {"cropping": self.cropping, "data_format": self.data_format}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- upsampling -------------------------------------------------------------------------------

def _repeat(x, axis, k):
    """Repeat each element k times along `axis` (backend.repeat_elements)."""
    if k == 1:
        return x
    s = tuple(x.shape)
    x = C["reshape"](x, ints=s[:axis + 1] + (1,) + s[axis + 1:])
    x = C["broadcast_to"](x, ints=s[:axis + 1] + (k,) + s[axis + 1:])
    return C["reshape"](x, ints=s[:axis] + (s[axis] * k,) + s[axis + 1:])


class UpSampling1D(Layer):
    """Repeat each step `size` times."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        s = TensorShape(input_shape).as_list()
        return TensorShape([s[0], self.size * s[1] if s[1] is not None else None, s[2]])

    def call(self, inputs):
        return _repeat(inputs, 1, self.size)

    def get_config(self):
        config = {"size": self.size}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class UpSampling2D(Layer):
    """Scale rows and cols by `size`: interpolation 'nearest' (repeat) or 'bilinear'
    (tf.image.resize, half-pixel centres)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.size = normalize_tuple(size, 2, "size")
        if interpolation not in {"nearest", "bilinear"}:
            raise ValueError('`interpolation` argument should be one of `"nearest"` or '
                             f'`"bilinear"`. Received: "{interpolation}".')
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        s = TensorShape(input_shape).as_list()

        def up(d, k):
            return d * k if d is not None else None

        if self.data_format == "channels_first":
            return TensorShape([s[0], s[1], up(s[2], self.size[0]), up(s[3], self.size[1])])
        return TensorShape([s[0], up(s[1], self.size[0]), up(s[2], self.size[1]), s[3]])

    def call(self, inputs):
        cf = self.data_format == "channels_first"
        ra, ca = (2, 3) if cf else (1, 2)
        if self.interpolation == "nearest":
            return _repeat(_repeat(inputs, ra, self.size[0]), ca, self.size[1])
        from ..engine.api.image import resize
        x = _sh.transpose(inputs, [0, 2, 3, 1]) if cf else inputs
        h, w = x.shape[1], x.shape[2]
        y = resize(x, [h * self.size[0], w * self.size[1]], method="bilinear")
        if y._dtype_id != inputs._dtype_id:
            y = C["cast"](y, ints=(inputs._dtype_id,))
        return _sh.transpose(y, [0, 3, 1, 2]) if cf else y

    def get_config(self):
        config = {"size": self.size, "data_format": self.data_format,
                  "interpolation": self.interpolation}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- spatial dropout -------------------------------------------------------------------------

class SpatialDropout1D(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per (sample, channel) of
    (batch, steps, channels); only when training."""

    def __init__(self, rate, **kwargs):
        super().__init__(rate, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _get_noise_shape(self, inputs):
        s = inputs.shape
        return [s[0], 1, s[2]]


class SpatialDropout2D(Dropout):
    """Dropout of whole 2-D feature maps: one draw per (sample, channel); only when training."""

    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    def _get_noise_shape(self, inputs):
        s = inputs.shape
        if self.data_format == "channels_first":
            return [s[0], s[1], 1, 1]
        return [s[0], 1, 1, s[3]]


__all__ = ["ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
           "UpSampling2D", "SpatialDropout1D", "SpatialDropout2D"]
