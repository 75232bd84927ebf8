"""Core layers: Dense, Activation, Flatten, Reshape, Permute, RepeatVector, Lambda,
Dropout, and TFOpLambda (what Python operators on KerasTensors build)."""
import codecs
import marshal
import numbers
import operator
import sys
import types

import numpy as np

from .. import _core
from .. import activations
from .. import backend
from .. import initializers
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape, convert_to_tensor
from ..engine.api import matmul as _mm
from ..engine.api import nn as _nn
from ..engine.api import shape as _sh
from .base import (Layer, InputSpec, _get_constraint, _get_regularizer, serialize_keras_object,
                   get_registered_object)
from .node import KerasTensor, map_structure

C = _core.ops


def _is_tensor(x):
    return isinstance(x, _core.TensorBase)


# ---- Dense --------------------------------------------------------------------------------

class Dense(Layer):
    """`activation(dot(input, kernel) + bias)`: kernel (input_dim, units), bias (units,)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units) if not isinstance(units, int) else units
        if self.units < 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer, got {units}.")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = _get_regularizer(kernel_regularizer)
        self.bias_regularizer = _get_regularizer(bias_regularizer)
        self.kernel_constraint = _get_constraint(kernel_constraint)
        self.bias_constraint = _get_constraint(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        dtype = _dt.as_dtype(self.dtype or backend.floatx())
        if not dtype.is_floating:
            raise TypeError(f"Unable to build `Dense` layer with non-floating point dtype {dtype!r}")
        input_shape = TensorShape(input_shape)
        last_dim = input_shape[-1] if input_shape.rank else None
        if last_dim is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last_dim})
        self.kernel = self.add_weight("kernel", shape=[last_dim, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, dtype=self.dtype,
                                      trainable=True)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, dtype=self.dtype,
                                        trainable=True)
        else:
            self.bias = None
        self.built = True

    def call(self, inputs):
        if inputs._dtype_id != self._compute_dtype_object._id:
            inputs = C["cast"](inputs, ints=(self._compute_dtype_object._id,))
        kernel = self.kernel._value
        if kernel._dtype_id != inputs._dtype_id:
            kernel = C["cast"](kernel, ints=(inputs._dtype_id,))
        if inputs.ndim == 2:
            out = C["matmul"](inputs, kernel, ints=(0, 0))
        else:
            out = _mm.tensordot(inputs, kernel, [[inputs.ndim - 1], [0]])
        if self.bias is not None:
            bias = self.bias._value
            if bias._dtype_id != out._dtype_id:
                bias = C["cast"](bias, ints=(out._dtype_id,))
            out = C["add"](out, bias)
        if self.activation is not None and self.activation is not activations.linear:
            out = self.activation(out)
        return out

    def _output_dtype(self, input_dtype):
        return self._compute_dtype_object

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.rank is None or input_shape.rank < 2:
            raise ValueError(f"Shape {input_shape} must have rank at least 2")
        if input_shape[-1] is None:
            raise ValueError(f"The innermost dimension of input_shape must be defined, but saw: "
                             f"{input_shape}")
        return input_shape[:-1].concatenate([self.units])

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        })
        return config


# ---- Activation -------------------------------------------------------------------------

class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"activation": activations.serialize(self.activation)}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- Flatten / Reshape / Permute / RepeatVector -------------------------------------------

class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1*d2*...)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format = data_format or backend.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError("The `data_format` argument must be one of \"channels_first\", "
                             f"\"channels_last\". Received: {data_format}")
        self.data_format = data_format
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = data_format == "channels_first"

    def call(self, inputs):
        if self._channels_first and inputs.ndim > 2:
            perm = [0] + list(range(2, inputs.ndim)) + [1]
            inputs = _sh.transpose(inputs, perm)
        if inputs.ndim == 1:
            return _sh.expand_dims(inputs, 1)
        if inputs.ndim == 2:
            return inputs
        n = inputs._shape[0]
        rest = int(np.prod(inputs._shape[1:], dtype=np.int64))
        return C["reshape"](inputs, ints=(n, rest))

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        if not input_shape:
            return TensorShape([1])
        output_shape = [input_shape[0]]
        if all(d is not None for d in input_shape[1:]):
            output_shape += [int(np.prod(input_shape[1:], dtype=np.int64))]
        else:
            output_shape += [None]
        return TensorShape(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format})
        return config


class Reshape(Layer):
    """Reshape each sample to `target_shape` (without the batch dimension; one -1 allowed)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def _fix_unknown_dimension(self, input_shape, output_shape):
        output_shape = list(output_shape)
        msg = ("total size of new array must be unchanged, input_shape = {}, output_shape = {}"
               .format(input_shape, output_shape))
        known, unknown = 1, None
        for index, dim in enumerate(output_shape):
            if dim < 0:
                if unknown is None:
                    unknown = index
                else:
                    raise ValueError("Can only specify one unknown dimension.")
            else:
                known *= dim
        original = int(np.prod(input_shape, dtype=np.int64))
        if unknown is not None:
            if known == 0 or original % known != 0:
                raise ValueError(msg)
            output_shape[unknown] = original // known
        elif original != known:
            raise ValueError(msg)
        return output_shape

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        if None in input_shape[1:]:
            output_shape = [input_shape[0]] + [None if d < 0 else d for d in self.target_shape]
        else:
            output_shape = [input_shape[0]] + self._fix_unknown_dimension(input_shape[1:],
                                                                          self.target_shape)
        return TensorShape(output_shape)

    def call(self, inputs):
        shape = [inputs._shape[0]] + self._fix_unknown_dimension(list(inputs._shape[1:]),
                                                                  self.target_shape)
        return C["reshape"](inputs, ints=tuple(shape))

    def get_config(self):
        config = {"target_shape": self.target_shape}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class Permute(Layer):
    """Permute the non-batch dimensions: dims are 1-based, e.g. (2, 1)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation `dims` for Permute Layer: {dims}. The set of "
                             "indices in `dims` must be consecutive and start from 1.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        output_shape = list(input_shape)
        for i, dim in enumerate(self.dims):
            output_shape[i + 1] = input_shape[dim]
        return TensorShape(output_shape)

    def call(self, inputs):
        return _sh.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        config = {"dims": self.dims}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        if not isinstance(n, numbers.Integral):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape).as_list()
        return TensorShape([input_shape[0], self.n, input_shape[1]])

    def call(self, inputs):
        return _sh.tile(_sh.expand_dims(inputs, 1), [1, self.n, 1])

    def get_config(self):
        config = {"n": self.n}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- Dropout ------------------------------------------------------------------------------

class Dropout(Layer):
    """Zero a fraction `rate` of the inputs (kept ones scaled by 1/(1-rate)) when
    called with training=True; the identity otherwise."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
            raise ValueError(f"Invalid value {rate} received for `rate`, expected a value "
                             "between 0 and 1.")
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def _get_noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        return [inputs._shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]

    def call(self, inputs, training=None):
        if _is_tensor(training):
            training = bool(training)
        if not training or (isinstance(self.rate, (int, float)) and self.rate == 0):
            return inputs
        return _nn.dropout(inputs, rate=self.rate, noise_shape=self._get_noise_shape(inputs),
                           seed=self.seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- Lambda ---------------------------------------------------------------------------------

def func_dump(func):
    """(base64 marshal of the code, defaults, closure values) of a Python function."""
    raw_code = marshal.dumps(func.__code__)
    code = codecs.encode(raw_code, "base64").decode("ascii")
    defaults = func.__defaults__
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, defaults, closure


def func_load(code, defaults=None, closure=None, globs=None):
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
        if isinstance(defaults, list):
            defaults = tuple(defaults)

    def ensure_value_to_cell(value):
        def dummy_fn():
            value  # noqa: B018
        cell_value = dummy_fn.__closure__[0]
        if not isinstance(value, type(cell_value)):
            return cell_value
        return value

    if closure is not None:
        closure = tuple(ensure_value_to_cell(v) for v in closure)
    raw_code = codecs.decode(code.encode("ascii"), "base64")
    code = marshal.loads(raw_code)
    if globs is None:
        globs = globals()
    return types.FunctionType(code, globs, name=code.co_name, argdefs=defaults, closure=closure)


def _wants_arg(fn, name):
    import inspect
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return name in sig.parameters or any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())


