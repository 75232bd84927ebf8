"""The functional-API graph: KerasTensor (a symbolic tensor: shape with a None
batch dimension, dtype and the layer call that made it), Node (one call of a
layer on KerasTensors) and the small `nest` helpers the Keras code shares.

Python operators on KerasTensors (x + y, x * 2, -x, x[:, 0], x @ w) build
TFOpLambda layers, as tf.keras does.  TensorFlow functions (tf.nn.relu(x)) cannot
run on a KerasTensor: converting one raises SymbolicTensorError (a TypeError)
that says to use layers.Lambda; `dispatch_on_keras_tensors(fn, name)` wraps a
tf function so that it builds a TFOpLambda layer instead (for the tf namespace)."""
import functools
import operator

from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape


# ---- nest ---------------------------------------------------------------------

def is_nested(x):
    return isinstance(x, (list, tuple, dict))


def flatten(s):
    """Leaves of nested lists/tuples/dicts (dict values in sorted key order, as tf.nest)."""
    out = []
    _flatten_into(s, out)
    return out


def _flatten_into(s, out):
    if isinstance(s, (list, tuple)):
        for x in s:
            _flatten_into(x, out)
    elif isinstance(s, dict):
        for k in _sorted_keys(s):
            _flatten_into(s[k], out)
    else:
        out.append(s)


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def map_structure(fn, s):
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)(*[map_structure(fn, x) for x in s])
    if isinstance(s, (list, tuple)):
        return type(s)(map_structure(fn, x) for x in s)
    if isinstance(s, dict):
        return type(s)((k, map_structure(fn, s[k])) for k in s)
    return fn(s)


def pack_sequence_as(structure, flat):
    it = iter(flat)

    def rebuild(s):
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*[rebuild(x) for x in s])
        if isinstance(s, (list, tuple)):
            return type(s)(rebuild(x) for x in s)
        if isinstance(s, dict):
            vals = {k: rebuild(s[k]) for k in _sorted_keys(s)}
            return type(s)((k, vals[k]) for k in s)
        return next(it)
    return rebuild(structure)


# ---- KerasTensor ----------------------------------------------------------------

from ..engine.symbolic import SymbolicTensorError  # noqa: E402  (raised by KerasTensor conversion)


class KerasHistory:
    """(layer, node_index, tensor_index) of the call that produced a KerasTensor."""

    __slots__ = ("layer", "node", "tensor_index")

    def __init__(self, layer, node, tensor_index):
        self.layer = layer
        self.node = node
        self.tensor_index = tensor_index

    @property
    def node_index(self):
        return self.layer._inbound_nodes.index(self.node)

    def __iter__(self):
        return iter((self.layer, self.node_index, self.tensor_index))

    def __getitem__(self, i):
        return (self.layer, self.node_index, self.tensor_index)[i]

    def __len__(self):
        return 3


def _shape_str(shape):
    return str(tuple(shape.as_list())) if shape.rank is not None else "None"


