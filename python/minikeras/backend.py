"""keras.backend: global Keras settings (floatx, epsilon, image data format), the
name counters behind unique layer names, clear_session, and the tf.keras 2.x
backend functions over minikeras tensors (K.mean, K.sum, K.get_value, ...)."""
import collections
import re

import numpy as np

from . import _core
from .engine import dtypes as _dt
from .engine.tensor import convert_to_tensor, TensorShape
from .engine.variable import Variable
from .engine.api import elementwise as _ew
from .engine.api import reduce as _red
from .engine.api import shape as _sh
from .engine.api import index as _ix
from .engine.api import matmul as _mm
from .engine.api import nn as _nn
from .engine.api import random as _rnd

C = _core.ops

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"

# name counters: get_uid(prefix) (one-based, e.g. input_1) and the zero-based
# layer/model names (dense, dense_1) share nothing but the reset in clear_session
_UIDS = collections.defaultdict(int)
_OBJECT_NAME_UIDS = collections.defaultdict(int)
_SESSION_CALLBACKS = []


# ---- settings -----------------------------------------------------------------

def floatx():
    """The default float type of layer weights and inputs: 'float32' unless set_floatx."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    accepted = {"float16", "float32", "float64"}
    if value not in accepted:
        raise ValueError(f"Unknown floatx type: {value}. Expected one of {accepted}")
    _FLOATX = str(value)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in {"channels_last", "channels_first"}:
        raise ValueError("Unknown data_format: " + str(data_format))
    _IMAGE_DATA_FORMAT = str(data_format)


def backend():
    return "tensorflow"


def cast_to_floatx(x):
    if isinstance(x, _core.TensorBase) or hasattr(x, "_as_tensor"):
        return _ew.cast(x, _FLOATX)
    return np.asarray(x, dtype=_FLOATX)


# ---- names --------------------------------------------------------------------

def get_uid(prefix=""):
    """One-based counter per prefix: get_uid('input') -> 1, 2, ..."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def reset_uids():
    _UIDS.clear()
    _OBJECT_NAME_UIDS.clear()


def unique_object_name(name, zero_based=True, avoid_names=None):
    """`dense`, `dense_1`, ... (zero_based) or `dense_1`, `dense_2`, ..."""
    proposed = None
    while proposed is None or (avoid_names is not None and proposed in avoid_names):
        if zero_based:
            n = _OBJECT_NAME_UIDS[name]
            proposed = f"{name}_{n}" if n else name
            _OBJECT_NAME_UIDS[name] = n + 1
        else:
            _OBJECT_NAME_UIDS[name] += 1
            proposed = f"{name}_{_OBJECT_NAME_UIDS[name]}"
    return proposed


def to_snake_case(name):
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


def clear_session():
    """Reset the name counters (the next layer is `dense` again) and forget
    Keras global state."""
    reset_uids()
    for cb in list(_SESSION_CALLBACKS):
        cb()


def learning_phase():
    return 0


def set_learning_phase(value):
    pass


def is_keras_tensor(x):
    from .layers.input_layer import KerasTensor
    if not (isinstance(x, (_core.TensorBase, Variable, KerasTensor))):
        raise ValueError("Unexpectedly found an instance of type `" + str(type(x)) + "`. "
                         "Expected a symbolic tensor instance.")
    return isinstance(x, KerasTensor)


# ---- variables and values -------------------------------------------------------

def _t(x):
    if isinstance(x, _core.TensorBase):
        return x
    return convert_to_tensor(x)


