"""The optimizer base class (tf.keras 2.5 OptimizerV2's API).

Each optimizer's per-variable step is one fused C op (csrc/kernels/optim.c) that updates
the variable and its slot variables in place.  Values that change from step to step are
passed to the op as TENSORS that the kernel reads when it runs: the learning-rate
variable (or the schedule's output, computed from the iteration variable by ops), and the
iteration variable.  So a train step traced once by tf.function / fit and replayed in C
sees a learning rate changed by the user, a callback or a schedule.  Constant
hyper-parameters (beta_1, epsilon, ...) are op attributes fixed when the step is traced.

Slot variables are created lazily, on the first apply_gradients, OUTSIDE any graph being
traced (_init_scope), so a replayed graph never re-initialises them."""
import inspect
import numbers
import warnings

import numpy as np

from .. import _core
from ..engine import dtypes as _dt
from ..engine import function as _function
from ..engine.api.optim import clip_by_global_norm, clip_by_norm
from ..engine.tensor import convert_to_tensor
from ..engine.variable import Variable
from . import schedules as _schedules

C = _core.ops

EPSILON = 1e-7   # keras.backend.epsilon()
_TAKES_STATE = {}  # optimizer class -> whether _resource_apply_dense takes apply_state


_init_scope = _function.init_scope


def _buf(v):
    """The tensor the C core reads and writes for a variable."""
    conv = getattr(v, "_as_tensor", None)
    return conv() if conv is not None else v


def _clean_float(x):
    """A float32 value as the short Python float it was written as (0.001, not 0.0010000000474)."""
    a = np.asarray(x)
    if a.dtype == np.float32:
        return float(np.format_float_positional(a[()], unique=True))
    return a.item()


def _shared_name(var):
    name = getattr(var, "name", None) or "Variable"
    return name.split(":")[0]


class _ApplyState(dict):
    """apply_state: the fused ops' "lr" / "iter", and TF's (device, dtype) -> coefficients
    entries filled on first use (for tf.keras-style subclasses)."""

    def __init__(self, opt):
        super().__init__()
        self._opt = opt

    def __missing__(self, key):
        if isinstance(key, tuple) and len(key) == 2:
            value = self[key] = self._opt._fallback_apply_state(*key)
            return value
        raise KeyError(key)


def _var_key(var):
    return id(var)


