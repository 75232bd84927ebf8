"""Advanced activation layers (tf.keras 2.5): ReLU, LeakyReLU, PReLU, ELU, Softmax,
ThresholdedReLU."""
import numpy as np

from .. import _core
from .. import backend
from .. import initializers
from .. import constraints
from .. import regularizers
from ..engine.tensor import TensorShape
from ..engine.api import reduce as _red
from .base import Layer, InputSpec

C = _core.ops


def _s(x, v):
    return _core.scalar(float(v), x._dtype_id)


def _floatx_value(v):
    """A float stored as floatx (as tf.keras's K.cast_to_floatx), returned as a Python float."""
    return float(np.asarray(v, dtype=backend.floatx()))


class ReLU(Layer):
    """`max_value` cap, `negative_slope` below `threshold`:
    f(x) = max_value if x >= max_value; x if threshold <= x < max_value;
    negative_slope * (x - threshold) otherwise."""

    def __init__(self, max_value=None, negative_slope=0, threshold=0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Got: {max_value}")
        if negative_slope < 0.:
            raise ValueError("negative_slope of a ReLU layer cannot be a negative value. Got: "
                             f"{negative_slope}")
        if threshold is None:
            raise ValueError("threshold of a ReLU layer cannot be None. Required a float value.")
        self.supports_masking = True
        self.max_value = float(max_value) if max_value is not None else None
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs):
        # the (slower) general form only when needed; relu/relu6/leaky_relu kernels otherwise
        return backend.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                            threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"max_value": self.max_value, "negative_slope": self.negative_slope,
                  "threshold": self.threshold}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class LeakyReLU(Layer):
    """f(x) = alpha * x for x < 0, x for x >= 0 (alpha=0.3)."""

    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError("The alpha value of a Leaky ReLU layer cannot be None, needs a float. "
                             f"Got {alpha}")
        self.supports_masking = True
        self.alpha = _floatx_value(alpha)

    def call(self, inputs):
        return backend.relu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"alpha": float(self.alpha)}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class PReLU(Layer):
    """Parametric ReLU: f(x) = x for x >= 0, alpha * x otherwise, with a learned `alpha`
    of the input's shape without the batch axis (size 1 along `shared_axes`)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        param_shape = list(input_shape[1:])
        if self.shared_axes is not None:
            for i in self.shared_axes:
                param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"The input of PReLU layer {self.name} has an undefined non-batch "
                             f"dimension: {tuple(input_shape)}; share it with `shared_axes`.")
        self.alpha = self.add_weight(shape=param_shape, name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        # Set input spec
        axes = {}
        if self.shared_axes:
            for i in range(1, len(input_shape)):
                if i not in self.shared_axes:
                    axes[i] = input_shape[i]
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        alpha = self.alpha._value
        if alpha._dtype_id != inputs._dtype_id:
            alpha = C["cast"](alpha, ints=(inputs._dtype_id,))
        pos = C["relu"](inputs)
        neg = C["multiply"](C["negative"](alpha), C["relu"](C["negative"](inputs)))
        return C["add"](pos, neg)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class ELU(Layer):
    """f(x) = alpha * (exp(x) - 1) for x < 0, x for x >= 0 (alpha=1.0)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError("Alpha of an ELU layer cannot be None, requires a float. Got "
                             f"{alpha}")
        self.supports_masking = True
        self.alpha = _floatx_value(alpha)

    def call(self, inputs):
        return backend.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"alpha": float(self.alpha)}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class ThresholdedReLU(Layer):
    """f(x) = x for x > theta, 0 otherwise (theta=1.0)."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError("Theta of a Thresholded ReLU layer cannot be None, requires a float. "
                             f"Got {theta}")
        if theta < 0:
            raise ValueError("The theta value of a Thresholded ReLU layer should be >=0, got "
                             f"{theta}")
        self.supports_masking = True
        self.theta = _floatx_value(theta)

    def call(self, inputs):
        theta = _s(inputs, self.theta)
        return C["multiply"](inputs, C["cast"](C["greater"](inputs, theta), ints=(inputs._dtype_id,)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"theta": float(self.theta)}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


def _large_compatible_negative(dtype_id):
    """-1e9, or float16's lowest value for float16 inputs (as tf.keras)."""
    from ..engine import dtypes as _dt
    if _dt.ALL[dtype_id].name == "float16":
        return -65504.0
    return -1e9


class Softmax(Layer):
    """softmax along `axis` (an int or a list of axes); positions where `mask` is
    False get a large negative logit first."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            if hasattr(mask, "_as_tensor") and not isinstance(mask, _core.TensorBase):
                mask = mask._as_tensor()
            from ..engine.tensor import convert_to_tensor
            mask = convert_to_tensor(mask)
            m = C["cast"](mask, ints=(inputs._dtype_id,))
            adder = C["multiply"](C["subtract"](_s(m, 1.0), m),
                                  _s(m, _large_compatible_negative(inputs._dtype_id)))
            inputs = C["add"](inputs, adder)
        if isinstance(self.axis, (tuple, list)):
            if len(self.axis) > 1:
                return C["exp"](C["subtract"](
                    inputs, _red.reduce_logsumexp(inputs, axis=list(self.axis), keepdims=True)))
            return backend.softmax(inputs, axis=self.axis[0])
        return backend.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"axis": self.axis}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax"]