class KerasTensor:
    """A symbolic tensor of the functional API: `keras.Input(...)` and the outputs of
    layers called on such tensors.  It has a shape (first dimension None for the
    batch), a dtype and `_keras_history`; it holds no value."""

    _mk_defer_ops = True          # the C tensor operators leave us our reflected methods
    __array_priority__ = 1000
    __array_ufunc__ = None        # numpy defers to our reflected operators

    def __init__(self, shape, dtype=_dt.float32, name=None):
        self._shape = TensorShape(shape)
        self._dtype = _dt.as_dtype(dtype)
        self._name = name
        self._keras_history = None

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return self._shape.rank

    @property
    def rank(self):
        return self._shape.rank

    @property
    def name(self):
        return self._name

    @property
    def node(self):
        return None if self._keras_history is None else self._keras_history.node

    def _description(self):
        if self._keras_history is not None:
            return f"created by layer '{self._keras_history.layer.name}'"
        return None

    def __repr__(self):
        desc = self._description()
        desc = f" ({desc})" if desc else ""
        return f"<KerasTensor: shape={_shape_str(self._shape)} dtype={self._dtype.name}{desc}>"

    def __str__(self):
        name = f", name='{self._name}'" if self._name else ""
        desc = self._description()
        desc = f', description="{desc}"' if desc else ""
        return (f"KerasTensor(type_spec=TensorSpec(shape={_shape_str(self._shape)}, "
                f"dtype=tf.{self._dtype.name}, name={self._name!r}){name}{desc})")

    __hash__ = object.__hash__

    def ref(self):
        return self

    def deref(self):
        return self

    def _as_tensor(self):
        raise SymbolicTensorError(
            f"Cannot convert a symbolic Keras input/output ({self!r}) to a tensor: it has no "
            "value while the model is being built. Python operators on KerasTensors "
            "(x + y, x * 2, -x, x[:, 0], x @ w) build layers automatically, but other "
            "TensorFlow functions called on KerasTensors must be wrapped in a layer: "
            "`layers.Lambda(lambda x: tf.nn.relu(x))(x)`, or use the equivalent Keras layer "
            "(layers.Activation('relu'), layers.Add(), ...).")

    def __array__(self, dtype=None, copy=None):
        raise SymbolicTensorError(
            f"Cannot convert a symbolic Keras input/output ({self!r}) to a numpy array. "
            "This error may indicate that you're trying to pass a symbolic value to a NumPy "
            "call, which is not supported; wrap the computation in a layers.Lambda layer.")

    def numpy(self):
        raise SymbolicTensorError(
            f"{self!r} is symbolic (a Keras functional-API tensor) and has no value.")

    def __bool__(self):
        raise TypeError(f"Using a symbolic `KerasTensor` as a Python `bool` is not allowed: "
                        f"{self!r} has no value while the model is being built.")

    def __len__(self):
        raise TypeError("Keras symbolic inputs/outputs do not implement `__len__`. You may "
                        "be trying to pass Keras symbolic inputs/outputs to a TF API that "
                        "does not register dispatching.")

    def __iter__(self):
        shape = self._shape
        if shape.rank is None or shape[0] is None:
            raise TypeError(f"Cannot iterate over a Tensor with unknown first dimension: {self!r}")
        for i in range(shape[0]):
            yield self[i]


def _binary(name, fn, reflected=False):
    if reflected:
        def method(self, other):
            return op_layer_call(fn, name, (other, self), {})
    else:
        def method(self, other):
            return op_layer_call(fn, name, (self, other), {})
    return method


def _unary(name, fn):
    def method(self):
        return op_layer_call(fn, name, (self,), {})
    return method


def _pow(a, b):
    return a ** b


for _n, _api, _f in (("add", "tf.__operators__.add", operator.add),
                     ("sub", "tf.math.subtract", operator.sub),
                     ("mul", "tf.math.multiply", operator.mul),
                     ("truediv", "tf.math.truediv", operator.truediv),
                     ("floordiv", "tf.math.floordiv", operator.floordiv),
                     ("mod", "tf.math.floormod", operator.mod),
                     ("pow", "tf.math.pow", _pow),
                     ("matmul", "tf.linalg.matmul", operator.matmul),
                     ("and", "tf.math.logical_and", operator.and_),
                     ("or", "tf.math.logical_or", operator.or_),
                     ("xor", "tf.math.logical_xor", operator.xor)):
    setattr(KerasTensor, f"__{_n}__", _binary(_api, _f))
    setattr(KerasTensor, f"__r{_n}__", _binary(_api, _f, reflected=True))
for _n, _api, _f in (("lt", "tf.math.less", operator.lt), ("le", "tf.math.less_equal", operator.le),
                     ("gt", "tf.math.greater", operator.gt),
                     ("ge", "tf.math.greater_equal", operator.ge)):
    setattr(KerasTensor, f"__{_n}__", _binary(_api, _f))
for _n, _api, _f in (("neg", "tf.math.negative", operator.neg), ("abs", "tf.math.abs", operator.abs),
                     ("invert", "tf.math.logical_not", operator.invert)):
    setattr(KerasTensor, f"__{_n}__", _unary(_api, _f))
KerasTensor.__getitem__ = _binary("tf.__operators__.getitem", operator.getitem)
del _n, _api, _f


def op_layer_call(fn, name, args, kwargs):
    """Run `fn(*args, **kwargs)` on KerasTensors as a TFOpLambda layer named `name`."""
    from .core import TFOpLambda, SlicingOpLambda
    cls = SlicingOpLambda if name == "tf.__operators__.getitem" else TFOpLambda
    return cls(fn, symbol=name)(*args, **kwargs)


def has_keras_tensor(s):
    if isinstance(s, KerasTensor):
        return True
    if isinstance(s, (list, tuple)):
        return any(has_keras_tensor(x) for x in s)
    if isinstance(s, dict):
        return any(has_keras_tensor(x) for x in s.values())
    return False


