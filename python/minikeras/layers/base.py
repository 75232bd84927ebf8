"""keras.layers.Layer (tf.keras 2.5 behaviour) and InputSpec.

A Layer owns weights (tf.Variables made by add_weight, named '<layer>/<name>:0'),
builds itself on its first call from the input shape, casts floating inputs to
its compute dtype (backend.floatx() unless dtype= was given), passes `training`
to `call` only when call accepts it (inherited from an outer layer's call when not
given), tracks sub-layers and variables assigned as attributes (also inside
lists/tuples/dicts), and, called on KerasTensors, records a Node of the
functional graph instead of computing."""
import contextlib
import functools
import inspect

import numpy as np

from .. import _core
from .. import backend
from .. import initializers
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape, convert_to_tensor
from ..engine.variable import Variable, VariableSynchronization, VariableAggregation
from ..engine.api import index as _ix
from ..engine.api import random as _rnd
from .node import KerasTensor, Node, flatten, map_structure, has_keras_tensor, pack_sequence_as

C = _core.ops

# ---- registry of Keras classes by name (layers.deserialize, custom objects) -------------

_REGISTRY = {}
_CUSTOM_OBJECTS = {}


def register_keras_class(cls):
    _REGISTRY.setdefault(cls.__name__, cls)
    return cls


