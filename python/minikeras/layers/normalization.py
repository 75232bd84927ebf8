"""Normalization layers (tf.keras 2.5): BatchNormalization, LayerNormalization.

Both are composed from tensor ops (moments, rsqrt, multiply, add), so their
gradients come from the tape (exact, and valid for second derivatives) and they
run inside traced tf.functions.

BatchNormalization and Bessel's correction, as tf.keras 2.5 does it:
- training=True normalises with the batch mean and the *biased* batch variance
  (the mean of squared deviations) on every path;
- the moving statistics are updated in place (Variable.assign ops, recorded into a
  traced graph) as  moving = moving * momentum + batch * (1 - momentum);
- on the "non-fused" path (any input that is not 4-D, axis other than 1/3, a list
  of axes, float64, or fused=False) the variance fed to the moving average is the
  biased batch variance;
- on the "fused" path (tf.keras's default for 4-D inputs with axis -1/3 or 1, float
  16/32, i.e. CNN feature maps) it is the unbiased variance, var * n / (n - 1) with
  n = N*H*W elements per channel, as TensorFlow's FusedBatchNorm kernel returns it;
  also epsilon is raised to at least 1.001e-5 there, as tf.nn.fused_batch_norm does.
  `layer.fused` tells which path a built layer takes (None until built).  On the fused
  path with channels last (4-D NHWC, float32/float16) the layer runs the fused C ops
  fused_batch_norm / fused_batch_norm_inference (csrc/kernels/norm.c; gradient: the
  fused fused_batch_norm_grad op); NCHW stays composed.
- training=None means inference (the Keras learning phase is 0) unless an outer
  call passed training (Model.fit calls the model with training=True); a layer with
  trainable=False always runs in inference mode (TF2 behaviour)."""
import numpy as np

from .. import _core
from .. import backend
from .. import initializers
from .. import constraints
from .. import regularizers
from ..engine import dtypes as _dt
from ..engine.tensor import TensorShape
from ..engine.api import reduce as _red
from .base import Layer, InputSpec, _CTX

C = _core.ops

_FUSED_MIN_EPSILON = 1.001e-5


def _s(x, v):
    return _core.scalar(float(v), x._dtype_id)


def _cast(x, dtype_id):
    return x if x._dtype_id == dtype_id else C["cast"](x, ints=(dtype_id,))


def _reshape(x, shape):
    shape = tuple(int(d) for d in shape)
    return x if tuple(x._shape) == shape else C["reshape"](x, ints=shape)