class Lambda(Layer):
    """Wrap an arbitrary function of the inputs as a layer (no weights):
    `layers.Lambda(lambda x: x / 255)`."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.arguments = arguments or {}
        self.function = function
        if mask is not None:
            self.supports_masking = True
        self.mask = mask
        self._fn_expects_training_arg = _wants_arg(function, "training")
        self._fn_expects_mask_arg = _wants_arg(function, "mask")
        self._output_shape = output_shape

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def _infer_output_spec(self, inputs, args, kwargs):
        return self._infer_by_running(inputs, args, kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            out = self._output_shape(input_shape)
            return map_structure(TensorShape, out) if isinstance(out, list) else TensorShape(out)
        shape = TensorShape(input_shape) if not isinstance(input_shape, list) else TensorShape(input_shape[0])
        batch = shape[0] if shape.rank else None
        return TensorShape([batch] + list(self._output_shape))

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    @staticmethod
    def _serialize_function_to_config(inputs, allow_raw=False):
        if isinstance(inputs, types.LambdaType):
            return func_dump(inputs), "lambda", inputs.__module__
        if callable(inputs):
            return inputs.__name__, "function", getattr(inputs, "__module__", None)
        if allow_raw:
            return inputs, "raw", None
        raise ValueError(f"Invalid input for serialization, type: {type(inputs)} ")

    def get_config(self):
        fn_config = self._serialize_function_to_config(self.function)
        shape_config = self._serialize_function_to_config(self._output_shape, allow_raw=True)
        config = {"function": fn_config[0], "function_type": fn_config[1], "module": fn_config[2],
                  "output_shape": shape_config[0], "output_shape_type": shape_config[1],
                  "output_shape_module": shape_config[2]}
        if self.mask is not None:
            mask_config = self._serialize_function_to_config(self.mask, allow_raw=True)
            config.update({"mask": mask_config[0], "mask_type": mask_config[1],
                           "mask_module": mask_config[2]})
        config["arguments"] = self.arguments
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        function = cls._parse_function_from_config(config, custom_objects, "function", "module",
                                                   "function_type")
        output_shape = cls._parse_function_from_config(config, custom_objects, "output_shape",
                                                       "output_shape_module", "output_shape_type")
        if "mask" in config:
            config["mask"] = cls._parse_function_from_config(config, custom_objects, "mask",
                                                             "mask_module", "mask_type")
        config["function"] = function
        config["output_shape"] = output_shape
        for k in ("module", "function_type", "output_shape_module", "output_shape_type",
                  "mask_module", "mask_type"):
            config.pop(k, None)
        return cls(**config)

    @classmethod
    def _parse_function_from_config(cls, config, custom_objects, func_attr_name, module_attr_name,
                                    func_type_attr_name):
        globs = dict(globals())
        module = config.pop(module_attr_name, None)
        if module in sys.modules:
            globs.update(sys.modules[module].__dict__)
        if custom_objects:
            globs.update(custom_objects)
        function_type = config.pop(func_type_attr_name)
        if function_type == "function":
            name = config[func_attr_name]
            fn = (custom_objects or {}).get(name) or globs.get(name) or get_registered_object(name)
            if fn is None:
                raise ValueError(f"Unknown function: {name}. Please ensure this object is passed to "
                                 "the `custom_objects` argument.")
            return fn
        if function_type == "lambda":
            return func_load(config[func_attr_name], globs=globs)
        if function_type == "raw":
            v = config[func_attr_name]
            return tuple(v) if isinstance(v, list) else v
        raise TypeError(f"Unknown function type: {function_type}")


# ---- TFOpLambda --------------------------------------------------------------------------

def _resolve_symbol(symbol):
    """'tf.__operators__.add' -> operator.add; 'tf.math.add' -> minikeras.tf.math.add."""
    ops = {"tf.__operators__.add": operator.add, "tf.__operators__.getitem": operator.getitem,
           "tf.math.subtract": operator.sub, "tf.math.multiply": operator.mul,
           "tf.math.truediv": operator.truediv, "tf.math.floordiv": operator.floordiv,
           "tf.math.floormod": operator.mod, "tf.math.pow": lambda a, b: a ** b,
           "tf.linalg.matmul": operator.matmul, "tf.math.negative": operator.neg,
           "tf.math.abs": operator.abs, "tf.math.less": operator.lt,
           "tf.math.less_equal": operator.le, "tf.math.greater": operator.gt,
           "tf.math.greater_equal": operator.ge, "tf.math.logical_and": operator.and_,
           "tf.math.logical_or": operator.or_, "tf.math.logical_xor": operator.xor,
           "tf.math.logical_not": operator.invert}
    if symbol in ops:
        return ops[symbol]
    from .. import tf as _tf
    obj = _tf
    for part in symbol.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


class TFOpLambda(Layer):
    """One TensorFlow function (or Python operator) applied to KerasTensors while a
    functional model is built: `x + y` adds a TFOpLambda named 'tf.__operators__.add'."""

    def __init__(self, function, symbol=None, **kwargs):
        self.function = function
        self.symbol = symbol or f"tf.{getattr(function, '__name__', 'op')}"
        if "name" not in kwargs:
            kwargs["name"] = backend.unique_object_name(self.symbol, zero_based=True)
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.built = True

    def _convert_inputs(self, inputs):
        return inputs

    def call(self, *args, **kwargs):
        kwargs.pop("training", None)
        return self.function(*args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["function"] = self.symbol
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        symbol = config.pop("function")
        return cls(_resolve_symbol(symbol), symbol=symbol, **config)


class SlicingOpLambda(TFOpLambda):
    pass