def get_registered_object(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _CUSTOM_OBJECTS:
        return _CUSTOM_OBJECTS[name]
    return _REGISTRY.get(name)


def get_custom_objects():
    """The global dict of custom objects (name -> class or function) used when loading."""
    return _CUSTOM_OBJECTS


class CustomObjectScope:
    """`with custom_object_scope({'MyLayer': MyLayer}):` makes the names resolvable."""

    def __init__(self, *args):
        self.custom_objects = args
        self.backup = None

    def __enter__(self):
        self.backup = dict(_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            _CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *args):
        _CUSTOM_OBJECTS.clear()
        _CUSTOM_OBJECTS.update(self.backup)


custom_object_scope = CustomObjectScope


def register_keras_serializable(package="Custom", name=None):
    def decorator(arg):
        key = f"{package}>{name or arg.__name__}"
        _CUSTOM_OBJECTS[key] = arg
        _CUSTOM_OBJECTS.setdefault(name or arg.__name__, arg)
        return arg
    return decorator


# ---- global call state ------------------------------------------------------------------

class _CallContext:
    __slots__ = ("depth", "training", "in_shape_inference")

    def __init__(self):
        self.depth = 0
        self.training = None
        self.in_shape_inference = False


_CTX = _CallContext()
_HOLDS_EAGER_LOSSES = {}   # id(layer) of layers holding eager losses (so most calls skip clearing)
_NAME_SCOPE = []


@contextlib.contextmanager
def name_scope(name):
    _NAME_SCOPE.append(name)
    try:
        yield
    finally:
        _NAME_SCOPE.pop()


@contextlib.contextmanager
def init_scope():
    """Step out of any tf.function trace (as tf.init_scope): variables created and
    shapes inferred here are not recorded into the graph being traced."""
    from ..engine import function as _function
    stack = list(_function._graph_stack)
    for g in reversed(stack):
        g.end()
    del _function._graph_stack[:]
    try:
        yield
    finally:
        for g in stack:
            g.begin()
        _function._graph_stack[:] = stack


def _get_regularizer(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        try:
            from .. import regularizers
        except ImportError:
            raise ValueError(f"Could not interpret regularizer identifier: {identifier} "
                             "(keras.regularizers is not available)") from None
        return regularizers.get(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")


def _get_constraint(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        try:
            from .. import constraints
        except ImportError:
            raise ValueError(f"Could not interpret constraint identifier: {identifier} "
                             "(keras.constraints is not available)") from None
        return constraints.get(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier}")


def serialize_keras_object(obj):
    """None -> None; objects with get_config -> {'class_name', 'config'}; functions -> name."""
    if obj is None:
        return None
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if hasattr(obj, "__name__"):
        return obj.__name__
    raise ValueError(f"Cannot serialize {obj!r} since it doesn't implement `get_config()`.")


# ---- InputSpec ---------------------------------------------------------------------------

class InputSpec:
    """What a layer accepts: dtype, shape, ndim, max_ndim, min_ndim, axes {axis: size}."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None):
        self.dtype = _dt.as_dtype(dtype).name if dtype is not None else None
        shape = TensorShape(shape) if shape is not None else None
        if shape is not None and shape.rank is not None:
            self.ndim = shape.rank
            self.shape = tuple(shape.as_list())
        else:
            self.ndim = ndim
            self.shape = None
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError("The keys in axes must be integers.") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            max_axis = max(self.axes)
            if max_axis > max_dim:
                raise ValueError(f"Axis {max_axis} is greater than the maximum allowed value: {max_dim}")

    def __repr__(self):
        spec = [("dtype=" + str(self.dtype)) if self.dtype else "",
                ("shape=" + str(self.shape)) if self.shape else "",
                ("ndim=" + str(self.ndim)) if self.ndim else "",
                ("max_ndim=" + str(self.max_ndim)) if self.max_ndim else "",
                ("min_ndim=" + str(self.min_ndim)) if self.min_ndim else "",
                ("axes=" + str(self.axes)) if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _display_shape(shape):
    return str(tuple(shape.as_list())) if shape.rank is not None else "<unknown>"


def _fast_compatible(spec, x):
    """True when a single tensor surely satisfies a single InputSpec (the common case)."""
    shape = x._shape
    ndim = len(shape)
    if spec.ndim is not None and ndim != spec.ndim:
        return False
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        return False
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        return False
    if spec.dtype is not None or spec.shape is not None:
        return False
    for axis, value in spec.axes.items():
        if value is not None and (not -ndim <= axis < ndim or shape[axis] != value):
            return False
    return True


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise ValueError (tf.keras's messages) when inputs do not match input_spec."""
    if not input_spec:
        return
    if isinstance(input_spec, InputSpec) and isinstance(inputs, _core.TensorBase) and \
            _fast_compatible(input_spec, inputs):
        return
    specs = flatten(input_spec)
    flat = flatten(inputs)
    if len(flat) != len(specs):
        raise ValueError(f"Layer {layer_name} expects {len(specs)} input(s), but it received "
                         f"{len(flat)} input tensors. Inputs received: {flat}")
    for index, (x, spec) in enumerate(zip(flat, specs)):
        if spec is None or not hasattr(x, "shape"):
            continue
        shape = TensorShape(x.shape)
        if shape.rank is None:
            return
        ndim = shape.rank
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"Input {index} of layer {layer_name} is incompatible with the layer: "
                             f"expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: "
                             f"{_display_shape(shape)}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"Input {index} of layer {layer_name} is incompatible with the layer: "
                             f"expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"Input {index} of layer {layer_name} is incompatible with the layer: "
                             f": expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape "
                             f"received: {_display_shape(shape)}")
        if spec.dtype is not None and x.dtype.name != spec.dtype:
            raise ValueError(f"Input {index} of layer {layer_name} is incompatible with the layer: "
                             f"expected dtype={spec.dtype}, found dtype={x.dtype.name}")
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if not -ndim <= axis < ndim or shape[axis] not in (value, None):
                raise ValueError(f"Input {index} of layer {layer_name} is incompatible with the "
                                 f"layer: expected axis {axis} of input shape to have value {value} "
                                 f"but received input with shape {_display_shape(shape)}")
        if spec.shape is not None:
            spec_shape = spec.shape
            if spec.allow_last_axis_squeeze:
                if ndim and shape[-1] == 1:
                    shape = shape[:-1]
                if spec_shape and spec_shape[-1] == 1:
                    spec_shape = spec_shape[:-1]
            for spec_dim, dim in zip(spec_shape, shape):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f"Input {index} is incompatible with layer {layer_name}: "
                                     f"expected shape={spec.shape}, found shape={_display_shape(shape)}")


# ---- helpers -----------------------------------------------------------------------------

def _is_tensor(x):
    return isinstance(x, _core.TensorBase)


def _dedup(weights):
    seen = set()
    out = []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _shape_of(x):
    if isinstance(x, KerasTensor):
        return x.shape
    if hasattr(x, "shape"):
        return TensorShape(x.shape)
    return None


def _to_shape_struct(s):
    """compute_output_shape results: a TensorShape/tuple of ints, or lists of them."""
    if isinstance(s, TensorShape):
        return s
    if isinstance(s, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in s):
        return TensorShape(s)
    if isinstance(s, (list, tuple)):
        return type(s)(_to_shape_struct(x) for x in s)
    if isinstance(s, dict):
        return {k: _to_shape_struct(v) for k, v in s.items()}
    raise TypeError(f"compute_output_shape returned {s!r}, not a shape")


def _default(method):
    method._is_default = True
    return method


_PROBES = ((1, 96), (2, 160))   # (batch size, other unknown dims) of the two shape-inference runs

_TRACKABLE_CONTAINERS = (list, tuple, dict)


class Layer:
    """Base class of all Keras layers (and of Model)."""

    # attributes the tracker never looks into
    _NO_TRACK = frozenset({
        "_tracked", "_trainable_weights", "_non_trainable_weights", "_callable_losses",
        "_eager_losses", "_inbound_nodes", "_outbound_nodes", "_input_spec", "_build_input_shape",
        "_batch_input_shape", "_initial_weights", "_graph_layers", "_nested_inputs",
        "_nested_outputs", "inputs", "outputs", "_input_layers", "_output_layers",
        "_nodes_by_depth", "_network_nodes", "_layers_by_depth", "_compute_order", "_seq_layers",
        "_created_nodes", "_inferred_input_shape", "_call_fn_args", "_metrics", "_losses",
        "input_names", "output_names", "_input_coordinates", "_output_coordinates",
        "_symbolic_losses",
    })

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_keras_class(cls)

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        allowed = {"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights",
                   "activity_regularizer", "autocast", "implementation"}
        for kw in kwargs:
            if kw not in allowed:
                raise TypeError(f"('Keyword argument not understood:', '{kw}')")
        d = self.__dict__
        d.setdefault("_tracked", {})
        d["_trainable"] = bool(trainable)
        d["_trainable_weights"] = []
        d["_non_trainable_weights"] = []
        d["_callable_losses"] = []
        d["_eager_losses"] = []
        d["_inbound_nodes"] = []
        d["_outbound_nodes"] = []
        d["_metrics"] = []
        d["_input_spec"] = None
        d["_build_input_shape"] = None
        d["built"] = False
        self.supports_masking = False
        self.stateful = False
        self._dynamic = dynamic
        self._init_set_name(name)
        self._set_dtype_policy(dtype)
        self._autocast = kwargs.get("autocast", True)
        self._activity_regularizer = _get_regularizer(kwargs.get("activity_regularizer"))
        self._initial_weights = kwargs.get("weights")
        if "input_dim" in kwargs and "input_shape" not in kwargs:
            kwargs["input_shape"] = (kwargs["input_dim"],)
        if "input_shape" in kwargs or "batch_input_shape" in kwargs:
            if "batch_input_shape" in kwargs:
                batch_input_shape = tuple(kwargs["batch_input_shape"])
            else:
                shape = kwargs["input_shape"]
                if isinstance(shape, (int, np.integer)):
                    shape = (shape,)
                batch_input_shape = (kwargs.get("batch_size"),) + tuple(shape)
            self._batch_input_shape = batch_input_shape

    # -- naming and dtype ---------------------------------------------------------------
    def _init_set_name(self, name, zero_based=True):
        if not name:
            self._name = backend.unique_object_name(self._default_name_base(), zero_based=zero_based)
        elif isinstance(name, str):
            self._name = name
        else:
            raise TypeError(f"Expected `name` argument to be a string, but got: {name}")

    def _default_name_base(self):
        return backend.to_snake_case(type(self).__name__)

    def _set_dtype_policy(self, dtype):
        if dtype is None:
            dtype = backend.floatx()
        if isinstance(dtype, dict):        # serialized policy
            dtype = dtype.get("config", {}).get("name", backend.floatx())
        name = getattr(dtype, "name", dtype)
        if name == "mixed_float16":
            self._dtype_name, self._compute_dtype_name = "float32", "float16"
        else:
            name = _dt.as_dtype(name).name
            self._dtype_name = self._compute_dtype_name = name
        self._compute_dtype_object = _dt.as_dtype(self._compute_dtype_name)

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        """The dtype of the layer's weights ('float32' unless floatx or dtype= say otherwise)."""
        return self._dtype_name

    @property
    def compute_dtype(self):
        return self._compute_dtype_name

    @property
    def variable_dtype(self):
        return self._dtype_name

    @property
    def dtype_policy(self):
        return self._compute_dtype_name if self._compute_dtype_name == self._dtype_name else "mixed_float16"

    @property
    def dynamic(self):
        return any(layer._dynamic for layer in self._flatten_layers())

    # -- attribute tracking ------------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        tracked = d.get("_tracked")
        if tracked is None:
            tracked = d["_tracked"] = {}
        if name in type(self)._NO_TRACK or name.startswith("__"):
            object.__setattr__(self, name, value)
            return
        if isinstance(value, (Layer, Variable)) or (
                isinstance(value, _TRACKABLE_CONTAINERS) and not isinstance(value, str)):
            tracked[name] = None
            if "_trainable_weights" in d:
                for v in _iter_variables(value):
                    if not any(v is w for w in d["_trainable_weights"]) and \
                            not any(v is w for w in d["_non_trainable_weights"]):
                        (d["_trainable_weights"] if v.trainable else d["_non_trainable_weights"]).append(v)
        elif name in tracked:
            del tracked[name]
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        tracked = self.__dict__.get("_tracked")
        if tracked and name in tracked:
            del tracked[name]
        object.__delattr__(self, name)

    def _tracked_sublayers(self):
        """Layers assigned as attributes (directly or inside lists/tuples/dicts), in order."""
        out = []
        seen = set()
        d = self.__dict__
        for name in d.get("_tracked", ()):
            for layer in _iter_layers(d.get(name)):
                if layer is not self and id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    def _direct_sublayers(self):
        return self._tracked_sublayers()

    def _flatten_layers(self, recursive=True, include_self=True):
        seen = set()
        out = []
        if include_self:
            out.append(self)
            seen.add(id(self))
        stack = [self]
        while stack:
            layer = stack.pop(0)
            for sub in layer._direct_sublayers():
                if id(sub) in seen:
                    continue
                seen.add(id(sub))
                out.append(sub)
                if recursive:
                    stack.append(sub)
            if not recursive:
                break
        return out

    @property
    def submodules(self):
        return self._flatten_layers(include_self=False)

    # -- weights -------------------------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        for layer in self._flatten_layers():
            layer.__dict__["_trainable"] = bool(value)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        children = [w for layer in self._direct_sublayers() for w in layer.trainable_weights]
        return _dedup(self._trainable_weights + children)

    @property
    def non_trainable_weights(self):
        subs = self._direct_sublayers()
        if self._trainable:
            children = [w for layer in subs for w in layer.non_trainable_weights]
            weights = self._non_trainable_weights + children
        else:
            children = [w for layer in subs for w in layer.weights]
            weights = self._trainable_weights + self._non_trainable_weights + children
        return _dedup(weights)

    @property
    def weights(self):
        return _dedup(self.trainable_weights + self.non_trainable_weights)

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def variables(self):
        return self.weights

    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=None, constraint=None, use_resource=None,
                   synchronization=VariableSynchronization.AUTO,
                   aggregation=VariableAggregation.NONE, **kwargs):
        """Create a tf.Variable '<layer name>/<name>:0' owned by this layer."""
        for kw in kwargs:
            if kw not in ("getter", "collections", "experimental_autocast", "caching_device",
                          "partitioner"):
                raise TypeError(f"Unknown keyword argument: {kw}")
        if shape is None:
            shape = ()
        shape = tuple(TensorShape(shape).as_list()) if not isinstance(shape, (int, np.integer)) \
            else (int(shape),)
        if any(d is None for d in shape):
            raise ValueError(f"Weight {name} of layer {self.name} has an undefined dimension: "
                             f"shape={shape}")
        dtype = _dt.as_dtype(dtype or self._dtype_name)
        if synchronization == VariableSynchronization.ON_READ:
            if trainable:
                raise ValueError("Synchronization value can be set to VariableSynchronization.ON_READ "
                                 "only for non-trainable variables. You have specified "
                                 "trainable=True and synchronization=VariableSynchronization.ON_READ.")
            trainable = False
        elif trainable is None:
            trainable = True
        init = initializers.get(initializer)
        if init is None:
            if dtype.is_floating:
                init = initializers.GlorotUniform()
            elif dtype.is_integer or dtype.is_bool:
                init = initializers.Zeros()
            else:
                raise ValueError(f"An initializer for variable {name} of type {dtype.name} is "
                                 f"required for layer {self.name}")
        constraint = _get_constraint(constraint)
        regularizer = _get_regularizer(regularizer)
        full_name = "/".join(_NAME_SCOPE + [name or "Variable"])
        with init_scope():
            value = init(shape, dtype=dtype)
            if not _is_tensor(value):
                value = convert_to_tensor(np.asarray(value, dtype=dtype.as_numpy_dtype))
            elif value._dtype_id != dtype._id:
                value = C["cast"](value, ints=(dtype._id,))
            var = Variable(value, trainable=trainable, name=full_name, dtype=dtype,
                           constraint=constraint, synchronization=synchronization,
                           aggregation=aggregation)
        # a trainable variable of a non-float dtype cannot be trained
        if trainable and var.trainable:
            self._trainable_weights.append(var)
        else:
            self._non_trainable_weights.append(var)
        if regularizer is not None:
            self._handle_weight_regularization(name, var, regularizer)
        return var

    def _handle_weight_regularization(self, name, variable, regularizer):
        def _loss_for_variable(v):
            return regularizer(v)
        self.add_loss(functools.partial(_loss_for_variable, variable))

    def get_weights(self):
        """The weights as a list of numpy arrays (trainable first, then non-trainable)."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self.name}" with a weight list of '
                f"length {len(weights)}, but the layer was expecting {len(params)} weights. "
                f"Provided weights: {str(weights)[:50]}...")
        values = []
        for param, w in zip(params, weights):
            a = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
            ref = tuple(param.shape.as_list())
            if a.shape != ref:
                raise ValueError(f"Layer weight shape {TensorShape(ref)} not compatible with "
                                 f"provided weight shape {TensorShape(a.shape)}")
            values.append(a)
        for param, a in zip(params, values):
            param.assign(a.astype(param.dtype.as_numpy_dtype, copy=False))

    def count_params(self):
        if not self.built:
            if getattr(self, "_is_graph_network", False):
                self.built = True
            else:
                raise ValueError(f"You tried to call `count_params` on {self.name}, but the layer "
                                 f"isn't built. You can build it manually via: "
                                 f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(int(np.prod(w.shape.as_list(), dtype=np.int64)) for w in self.weights))

    # -- losses --------------------------------------------------------------------------------
    def add_loss(self, losses, **kwargs):
        for loss in flatten(losses):
            if loss is None:
                continue
            if callable(loss) and not _is_tensor(loss) and not hasattr(loss, "_as_tensor"):
                self._callable_losses.append(loss)
            elif isinstance(loss, KerasTensor):
                raise NotImplementedError(
                    "add_loss on symbolic KerasTensors is not supported in minikeras; add the loss "
                    "inside a layer's call() instead.")
            else:
                if not _is_tensor(loss):
                    loss = convert_to_tensor(loss, dtype_hint=backend.floatx())
                self._eager_losses.append(loss)
                _HOLDS_EAGER_LOSSES[id(self)] = True

    @property
    def losses(self):
        collected = []
        for layer in self._flatten_layers():
            collected.extend(layer._eager_losses)
            for fn in layer._callable_losses:
                v = fn()
                if v is not None:
                    collected.append(v)
        return collected

    def _clear_losses(self):
        for layer in self._flatten_layers():
            if layer._eager_losses:
                layer.__dict__["_eager_losses"] = []
                _HOLDS_EAGER_LOSSES.pop(id(layer), None)

    @property
    def metrics(self):
        return list(self._metrics)

    def add_metric(self, value, name=None, **kwargs):
        raise NotImplementedError("add_metric is not supported in minikeras")

    @property
    def updates(self):
        return []

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, regularizer):
        self._activity_regularizer = _get_regularizer(regularizer)

    # -- build / call --------------------------------------------------------------------------
    @_default
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (the base version only records it)."""
        self._build_input_shape = input_shape
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        for v in flatten(value):
            if v is not None and not isinstance(v, InputSpec):
                raise TypeError(f"Layer input_spec must be an instance of InputSpec. Got: {v}")
        self.__dict__["_input_spec"] = value

    @classmethod
    def _call_spec(cls):
        """(positional arg names after `inputs`, names accepted, accepts **kwargs, training default)."""
        spec = cls.__dict__.get("_mk_call_spec")
        if spec is None:
            sig = inspect.signature(cls.call)
            params = list(sig.parameters.values())[2:]   # self, inputs
            names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
            var_kw = any(p.kind == p.VAR_KEYWORD for p in params)
            training_default = None
            if "training" in sig.parameters:
                d = sig.parameters["training"].default
                training_default = None if d is inspect.Parameter.empty else d
            spec = (positional, set(names), var_kw, training_default)
            type.__setattr__(cls, "_mk_call_spec", spec)
        return spec

    @property
    def _expects_training_arg(self):
        _, names, var_kw, _ = self._call_spec()
        return "training" in names or var_kw

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = map_structure(_shape_of, inputs)
        with init_scope(), name_scope(self._name):
            if not getattr(self.build, "_is_default", False):
                self.build(shapes)
            Layer.build(self, shapes)
        if self._initial_weights is not None:
            w = self._initial_weights
            self._initial_weights = None
            self.set_weights(w)

    def _convert_inputs(self, inputs):
        """numpy/Python numbers -> tensors; floating tensors -> the compute dtype."""
        if _is_tensor(inputs):
            if self._autocast and inputs._dtype_id != self._compute_dtype_object._id and \
                    _dt.ALL[inputs._dtype_id].is_floating:
                return C["cast"](inputs, ints=(self._compute_dtype_object._id,))
            return inputs

        def conv(x):
            if isinstance(x, (np.ndarray, np.generic, float, int)) and not isinstance(x, bool):
                x = convert_to_tensor(x)
            elif hasattr(x, "_as_tensor") and not isinstance(x, KerasTensor):
                x = x._as_tensor()
            if _is_tensor(x) and self._autocast and x._dtype_id != self._compute_dtype_object._id \
                    and _dt.ALL[x._dtype_id].is_floating:
                x = C["cast"](x, ints=(self._compute_dtype_object._id,))
            return x
        return map_structure(conv, inputs)

    def _resolve_training(self, args, kwargs):
        """TF's rules: explicit training= > outer layer call's training > call's default."""
        positional, names, var_kw, default = self._call_spec()
        expects = "training" in names or var_kw
        training = None
        passed = False
        if "training" in kwargs:
            training = kwargs["training"]
            passed = True
        elif "training" in positional and len(args) > positional.index("training"):
            training = args[positional.index("training")]
            passed = True
        if expects:
            if training is None:
                training = _CTX.training if _CTX.training is not None else default
                if passed and "training" in kwargs:
                    kwargs["training"] = training
                elif passed:
                    args = list(args)
                    args[positional.index("training")] = training
                    args = tuple(args)
                else:
                    kwargs["training"] = training
        else:
            kwargs.pop("training", None)
            if training is None:
                training = _CTX.training
        return training, args, kwargs

    def __call__(self, *args, **kwargs):
        if "_inbound_nodes" not in self.__dict__:
            raise RuntimeError(f"It looks like you are subclassing `{type(self).__name__}` and you "
                               "forgot to call `super().__init__()`. Always start with this line.")
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise ValueError("The first argument to `Layer.call` must always be passed.")
        if has_keras_tensor(inputs) or ((args or kwargs) and has_keras_tensor((args, kwargs))):
            return self._functional_call(inputs, args, kwargs)
        return self._eager_call(inputs, args, kwargs)

    def _eager_call(self, inputs, args, kwargs):
        ctx = _CTX
        inputs = self._convert_inputs(inputs)
        if ctx.depth == 0 and _HOLDS_EAGER_LOSSES and not ctx.in_shape_inference:
            self._clear_losses()
        training, args, kwargs = self._resolve_training(args, kwargs)
        if not self.built:
            self._maybe_build(inputs)
        if self._input_spec is not None:
            assert_input_compatibility(self._input_spec, inputs, self._name)
        outer_training = ctx.training
        ctx.depth += 1
        ctx.training = training
        _NAME_SCOPE.append(self._name)
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            _NAME_SCOPE.pop()
            ctx.training = outer_training
            ctx.depth -= 1
        if self._activity_regularizer is not None and not ctx.in_shape_inference:
            for out in flatten(outputs):
                loss = self._activity_regularizer(out)
                if not _is_tensor(loss):
                    loss = convert_to_tensor(loss, dtype_hint=out.dtype)
                batch = C["cast"](convert_to_tensor(out._shape[0] if out.ndim else 1),
                                  ints=(loss._dtype_id,))
                self.add_loss(C["divide"](loss, batch))
        return outputs

    # -- functional API ------------------------------------------------------------------------
    def _functional_call(self, inputs, args, kwargs):
        if "training" in kwargs and kwargs["training"] is None:
            kwargs = dict(kwargs)
            del kwargs["training"]
        if not self.built:
            self._maybe_build(inputs)
        if self._input_spec is not None:
            assert_input_compatibility(self._input_spec, inputs, self._name)
        specs = self._infer_output_spec(inputs, args, kwargs)
        outputs = map_structure(lambda s: KerasTensor(s.shape, s.dtype), specs)
        Node(self, (inputs,) + tuple(args), kwargs, outputs)
        return outputs

    def _output_dtype(self, input_dtype):
        """dtype of an output computed by compute_output_shape, from the first input's dtype."""
        if input_dtype is None or (input_dtype.is_floating and self._autocast):
            return self._compute_dtype_object
        return input_dtype

    def _infer_output_spec(self, inputs, args, kwargs):
        """Unconnected KerasTensors (shape, dtype) for a call on KerasTensor `inputs`:
        compute_output_shape when the layer defines it, else two runs on zeros."""
        if type(self).compute_output_shape is not Layer.compute_output_shape and not args \
                and set(kwargs) <= {"training", "mask"}:
            try:
                out = self.compute_output_shape(map_structure(_shape_of, inputs))
            except NotImplementedError:
                pass
            else:
                first = flatten(inputs)[0] if flatten(inputs) else None
                dtype = self._output_dtype(getattr(first, "dtype", None))
                return map_structure(lambda s: KerasTensor(s, dtype), _to_shape_struct(out))
        return self._infer_by_running(inputs, args, kwargs)

    def _infer_by_running(self, inputs, args, kwargs):
        structure = (inputs, args, kwargs)
        flat = flatten(structure)
        kts = [x for x in flat if isinstance(x, KerasTensor)]
        unknown = any(d is None for kt in kts for d in (kt.shape.dims or []))
        probes = _PROBES if unknown else _PROBES[:1]
        results = []
        ctx = _CTX
        state = _rnd._get_state()
        saved = (ctx.in_shape_inference, ctx.training, ctx.depth)
        try:
            with init_scope():
                for batch, other in probes:
                    def dummy(x):
                        if not isinstance(x, KerasTensor):
                            return x
                        dims = x.shape.dims
                        if dims is None:
                            raise ValueError(f"Layer {self.name}: cannot infer the output shape of "
                                             f"an input of unknown rank {x!r}")
                        shape = [(batch if i == 0 else other) if d is None else d
                                 for i, d in enumerate(dims)]
                        return _ix.zeros(shape, dtype=x.dtype)
                    d_inputs, d_args, d_kwargs = map_structure(dummy, structure)
                    ctx.in_shape_inference = True
                    ctx.depth = max(ctx.depth, 0) + 1
                    ctx.training = None
                    out = self._eager_call(d_inputs, tuple(d_args), dict(d_kwargs))
                    results.append(out)
        finally:
            ctx.in_shape_inference, ctx.training, ctx.depth = saved
            _rnd._set_state(state)
            if not ctx.in_shape_inference and _HOLDS_EAGER_LOSSES:
                self._clear_losses()
        first = results[0]
        flat_a = flatten(first)
        flat_b = flatten(results[-1])
        specs = []
        for a, b in zip(flat_a, flat_b):
            if not _is_tensor(a):
                a = convert_to_tensor(a)
                b = convert_to_tensor(b)
            shape = [da if da == db else None for da, db in zip(a._shape, b._shape)]
            specs.append(KerasTensor(shape, a.dtype))
        return pack_sequence_as(first, specs)

    def compute_output_shape(self, input_shape):
        """Output shape(s) for input_shape(s) (batch dimension may be None); the base
        version runs the layer on zeros to find out."""
        def spec(s):
            s = TensorShape(s) if not isinstance(s, TensorShape) else s
            return KerasTensor(s, self._compute_dtype_object)
        if isinstance(input_shape, (list, tuple)) and input_shape and \
                not all(d is None or isinstance(d, (int, np.integer)) for d in input_shape):
            inputs = [spec(s) for s in input_shape]
        else:
            inputs = spec(input_shape)
        if not self.built:
            self._maybe_build(inputs)
        out = self._infer_by_running(inputs, (), {})
        return map_structure(lambda kt: kt.shape, out)

    def compute_mask(self, inputs, mask=None):
        return None

    # -- graph connectivity ---------------------------------------------------------------------
    @property
    def inbound_nodes(self):
        return self._inbound_nodes

    @property
    def outbound_nodes(self):
        return self._outbound_nodes

    def _node_attr(self, node_index, attr, attr_name):
        if not self._inbound_nodes:
            raise RuntimeError(f"The layer {self.name} has never been called and thus has no "
                               f"defined {attr_name}.")
        if not len(self._inbound_nodes) > node_index:
            raise ValueError(f"Asked to get {attr_name} at node {node_index}, but the layer has "
                             f"only {len(self._inbound_nodes)} inbound nodes.")
        values = getattr(self._inbound_nodes[node_index], attr)
        if isinstance(values, list) and len(values) == 1:
            return values[0]
        return values

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no input to return.")
        return self._node_attr(0, "input_tensors", "input")

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return self._node_attr(0, "output_tensors", "output")

    @property
    def input_shape(self):
        if not self._inbound_nodes:
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has no '
                                 "defined input shape.")
        shapes = {str(node.input_shapes) for node in self._inbound_nodes}
        if len(shapes) == 1:
            return self._inbound_nodes[0].input_shapes
        raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes, with different '
                             'input shapes. Hence the notion of "input shape" is ill-defined for '
                             "the layer. Use `get_input_shape_at(node_index)` instead.")

    @property
    def output_shape(self):
        if not self._inbound_nodes:
            raise AttributeError("The layer has never been called and thus has no defined output "
                                 "shape.")
        shapes = {str(node.output_shapes) for node in self._inbound_nodes}
        if len(shapes) == 1:
            return self._inbound_nodes[0].output_shapes
        raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes, with different '
                             'output shapes. Hence the notion of "output shape" is ill-defined for '
                             "the layer. Use `get_output_shape_at(node_index)` instead.")

    def get_input_at(self, node_index):
        return self._node_attr(node_index, "input_tensors", "input")

    def get_output_at(self, node_index):
        return self._node_attr(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index):
        return self._node_attr(node_index, "input_shapes", "input shape")

    def get_output_shape_at(self, node_index):
        return self._node_attr(node_index, "output_shapes", "output shape")

    # -- config ------------------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if hasattr(self, "_batch_input_shape"):
            config["batch_input_shape"] = self._batch_input_shape
        config["dtype"] = self.dtype_policy
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"


def _iter_layers(value):
    if isinstance(value, Layer):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _iter_layers(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _iter_layers(v)


def _iter_variables(value):
    if isinstance(value, Variable):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _iter_variables(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _iter_variables(v)