def _normalize_axes(axis, ndims):
    """TF's build-time axis handling: a list of non-negative ints, validated."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis)
    for idx, x in enumerate(axis):
        if x < 0:
            axis[idx] = ndims + x
    for x in axis:
        if x < 0 or x >= ndims:
            raise ValueError(f"Invalid axis: {x}")
    if len(axis) != len(set(axis)):
        raise ValueError(f"Duplicate axis: {tuple(axis)}")
    return axis


def _check_axis_arg(axis):
    if isinstance(axis, (list, tuple)):
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError("Expected an int or a list/tuple of ints for the argument 'axis', but "
                    f"received: {axis!r}")


def _batch_normalization(x, mean, variance, offset, scale, epsilon):
    """tf.nn.batch_normalization: x * inv + (offset - mean * inv), inv = rsqrt(var + eps) * scale."""
    inv = C["rsqrt"](C["add"](variance, _s(variance, epsilon)))
    if scale is not None:
        inv = C["multiply"](inv, scale)
    shift = C["negative"](C["multiply"](mean, inv)) if offset is None else \
        C["subtract"](offset, C["multiply"](mean, inv))
    return C["add"](C["multiply"](x, inv), shift)


class BatchNormalization(Layer):
    """Normalise along `axis` with batch statistics while training (and update the moving
    mean/variance), with the moving statistics at inference; then scale by gamma and shift
    by beta.  Weights: gamma, beta (trainable), moving_mean, moving_variance (not)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 fused=None, trainable=True, virtual_batch_size=None, adjustment=None, name=None,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.axis = _check_axis_arg(axis)
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.virtual_batch_size = virtual_batch_size
        self.adjustment = adjustment
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) is not supported in minikeras")
        if virtual_batch_size is not None:
            raise NotImplementedError("BatchNormalization(virtual_batch_size=...) is not supported "
                                      "in minikeras")
        if adjustment is not None:
            raise NotImplementedError("BatchNormalization(adjustment=...) is not supported in "
                                      "minikeras")
        if fused:
            self._raise_if_fused_cannot_be_used()
        elif fused is None and not self._fused_can_be_used():
            fused = False
        self.fused = fused
        self.supports_masking = True

    # -- fused path selection (tf.keras 2.5 rules) ------------------------------------------
    def _raise_if_fused_cannot_be_used(self):
        axis = [self.axis] if isinstance(self.axis, int) else self.axis
        if len(axis) > 1 or axis[0] not in (-3, -1, 1, 3):
            raise ValueError("Passing `fused=True` is only supported when axis is 1 or 3")
        if self._compute_dtype_name not in ("float16", "bfloat16", "float32", None):
            raise ValueError("Passing `fused=True` is only supported when the compute dtype is "
                             f"float16, bfloat16, or float32. Got dtype: {self._compute_dtype_name}")

    def _fused_can_be_used(self):
        try:
            self._raise_if_fused_cannot_be_used()
            return True
        except ValueError:
            return False

    @property
    def _param_dtype(self):
        if self._dtype_name in ("float16", "bfloat16"):
            return "float32"
        return self._dtype_name or "float32"

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.rank is None:
            raise ValueError("Input has undefined rank.")
        ndims = input_shape.rank
        self.axis = _normalize_axes(self.axis, ndims)
        if self.fused is None:
            self.fused = ndims == 4
        elif self.fused and ndims != 4:
            raise ValueError("Batch normalization layers with fused=True only support 4D input "
                             f"tensors. Received tensor with shape: {tuple(input_shape.as_list())}")
        if self.fused:
            if self.axis == [1]:
                self._data_format = "NCHW"
            elif self.axis == [3]:
                self._data_format = "NHWC"
            else:
                raise ValueError("Unsupported axis, fused batch norm only supports axis == [1] or "
                                 "axis == [3]")
        axis_to_dim = {x: input_shape[x] for x in self.axis}
        for x in axis_to_dim:
            if axis_to_dim[x] is None:
                raise ValueError("Input has undefined `axis` dimension. Received input with shape "
                                 f"{tuple(input_shape.as_list())}. Axis value: {self.axis}")
        self.input_spec = InputSpec(ndim=ndims, axes=axis_to_dim)
        if len(axis_to_dim) == 1:
            param_shape = (list(axis_to_dim.values())[0],)
        else:
            param_shape = [axis_to_dim[i] if i in axis_to_dim else 1 for i in range(ndims)]
        dtype = self._param_dtype
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=param_shape, dtype=dtype,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True,
                                         experimental_autocast=False)
        else:
            self.gamma = None
        if self.center:
            self.beta = self.add_weight(name="beta", shape=param_shape, dtype=dtype,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True,
                                        experimental_autocast=False)
        else:
            self.beta = None
        self.moving_mean = self.add_weight(name="moving_mean", shape=param_shape, dtype=dtype,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, experimental_autocast=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=param_shape,
                                               dtype=dtype,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, experimental_autocast=False)
        self.built = True

    def _get_training_value(self, training=None):
        if training is None:
            training = backend.learning_phase()
        if isinstance(training, _core.TensorBase):
            training = bool(training)       # eager only; a traced call passes a Python bool
        training = bool(training)
        if not self.trainable:
            # a frozen layer runs in inference mode whatever the model passes (TF2)
            training = False
        return training

    def _assign_moving_average(self, variable, value, decay):
        """variable -= (variable - value) * (1 - momentum)  (an in-place assign op)."""
        var = variable._value
        value = _cast(value, var._dtype_id)
        if self.fused:
            # the FusedBatchNorm kernel's form: (1 - f) * old + f * new, f = 1 - momentum
            new = C["add"](C["multiply"](_s(var, 1.0 - decay), var), C["multiply"](_s(var, decay), value))
            variable.assign(new)
        else:
            variable.assign_sub(C["multiply"](C["subtract"](var, value), _s(var, decay)))

    def call(self, inputs, training=None):
        training = self._get_training_value(training)
        inputs_dtype = inputs._dtype_id
        x = inputs
        if _dt.ALL[inputs_dtype].name in ("float16", "bfloat16"):
            x = _cast(x, _dt.float32._id)
        ndims = x.ndim
        reduction_axes = [i for i in range(ndims) if i not in self.axis]
        # parameters broadcast against x: the last axis needs no reshape
        if len(self.axis) == 1:
            bshape = [1] * ndims
            bshape[self.axis[0]] = x._shape[self.axis[0]]
        else:
            bshape = [x._shape[i] if i in self.axis else 1 for i in range(ndims)]

        def _broadcast(v):
            if v is None:
                return None
            v = _cast(v, x._dtype_id)
            if len(self.axis) == 1 and self.axis[0] == ndims - 1:
                return v
            return _reshape(v, bshape)

        epsilon = max(self.epsilon, _FUSED_MIN_EPSILON) if self.fused else self.epsilon
        if self.fused and self.axis == [ndims - 1] and x._dtype_id == _dt.float32._id:
            return _cast(self._fused_call(x, training, epsilon), inputs_dtype)
        scale = _broadcast(self.gamma._value) if self.gamma is not None else None
        offset = _broadcast(self.beta._value) if self.beta is not None else None
        if training:
            mean, variance = _red.moments(x, reduction_axes, keepdims=True)
            if not _CTX.in_shape_inference:
                pshape = tuple(self.moving_mean._value._shape)
                # tf.keras makes `1 - momentum` a float32 tensor (then casts it to the
                # variable's dtype)
                decay = float(np.float32(1.0 - self.momentum))
                batch_var = variance
                if self.fused:
                    n = 1
                    for a in reduction_axes:
                        n *= x._shape[a]
                    if n > 1:   # FusedBatchNorm returns the unbiased variance for the moving average
                        batch_var = C["multiply"](variance, _s(variance, n / (n - 1.0)))
                m_upd = C["stop_gradient"](_reshape(mean, pshape))
                v_upd = C["stop_gradient"](_reshape(batch_var, pshape))
                self._assign_moving_average(self.moving_mean, m_upd, decay)
                self._assign_moving_average(self.moving_variance, v_upd, decay)
        else:
            mean = _broadcast(self.moving_mean._value)
            variance = _broadcast(self.moving_variance._value)
        outputs = _batch_normalization(x, mean, variance, offset, scale, epsilon)
        return _cast(outputs, inputs_dtype)

    def _fused_call(self, x, training, epsilon):
        """NHWC (channels-last, 4-D) float32: the fused C ops of csrc/kernels/norm.c
        (one op forward, one fused op backward); same results as the composed path."""
        nch = x._shape[-1]

        def _param(v, fill):
            if v is not None:
                return _cast(v._value, x._dtype_id)
            return _core.from_buffer(np.full((nch,), fill, np.float32))

        scale, offset = _param(self.gamma, 1.0), _param(self.beta, 0.0)
        if training:
            y, mean, var, _, _ = C["fused_batch_norm"](x, scale, offset, floats=(float(epsilon),))
            if not _CTX.in_shape_inference:
                decay = float(np.float32(1.0 - self.momentum))
                self._assign_moving_average(self.moving_mean, C["stop_gradient"](mean), decay)
                self._assign_moving_average(self.moving_variance, C["stop_gradient"](var), decay)
            return y
        mean = _cast(self.moving_mean._value, x._dtype_id)
        var = _cast(self.moving_variance._value, x._dtype_id)
        return C["fused_batch_norm_inference"](x, scale, offset, mean, var, floats=(float(epsilon),))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class LayerNormalization(Layer):
    """Normalise each sample over `axis` (mean and biased variance of that sample), then
    scale by gamma and shift by beta (both of the shape of the normalised axes)."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.axis = _check_axis_arg(axis)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self._fused = None

    def _fused_can_be_used(self, ndims):
        """tf.keras's choice: trailing contiguous axes, epsilon >= 1.001e-5, float32 weights."""
        axis = sorted(self.axis)
        can_use_fused = axis[-1] == ndims - 1 and axis[-1] - axis[0] == len(axis) - 1
        if self.epsilon < _FUSED_MIN_EPSILON or self.dtype != "float32":
            can_use_fused = False
        return can_use_fused

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if input_shape.rank is None:
            raise ValueError(f"Input shape {input_shape} has undefined rank.")
        ndims = input_shape.rank
        self.axis = _normalize_axes(self.axis, ndims)
        param_shape = [input_shape[dim] for dim in self.axis]
        if any(d is None for d in param_shape):
            raise ValueError(f"Input has undefined normalization dimension(s): input shape "
                             f"{tuple(input_shape.as_list())}, axis {self.axis}")
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=param_shape,
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True,
                                         experimental_autocast=False)
        else:
            self.gamma = None
        if self.center:
            self.beta = self.add_weight(name="beta", shape=param_shape,
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True,
                                        experimental_autocast=False)
        else:
            self.beta = None
        self._fused = self._fused_can_be_used(ndims)
        self.built = True

    def call(self, inputs):
        ndims = inputs.ndim
        input_dtype = inputs._dtype_id
        x = inputs
        if _dt.ALL[input_dtype].name in ("float16", "bfloat16") and self.dtype == "float32":
            x = _cast(x, _dt.float32._id)
        bshape = [1] * ndims
        for dim in self.axis:
            bshape[dim] = x._shape[dim]

        def _broadcast(v):
            if v is None:
                return None
            v = _cast(v._value, x._dtype_id)
            if v.ndim != ndims and self.axis != [ndims - 1]:
                return _reshape(v, bshape)
            return v

        scale, offset = _broadcast(self.gamma), _broadcast(self.beta)
        mean, variance = _red.moments(x, self.axis, keepdims=True)
        if self._fused:
            # tf.keras's fused form: normalise with unit scale, then * gamma + beta
            out = C["multiply"](C["subtract"](x, mean),
                                C["rsqrt"](C["add"](variance, _s(variance, self.epsilon))))
            if scale is not None:
                out = C["multiply"](out, scale)
            if offset is not None:
                out = C["add"](out, offset)
        else:
            out = _batch_normalization(x, mean, variance, offset, scale, self.epsilon)
        return _cast(out, input_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


__all__ = ["BatchNormalization", "LayerNormalization"]