class Optimizer:
    """Base class of Keras optimizers (tf.keras.optimizers.Optimizer, OptimizerV2 API).

    Subclasses implement _create_slots(var_list), _resource_apply_dense(grad, var,
    apply_state) and get_config()."""

    _HAS_AGGREGATE_GRAD = True

    def __init__(self, name, gradient_aggregator=None, gradient_transformers=None, **kwargs):
        object.__setattr__(self, "_hyper", {})
        allowed_kwargs = {"clipnorm", "clipvalue", "lr", "decay", "global_clipnorm"}
        for k in kwargs:
            if k not in allowed_kwargs:
                raise TypeError("Unexpected keyword argument passed to optimizer: " + str(k))
            if (kwargs[k] is not None and isinstance(kwargs[k], numbers.Number)
                    and kwargs[k] < 0):
                raise ValueError("Expected {} >= 0, received: {}".format(k, kwargs[k]))
            if k == "lr":
                warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.")
        self._use_locking = True
        self._name = name or self.__class__.__name__
        self._slots = {}
        self._slot_names = []
        self._weights = []
        self._iterations = None
        self._hypers_created = False
        decay = kwargs.pop("decay", 0.0)
        if decay < 0.0:
            raise ValueError("decay cannot be less than 0: {}".format(decay))
        self._initial_decay = decay
        self.gradient_aggregator = gradient_aggregator
        self.gradient_transformers = list(gradient_transformers or [])
        self.clipnorm = kwargs.pop("clipnorm", None)
        self.global_clipnorm = kwargs.pop("global_clipnorm", None)
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError("Cannot accept both `clipnorm` and `global_clipnorm`, passed "
                             "`clipnorm` {}, `global_clipnorm` {}".format(self.clipnorm,
                                                                        self.global_clipnorm))
        self.clipvalue = kwargs.pop("clipvalue", None)

    # -- hyper-parameters ---------------------------------------------------------------
    def _set_hyper(self, name, value):
        """Set hyper `name` to value (a number, a LearningRateSchedule, a callable or a
        tensor).  Once the hyper's variable exists a number is assigned into it, so graphs
        already traced see the change."""
        prev = self._hyper.get(name)
        if isinstance(prev, Variable) and not isinstance(value, _schedules.LearningRateSchedule) \
                and not callable(value):
            prev.assign(np.asarray(_to_number(value), dtype=prev.dtype.as_numpy_dtype))
            return
        self._hyper[name] = value
        if self._hypers_created and _is_number(value):
            with _init_scope():
                self._hyper[name] = self._make_hyper_variable(name, value)

    def _make_hyper_variable(self, name, value):
        return Variable(np.float32(_to_number(value)), trainable=False,
                        name=f"{self._name}/{name}", dtype="float32")

    def _create_hypers(self):
        if self._hypers_created:
            return
        with _init_scope():
            for name, value in sorted(self._hyper.items()):
                if _is_number(value):
                    self._hyper[name] = self._make_hyper_variable(name, value)
        self._hypers_created = True

    def _get_hyper(self, name, dtype=None):
        if not self._hypers_created:
            self._create_hypers()
        value = self._hyper[name]
        if isinstance(value, _schedules.LearningRateSchedule):
            return value
        if callable(value) and not isinstance(value, Variable):
            value = value()
        if dtype is not None:
            t = convert_to_tensor(value)
            dt = _dt.as_dtype(dtype)
            return t if t._dtype_id == dt._id else C["cast"](t, ints=(dt._id,))
        return value

    def _hyper_float(self, name):
        """The current value of a constant hyper-parameter, as a Python float."""
        v = self._get_hyper(name)
        return float(np.asarray(_buf(v) if hasattr(v, "_as_tensor") else v))

    def _serialize_hyperparameter(self, name):
        value = self._hyper[name]
        if isinstance(value, _schedules.LearningRateSchedule):
            return _schedules.serialize(value)
        if callable(value) and not isinstance(value, Variable):
            return value()
        if isinstance(value, (Variable, _core.TensorBase)):
            return _clean_float(np.asarray(value))
        return value

    def __getattr__(self, name):
        # only called when normal lookup fails: hyper-parameters (and the `lr` alias)
        if name.startswith("__"):
            raise AttributeError(name)
        hyper = self.__dict__.get("_hyper")
        key = "learning_rate" if name == "lr" else name
        if hyper is not None and key in hyper:
            return self._get_hyper(key)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name == "lr":
            name = "learning_rate"
        hyper = self.__dict__.get("_hyper")
        if hyper is not None and name in hyper:
            self._set_hyper(name, value)
        else:
            object.__setattr__(self, name, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._hyper) | {"lr"})

    @property
    def name(self):
        return self._name

    # -- iterations and weights -----------------------------------------------------------
    @property
    def iterations(self):
        """The number of steps applied so far: an int64 variable."""
        if self._iterations is None:
            with _init_scope():
                self._iterations = Variable(np.int64(0), trainable=False,
                                            name=f"{self._name}/iter", dtype="int64")
            self._weights.insert(0, self._iterations)
        return self._iterations

    @iterations.setter
    def iterations(self, variable):
        if self._iterations is not None:
            raise RuntimeError("Cannot set `iterations` to a new Variable after the Optimizer "
                               "weights have been created")
        self._iterations = variable
        self._weights.insert(0, variable)

    def add_weight(self, name, shape, dtype=None, initializer="zeros", trainable=None,
                   synchronization=None, aggregation=None):
        dtype = _dt.as_dtype(dtype or "float32")
        value = _initial_value(initializer, tuple(shape), dtype)
        with _init_scope():
            return Variable(value, trainable=bool(trainable), name=f"{self._name}/{name}",
                            dtype=dtype)

    def add_slot(self, var, slot_name, initializer="zeros", shape=None):
        """A slot variable of `var` (same dtype and shape), created once."""
        if slot_name not in self._slot_names:
            self._slot_names.append(slot_name)
        key = _var_key(var)
        entry = self._slots.get(key)
        if entry is None:
            entry = self._slots[key] = (var, {})
        slots = entry[1]
        weight = slots.get(slot_name)
        if weight is None:
            dtype = var.dtype
            shp = tuple(var.shape) if shape is None else tuple(shape)
            value = _initial_value(initializer, shp, dtype)
            with _init_scope():
                weight = Variable(value, trainable=False, dtype=dtype,
                                  name=f"{self._name}/{_shared_name(var)}/{slot_name}")
            slots[slot_name] = weight
            self._weights.append(weight)
        return weight

    def get_slot(self, var, slot_name):
        entry = self._slots.get(_var_key(var))
        if entry is None or slot_name not in entry[1]:
            raise KeyError(f"No slot named '{slot_name}' for variable {_shared_name(var)} "
                           f"(slots: {self.get_slot_names()})")
        return entry[1][slot_name]

    def get_slot_names(self):
        return list(self._slot_names)

    def _create_slots(self, var_list):
        pass

    def _create_all_weights(self, var_list):
        """Create iterations, the hyper-parameter variables and the slots of var_list."""
        _ = self.iterations
        self._create_hypers()
        self._create_slots(list(var_list))

    @property
    def weights(self):
        """[iterations] + slot variables, in creation order (what get_weights returns)."""
        return list(self._weights)

    def variables(self):
        return list(self._weights)

    def get_weights(self):
        return [np.array(_buf(w)) for w in self._weights]

    def set_weights(self, weights):
        params = self._weights
        if len(params) != len(weights):
            raise ValueError(
                "You called `set_weights(weights)` on optimizer " + self._name +
                " with a  weight list of length " + str(len(weights)) +
                ", but the optimizer was expecting " + str(len(params)) +
                " weights. Provided weights: " + str(weights)[:50] + "...")
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(p.shape) != w.shape:
                raise ValueError("Optimizer weight shape " + str(tuple(p.shape)) +
                                 " not compatible with provided weight shape " + str(w.shape))
            p.assign(w.astype(p.dtype.as_numpy_dtype))

    # -- learning rate ---------------------------------------------------------------------
    def _decayed_lr(self, var_dtype="float32"):
        """The learning rate of this step as a scalar tensor (the variable's own buffer when
        it is a plain number and there is no `decay`)."""
        lr = self._get_hyper("learning_rate")
        if isinstance(lr, _schedules.LearningRateSchedule):
            step = C["cast"](_buf(self.iterations), ints=(_dt.float32._id,))
            lr = convert_to_tensor(lr(step))
        else:
            lr = convert_to_tensor(lr)
        if self._initial_decay > 0.0:
            if lr._dtype_id != _dt.float32._id:
                lr = C["cast"](lr, ints=(_dt.float32._id,))
            step = C["cast"](_buf(self.iterations), ints=(_dt.float32._id,))
            decay = _core.scalar(float(self._initial_decay), _dt.float32._id)
            lr = C["divide"](lr, C["add"](C["multiply"](decay, step),
                                          _core.scalar(1.0, _dt.float32._id)))
        if var_dtype is not None:
            dt = _dt.as_dtype(var_dtype)
            if dt._id != _dt.float32._id and lr._dtype_id != dt._id:
                lr = C["cast"](lr, ints=(dt._id,))
        return lr

    # -- applying gradients ------------------------------------------------------------------
    def _transform_gradients(self, grads_and_vars):
        if self.clipvalue is not None:
            cv = self.clipvalue
            grads_and_vars = [(C["minimum"](C["maximum"](g, _core.scalar(-cv, g._dtype_id)),
                                            _core.scalar(cv, g._dtype_id)), v)
                              for g, v in grads_and_vars]
        if self.clipnorm is not None:
            grads_and_vars = [(clip_by_norm(g, self.clipnorm), v) for g, v in grads_and_vars]
        if self.global_clipnorm is not None:
            clipped, _ = clip_by_global_norm([g for g, _ in grads_and_vars], self.global_clipnorm)
            grads_and_vars = list(zip(clipped, [v for _, v in grads_and_vars]))
        for fn in self.gradient_transformers:
            grads_and_vars = fn(grads_and_vars)
        return grads_and_vars

    def _prepare(self, var_list):
        """Per-step values shared by every variable (computed once per apply): "lr" (a
        scalar tensor the fused ops read) and "iter" (the iteration variable's buffer)."""
        state = _ApplyState(self)
        state["lr"] = self._decayed_lr(None)
        state["iter"] = _buf(self.iterations)
        return state

    def _prepare_local(self, var_device, var_dtype, apply_state):
        if "learning_rate" in self._hyper:
            apply_state[(var_device, var_dtype)]["lr_t"] = self._decayed_lr(var_dtype)

    def _fallback_apply_state(self, var_device, var_dtype):
        """TF's per-(device, dtype) coefficients, for optimizer subclasses written against
        tf.keras that compute their update with ops."""
        state = {(var_device, var_dtype): {}}
        self._prepare_local(var_device, var_dtype, state)
        return state[(var_device, var_dtype)]

    def _apply_dense(self, grad, var, apply_state):
        fn = self._resource_apply_dense
        takes = _TAKES_STATE.get(type(self))
        if takes is None:
            try:
                params = inspect.signature(fn).parameters
                takes = "apply_state" in params or any(
                    p.kind == p.VAR_KEYWORD for p in params.values())
            except (TypeError, ValueError):
                takes = True
            _TAKES_STATE[type(self)] = takes
        return fn(grad, var, apply_state=apply_state) if takes else fn(grad, var)

    def apply_gradients(self, grads_and_vars, name=None, experimental_aggregate_gradients=True):
        """Apply one step: grads_and_vars is an iterable of (gradient, variable); None
        gradients are skipped with a warning.  Returns the iterations variable."""
        grads_and_vars = _filter_grads(grads_and_vars)
        var_list = [v for _, v in grads_and_vars]
        self._create_all_weights(var_list)
        pairs = []
        for g, v in grads_and_vars:
            g = convert_to_tensor(g)
            vb = _buf(v)
            if g._dtype_id != vb._dtype_id:
                if not _dt.ALL[g._dtype_id].is_floating:
                    raise TypeError(f"Gradient for variable {v.name} has dtype {g.dtype.name}, "
                                    f"the variable has dtype {v.dtype.name}")
                g = C["cast"](g, ints=(vb._dtype_id,))
            if tuple(g._shape) != tuple(vb._shape):
                raise ValueError(f"Gradient for variable {v.name} has shape {tuple(g._shape)}, "
                                 f"the variable has shape {tuple(vb._shape)}")
            pairs.append((g, v))
        pairs = self._transform_gradients(pairs)
        apply_state = self._prepare(var_list)
        for g, v in pairs:
            self._apply_dense(g, v, apply_state)
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                v.assign(constraint(v))
        it = self.iterations
        C["assign_add"](_buf(it), _core.scalar(1, _dt.int64._id))
        return it

    def _resource_apply_dense(self, grad, var, apply_state=None):
        raise NotImplementedError("Must be implemented in subclasses.")

    def minimize(self, loss, var_list, grad_loss=None, name=None, tape=None):
        """Compute the gradients of `loss` (a callable, or a tensor computed under `tape`)
        with respect to var_list and apply them."""
        grads_and_vars = self._compute_gradients(loss, var_list=var_list, grad_loss=grad_loss,
                                                 tape=tape)
        return self.apply_gradients(grads_and_vars, name=name)

    def _compute_gradients(self, loss, var_list, grad_loss=None, tape=None):
        from ..engine.tape import GradientTape
        if not callable(loss) and tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed.")
        tape = tape if tape is not None else GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
        if callable(var_list):
            var_list = var_list()
        var_list = list(_flatten(var_list))
        grads = tape.gradient(loss, var_list, grad_loss)
        return list(zip(grads, var_list))

    def get_gradients(self, loss, params):
        raise RuntimeError("get_gradients is not supported in eager mode; use a "
                           "tf.GradientTape and apply_gradients")

    # -- config -------------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self._name}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        if self.global_clipnorm is not None:
            config["global_clipnorm"] = self.global_clipnorm
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "lr" in config:
            config["learning_rate"] = config.pop("lr")
        if "learning_rate" in config and isinstance(config["learning_rate"], dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<minikeras.optimizers.{type(self).__name__} name={self._name!r}>"


# ---- helpers ------------------------------------------------------------------------------

def _is_number(x):
    if isinstance(x, (numbers.Number, np.generic)):
        return True
    if isinstance(x, np.ndarray) or (isinstance(x, _core.TensorBase) and not x._traced):
        return x.ndim == 0
    return False


def _to_number(x):
    if hasattr(x, "_as_tensor") or isinstance(x, _core.TensorBase):
        return float(np.asarray(_buf(x)))
    return float(np.asarray(x))


def _initial_value(initializer, shape, dtype):
    dtype = _dt.as_dtype(dtype)
    npdt = dtype.as_numpy_dtype
    if isinstance(initializer, str):
        key = initializer.lower()
        if key == "zeros":
            return np.zeros(shape, npdt)
        if key == "ones":
            return np.ones(shape, npdt)
        raise ValueError(f"Unknown slot initializer: {initializer}")
    if isinstance(initializer, numbers.Number):
        return np.full(shape, initializer, npdt)
    if callable(initializer):
        v = initializer(shape, dtype=dtype)
        return np.asarray(_buf(v)).astype(npdt)
    return np.broadcast_to(np.asarray(initializer, npdt), shape).copy()


def _flatten(x):
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _flatten(y)
    else:
        yield x


def _filter_grads(grads_and_vars):
    grads_and_vars = tuple(grads_and_vars)
    filtered, empty = [], []
    for g, v in grads_and_vars:
        if g is None:
            empty.append(v)
        else:
            filtered.append((g, v))
    if not filtered:
        raise ValueError("No gradients provided for any variable: %s." %
                         ([v.name for _, v in grads_and_vars],))
    if empty:
        warnings.warn("Gradients do not exist for variables %s when minimizing the loss." %
                      ([v.name for v in empty],))
    return tuple(filtered)