def dispatch_on_keras_tensors(fn, name=None):
    """Wrap a tf function so that called on KerasTensors it adds a TFOpLambda layer
    (named `name`, e.g. 'tf.nn.relu') to the functional graph instead of failing.
    Costs one try/except per call on real tensors."""
    api_name = name or f"tf.{getattr(fn, '__name__', 'op')}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SymbolicTensorError:
            if has_keras_tensor(args) or has_keras_tensor(kwargs):
                return op_layer_call(fn, api_name, args, kwargs)
            raise
    wrapper._mk_dispatch = True
    return wrapper


# ---- Node -----------------------------------------------------------------------

class Node:
    """One call of `layer` on KerasTensors: call_args/call_kwargs (holding the
    KerasTensors) -> outputs (a structure of new KerasTensors)."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.is_input = not self.call_args and not self.call_kwargs
        flat = flatten((self.call_args, self.call_kwargs))
        self.keras_inputs = [x for x in flat if isinstance(x, KerasTensor)]
        self._single_positional = (not self.call_kwargs and len(self.call_args) == 1
                                   and isinstance(self.call_args[0], KerasTensor))
        layer._inbound_nodes.append(self)
        for kt in self.keras_inputs:
            if kt._keras_history is not None:
                kt._keras_history.layer._outbound_nodes.append(self)
        for i, t in enumerate(flatten(outputs)):
            t._keras_history = KerasHistory(layer, self, i)
            if t._name is None:
                t._name = layer.name if self.is_input else f"{layer.name}/output_{i}"

    @property
    def flat_outputs(self):
        return flatten(self.outputs)

    @property
    def parent_nodes(self):
        return [kt._keras_history.node for kt in self.keras_inputs if kt._keras_history is not None]

    @property
    def inbound_layers(self):
        layers = [kt._keras_history.layer for kt in self.keras_inputs]
        return layers[0] if len(layers) == 1 else layers

    def iterate_inbound(self):
        for kt in self.keras_inputs:
            h = kt._keras_history
            yield h.layer, h.node_index, h.tensor_index, kt

    @property
    def input_tensors(self):
        if self.is_input:
            return [self.outputs]
        return self.call_args[0]

    @property
    def output_tensors(self):
        if self.is_input:
            return [self.outputs]
        return self.outputs

    @property
    def input_shapes(self):
        shapes = map_structure(_int_shape, self.input_tensors)
        if isinstance(shapes, list) and len(shapes) == 1 and not self.is_input:
            return shapes[0]
        return shapes

    @property
    def output_shapes(self):
        return map_structure(_int_shape, self.output_tensors)

    def map_arguments(self, tensor_dict):
        """call_args/call_kwargs with each KerasTensor replaced by tensor_dict[id(kt)]."""
        if self._single_positional:
            return (tensor_dict[id(self.call_args[0])],), {}

        def sub(x):
            return tensor_dict[id(x)] if isinstance(x, KerasTensor) else x
        return map_structure(sub, self.call_args), map_structure(sub, self.call_kwargs)

    def serialize(self, make_node_key, node_conversion_map):
        """[[inbound_layer_name, node_index, tensor_index, kwargs], ...] (tf.keras 2.x config)."""
        kwargs = {k: v for k, v in self.call_kwargs.items() if not has_keras_tensor(v)}
        data = []
        for layer, node_index, tensor_index, _ in self.iterate_inbound():
            key = make_node_key(layer.name, node_index)
            new_index = node_conversion_map.get(key, 0)
            data.append([layer.name, new_index, tensor_index, dict(kwargs)])
        return data


def _int_shape(x):
    if isinstance(x, KerasTensor) or hasattr(x, "shape"):
        s = x.shape
        return tuple(s.as_list()) if isinstance(s, TensorShape) else tuple(s)
    return x


def _symbolic_hook(fn, api_name, args, kwargs):
    """engine.symbolic calls this when a tf function meets a KerasTensor."""
    if has_keras_tensor(args) or has_keras_tensor(kwargs):
        return op_layer_call(fn, api_name, args, kwargs)
    raise SymbolicTensorError(f"{api_name}: a symbolic value reached an op outside the "
                              "functional API")


def _install_hook():
    from ..engine import symbolic
    symbolic.set_hook(_symbolic_hook)


_install_hook()