def variable(value, dtype=None, name=None, constraint=None):
    dtype = dtype or _FLOATX
    return Variable(np.asarray(value, dtype=_dt.as_dtype(dtype).as_numpy_dtype), dtype=dtype,
                    name=name, constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    from .engine.tensor import constant as _constant
    return _constant(value, dtype=dtype or _FLOATX, shape=shape)


def get_value(x):
    if isinstance(x, (int, float, np.ndarray, np.generic)):
        return x
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def batch_get_value(tensors):
    return [get_value(x) for x in tensors]


def set_value(x, value):
    value = np.asarray(value, dtype=_dt.as_dtype(x.dtype).as_numpy_dtype)
    x.assign(value)


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def eval(x):  # noqa: A001
    return get_value(x)


def int_shape(x):
    try:
        shape = x.shape
        if not isinstance(shape, tuple):
            shape = tuple(TensorShape(shape).as_list())
        return shape
    except ValueError:
        return None


def ndim(x):
    return len(int_shape(x))


def dtype(x):
    return x.dtype.name if hasattr(x.dtype, "name") else str(x.dtype)


def count_params(x):
    return int(np.prod(x.shape.as_list()))


def shape(x):
    return _sh.shape(x)


def zeros(shape, dtype=None, name=None):
    return variable(np.zeros(shape), dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    return variable(np.ones(shape), dtype=dtype, name=name)


def zeros_like(x, dtype=None, name=None):
    return _ix.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return _ix.ones_like(x, dtype=dtype)


def cast(x, dtype):
    return _ew.cast(x, dtype)


# ---- math ---------------------------------------------------------------------

def _axis(axis):
    return list(axis) if isinstance(axis, tuple) else axis


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return _red.reduce_sum(x, _axis(axis), keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype.is_bool or x.dtype.is_integer:
        x = _ew.cast(x, _FLOATX)
    return _red.reduce_mean(x, _axis(axis), keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _red.reduce_max(x, _axis(axis), keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _red.reduce_min(x, _axis(axis), keepdims)


def prod(x, axis=None, keepdims=False):
    return _red.reduce_prod(x, _axis(axis), keepdims)


def var(x, axis=None, keepdims=False):
    return _red.reduce_variance(x, _axis(axis), keepdims)


def std(x, axis=None, keepdims=False):
    return _red.reduce_std(x, _axis(axis), keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _red.reduce_any(_ew.cast(x, "bool"), _axis(axis), keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _red.reduce_all(_ew.cast(x, "bool"), _axis(axis), keepdims)


def argmax(x, axis=-1):
    return _red.argmax(x, axis)


def argmin(x, axis=-1):
    return _red.argmin(x, axis)


def square(x):
    return _ew.square(_t(x))


def sqrt(x):
    x = _t(x)
    return _ew.sqrt(_ew.maximum(x, _core.scalar(0.0, x._dtype_id)))


def abs(x):  # noqa: A001
    return _ew.abs(_t(x))


def exp(x):
    return _ew.exp(_t(x))


def log(x):
    return _ew.log(_t(x))


def pow(x, a):  # noqa: A001
    return _ew.pow(_t(x), a)


def sign(x):
    return _ew.sign(_t(x))


def round(x):  # noqa: A001
    return _ew.round(_t(x))


def clip(x, min_value, max_value):
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    if max_value is None:
        max_value = np.inf
    if min_value is None:
        min_value = -np.inf
    return _ew.clip_by_value(_t(x), min_value, max_value)


def maximum(x, y):
    return _ew.maximum(x, y)


def minimum(x, y):
    return _ew.minimum(x, y)


def equal(x, y):
    return _ew.equal(x, y)


def not_equal(x, y):
    return _ew.not_equal(x, y)


def greater(x, y):
    return _ew.greater(x, y)


def greater_equal(x, y):
    return _ew.greater_equal(x, y)


def less(x, y):
    return _ew.less(x, y)


def less_equal(x, y):
    return _ew.less_equal(x, y)


def dot(x, y):
    return _mm.matmul(x, y)


def batch_dot(x, y, axes=None):
    return _mm.matmul(x, y)


def transpose(x):
    return _sh.transpose(x)


def reshape(x, shape):
    return _sh.reshape(x, shape)


def flatten(x):
    return _sh.reshape(x, [-1])


def batch_flatten(x):
    x = _t(x)
    return _sh.reshape(x, [-1, int(np.prod(x.shape[1:]))])


def expand_dims(x, axis=-1):
    return _sh.expand_dims(x, axis)


def squeeze(x, axis):
    return _sh.squeeze(x, [axis])


def concatenate(tensors, axis=-1):
    return _sh.concat(tensors, axis)


def stack(x, axis=0):
    return _sh.stack(x, axis)


def gather(reference, indices):
    return _ix.gather(reference, indices)


def one_hot(indices, num_classes):
    return _ix.one_hot(indices, num_classes, axis=-1)


def relu(x, alpha=0.0, max_value=None, threshold=0):
    from . import activations
    return activations.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def elu(x, alpha=1.0):
    from . import activations
    return activations.elu(x, alpha)


def softmax(x, axis=-1):
    return _nn.softmax(x, axis)


def softplus(x):
    return _nn.softplus(x)


def softsign(x):
    return _nn.softsign(x)


def sigmoid(x):
    return _nn.sigmoid(x)


def hard_sigmoid(x):
    from . import activations
    return activations.hard_sigmoid(x)


def tanh(x):
    return _nn.tanh(x)


def dropout(x, level, noise_shape=None, seed=None):
    return _nn.dropout(x, level, noise_shape=noise_shape, seed=seed)


def l2_normalize(x, axis=None):
    return _nn.l2_normalize(x, axis)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _rnd.normal(shape, mean, stddev, dtype=dtype or _FLOATX, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _rnd.uniform(shape, minval, maxval, dtype=dtype or _FLOATX, seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _rnd.truncated_normal(shape, mean, stddev, dtype=dtype or _FLOATX, seed=seed)


def binary_crossentropy(target, output, from_logits=False):
    target, output = _t(target), _t(output)
    if from_logits:
        return _nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _core.scalar(_EPSILON, output._dtype_id)
    one = _core.scalar(1.0, output._dtype_id)
    output = _ew.clip_by_value(output, eps, one - eps)
    return -(target * _ew.log(output) + (one - target) * _ew.log(one - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _t(target), _t(output)
    if from_logits:
        return _nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / _red.reduce_sum(output, axis, True)
    eps = _core.scalar(_EPSILON, output._dtype_id)
    output = _ew.clip_by_value(output, eps, 1.0 - _EPSILON)
    return -_red.reduce_sum(target * _ew.log(output), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _t(target), _t(output)
    if not from_logits:
        eps = _core.scalar(_EPSILON, output._dtype_id)
        output = _ew.log(_ew.clip_by_value(output, eps, 1.0 - _EPSILON))
    if target.dtype.is_floating:
        target = _ew.cast(target, "int32")
    if target.ndim == output.ndim:
        target = _sh.squeeze(target, [-1])
    return _nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)
