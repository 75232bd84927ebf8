"""`from minikeras import tf`: TensorFlow-style functions over minikeras tensors."""
from .. import __version__  # noqa: F401
from ..engine.dtypes import (DType, as_dtype, bool, double, float16, float32, float64,  # noqa: F401,A004
                             half, int32, int64, uint8)
from ..engine.tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor  # noqa: F401
from ..engine.variable import (Variable, VariableAggregation,  # noqa: F401
                               VariableSynchronization)
from ..engine.tape import GradientTape, stop_gradient  # noqa: F401
from ..engine.device import device  # noqa: F401
from ..engine.function import cond, function, init_scope, while_loop  # noqa: F401
from ..engine.api.optim import clip_by_global_norm, clip_by_norm  # noqa: F401
from ..engine.function import print_ as print  # noqa: F401,A001
from ..engine.api.elementwise import (abs, add, add_n, cast, clip_by_value, divide, equal,  # noqa: F401,A004
                                      exp, greater, greater_equal, identity, less, less_equal,
                                      logical_and, logical_not, logical_or, maximum, minimum,
                                      multiply, negative, not_equal, pow, round, sigmoid, sign,
                                      sqrt, square, subtract, tanh, truediv)
from ..engine.api.matmul import einsum, matmul, tensordot  # noqa: F401
from ..engine.api.index import (argsort, boolean_mask, eye, fill, gather, gather_nd,  # noqa: F401,A004
                                linspace, one_hot, ones, ones_like, range, scatter_nd, sort,
                                where, zeros, zeros_like)
from ..engine.api.shape import (broadcast_dynamic_shape, broadcast_static_shape,  # noqa: F401
                                broadcast_to, concat, expand_dims, pad, rank, repeat, reshape,
                                reverse, shape, shape_n, size, slice, split, squeeze, stack,
                                strided_slice, tile, transpose, unstack)
from ..engine.api.reduce import *  # noqa: F401,F403
from ..engine.api.reduce import norm  # noqa: F401
from . import config, dtypes, errors, experimental, linalg, math, nn, random  # noqa: F401

newaxis = None

# tf functions called on Keras functional-API tensors build layers (engine/symbolic.py)
from ..engine import symbolic as _symbolic  # noqa: E402
import sys as _sys  # noqa: E402

for _mod, _prefix in ((_sys.modules[__name__], "tf"), (math, "tf.math"), (nn, "tf.nn"),
                      (linalg, "tf.linalg"), (random, "tf.random")):
    _symbolic.wrap_namespace(_mod, _prefix)
del _mod, _prefix, _sys

# tf.data and tf.TensorSpec (issue 5, helper tfdata)
from ..engine.tensor_spec import TensorSpec  # noqa: E402,F401
from .. import data  # noqa: E402,F401

# string tensors, tf.strings, tf.io, image codecs, py_function (issue 5, strings helper)
from ..engine.dtypes import string  # noqa: E402,F401
from ..engine.pyfunc import numpy_function, py_function  # noqa: E402,F401
from . import io, strings  # noqa: E402,F401
from .strings import as_string  # noqa: E402,F401

# tf.image (imageops)
from . import image  # noqa: E402,F401
_symbolic.wrap_namespace(image, "tf.image")
