"""keras.losses (tf.keras 2.5/2.6): loss functions (one value per sample: mean over the
last axis) and Loss classes (reduced with the Reduction rule, 'auto' = sum over batch size).

Everything is composed from `minikeras.tf` functions, so losses are differentiable and
run inside tf.function; the from_logits crossentropies use the fused C softmax-xent ops."""
import re

import numpy as np

from . import tf

__all__ = [
    "Loss", "LossFunctionWrapper", "Reduction", "ReductionV2",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "Huber", "LogCosh", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "CosineSimilarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "huber", "log_cosh", "hinge", "squared_hinge",
    "categorical_hinge", "kl_divergence", "kullback_leibler_divergence", "poisson",
    "cosine_similarity",
    "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE",
    "logcosh", "huber_loss",
    "get", "serialize", "deserialize",
]


# ---- backend defaults (the backend module may override epsilon / floatx) -------------

_backend_module = []


def _backend():
    """keras.backend if it exists (looked up once), else None."""
    if not _backend_module:
        try:
            from . import backend as _b
        except ImportError:
            _b = None
        _backend_module.append(_b)
    return _backend_module[0]


def _backend_attr(name, default):
    f = getattr(_backend(), name, None)
    return f() if callable(f) else default


def _epsilon():
    return _backend_attr("epsilon", 1e-7)


def _floatx():
    return _backend_attr("floatx", "float32")


# ---- small helpers ----------------------------------------------------------------------

def _t(x):
    return x if isinstance(x, tf.Tensor) else tf.convert_to_tensor(x)


def _cast_like(x, ref):
    """x as a tensor of ref's dtype (tf.cast(y_true, y_pred.dtype))."""
    return tf.cast(x, ref.dtype)


def _is_tensor(x):
    return tf.is_tensor(x)


def _remove_squeezable_dimensions(labels, predictions, expected_rank_diff=0):
    """Squeeze the last axis of labels or predictions when their ranks differ by one
    and that axis has size 1 (tf.keras losses_utils.remove_squeezable_dimensions)."""
    pr, lr = predictions.ndim, labels.ndim
    diff = pr - lr
    if diff == expected_rank_diff + 1 and predictions.shape[-1] in (1, None):
        predictions = tf.squeeze(predictions, [-1])
    elif diff == expected_rank_diff - 1 and labels.shape[-1] in (1, None):
        labels = tf.squeeze(labels, [-1])
    return labels, predictions


def squeeze_or_expand_dimensions(y_pred, y_true=None, sample_weight=None):
    """tf.keras losses_utils.squeeze_or_expand_dimensions (static shapes)."""
    y_pred = _t(y_pred)
    if y_true is not None:
        y_true = _t(y_true)
        if (y_pred.ndim - y_true.ndim != 1) or (y_pred.ndim and y_pred.shape[-1] == 1):
            y_true, y_pred = _remove_squeezable_dimensions(y_true, y_pred)
    if sample_weight is None:
        return y_pred, y_true
    sample_weight = _t(sample_weight)
    wr = sample_weight.ndim
    if wr == 0:
        return y_pred, y_true, sample_weight
    if wr - y_pred.ndim == 1:
        sample_weight = tf.squeeze(sample_weight, [-1])
    elif y_pred.ndim - wr == 1:
        sample_weight = tf.expand_dims(sample_weight, -1)
    return y_pred, y_true, sample_weight


# ---- Reduction ------------------------------------------------------------------------

class ReductionV2:
    """Types of loss reduction (keras.losses.Reduction)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError("Invalid Reduction Key %s." % (key,))


Reduction = ReductionV2


def _reduce_weighted_loss(weighted_losses, reduction):
    if reduction == ReductionV2.NONE:
        return weighted_losses
    if reduction == ReductionV2.SUM:
        return tf.reduce_sum(weighted_losses)
    # sum over batch size: sum / number of elements (0 when there are none)
    if weighted_losses._size == 0:
        return tf.zeros((), weighted_losses.dtype)
    return tf.reduce_mean(weighted_losses)


def compute_weighted_loss(losses, sample_weight=None, reduction=ReductionV2.SUM_OVER_BATCH_SIZE,
                          name=None):
    """Weights the per-sample losses and reduces them (computed in float32 and cast back
    to the losses' dtype, as tf.keras does)."""
    ReductionV2.validate(reduction)
    if reduction == ReductionV2.AUTO:
        reduction = ReductionV2.SUM_OVER_BATCH_SIZE
    losses = _t(losses)
    input_dtype = losses.dtype
    if input_dtype != tf.float32:
        losses = tf.cast(losses, tf.float32)
    if sample_weight is not None:
        sample_weight = tf.cast(sample_weight, tf.float32)
        losses, _, sample_weight = squeeze_or_expand_dimensions(losses, None, sample_weight)
        losses = tf.multiply(losses, sample_weight)
    loss = _reduce_weighted_loss(losses, reduction)
    if input_dtype != tf.float32:
        loss = tf.cast(loss, input_dtype)
    return loss


# ---- Loss base classes ------------------------------------------------------------------

def _to_snake_case(name):
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


class Loss:
    """Loss base class: subclasses implement call(y_true, y_pred) returning per-sample
    losses; __call__ weights them with sample_weight and applies the reduction."""

    def __init__(self, reduction=ReductionV2.AUTO, name=None):
        ReductionV2.validate(reduction)
        self.reduction = reduction
        self.name = name
        self._allow_sum_over_batch_size = False
        self._name_scope = name or _to_snake_case(type(self).__name__).strip("_")

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        return compute_weighted_loss(losses, sample_weight, reduction=self._get_reduction())

    def call(self, y_true, y_pred):
        raise NotImplementedError("Must be implemented in subclasses.")

    def _get_reduction(self):
        if self.reduction == ReductionV2.AUTO:
            return ReductionV2.SUM_OVER_BATCH_SIZE
        return self.reduction

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _config_value(v):
    if tf.is_tensor(v):
        v = np.asarray(v)
        return v.item() if v.ndim == 0 else v.tolist()
    return v


class LossFunctionWrapper(Loss):
    """Wraps a per-sample loss function `fn(y_true, y_pred, **kwargs)` into a Loss."""

    def __init__(self, fn, reduction=ReductionV2.AUTO, name=None, **kwargs):
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if _is_tensor(y_pred) and _is_tensor(y_true):
            y_pred, y_true = squeeze_or_expand_dimensions(y_pred, y_true)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = {k: _config_value(v) for k, v in self._fn_kwargs.items()}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- loss functions (one value per sample) --------------------------------------------------

def _pred_true(y_true, y_pred):
    y_pred = _t(y_pred)
    return _cast_like(y_true, y_pred), y_pred


def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true)**2, axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    return tf.reduce_mean(tf.math.squared_difference(y_pred, y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|, axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|(y_true - y_pred) / max(|y_true|, epsilon)|, axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), _epsilon()))
    return 100. * tf.reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    eps = _epsilon()
    first_log = tf.math.log(tf.maximum(y_pred, eps) + 1.)
    second_log = tf.math.log(tf.maximum(y_true, eps) + 1.)
    return tf.reduce_mean(tf.math.squared_difference(first_log, second_log), axis=-1)


def _maybe_convert_labels(y_true):
    """Binary 0/1 labels become -1/1; other labels are left alone (no Python branch on
    values, so it traces)."""
    is_binary = tf.reduce_all(tf.logical_or(tf.equal(y_true, 0), tf.equal(y_true, 1)))
    return tf.where(is_binary, 2. * y_true - 1., y_true)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)**2, axis=-1); 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return tf.reduce_mean(tf.square(tf.maximum(1. - y_true * y_pred, 0.)), axis=-1)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), axis=-1); 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return tf.reduce_mean(tf.maximum(1. - y_true * y_pred, 0.), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1. - y_true) * y_pred, axis=-1)
    return tf.maximum(neg - pos + 1., 0.)


def huber(y_true, y_pred, delta=1.0):
    """mean over the last axis of 0.5*e**2 where |e| <= delta, else
    0.5*delta**2 + delta*(|e| - delta), e = y_pred - y_true (computed in floatx)."""
    fx = _floatx()
    y_pred = tf.cast(y_pred, fx)
    y_true = tf.cast(y_true, fx)
    delta = float(np.asarray(delta))
    error = y_pred - y_true
    abs_error = tf.abs(error)
    return tf.reduce_mean(
        tf.where(abs_error <= delta, 0.5 * tf.square(error),
                 0.5 * delta * delta + delta * (abs_error - delta)),
        axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), as x + softplus(-2x) - log(2)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    x = y_pred - y_true
    return tf.reduce_mean(x + tf.math.softplus(-2. * x) - float(np.log(2.)), axis=-1)


def _smooth(y_true, label_smoothing, num_classes):
    ls = float(np.asarray(label_smoothing))
    if not ls:
        return y_true
    return y_true * (1.0 - ls) + (ls / num_classes)


def _keras_logits(output):
    return getattr(output, "_keras_logits", None)


def _categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """keras.backend.categorical_crossentropy."""
    if target.shape != output.shape:
        raise ValueError(f"Shapes {tuple(target.shape)} and {tuple(output.shape)} are incompatible")
    logits = _keras_logits(output)
    if logits is not None:
        output, from_logits = logits, True
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / tf.reduce_sum(output, axis, True)
    eps = _epsilon()
    output = tf.clip_by_value(output, eps, 1. - eps)
    return -tf.reduce_sum(target * tf.math.log(output), axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0, axis=-1):
    """-sum(y_true * log(y_pred), axis) per sample; y_true one-hot (or soft) labels.
    Probabilities are renormalised and clipped to [eps, 1 - eps]; from_logits=True uses
    the fused softmax cross-entropy."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    if float(np.asarray(label_smoothing)):
        y_true = _smooth(y_true, label_smoothing, float(y_true.shape[axis]))
    return _categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """keras.backend.sparse_categorical_crossentropy."""
    target = _t(target)
    output = _t(output)
    logits = _keras_logits(output)
    if logits is not None:
        output, from_logits = logits, True
    elif not from_logits:
        eps = _epsilon()
        output = tf.math.log(tf.clip_by_value(output, eps, 1 - eps))
    output_rank = output.ndim
    axis %= output_rank
    if axis != output_rank - 1:
        perm = list(range(axis)) + list(range(axis + 1, output_rank)) + [axis]
        output = tf.transpose(output, perm=perm)
    if not target.dtype.is_integer:
        target = tf.cast(target, tf.int64)
    elif target.dtype not in (tf.int32, tf.int64):
        target = tf.cast(target, tf.int64)
    output_shape = tuple(output.shape)
    update_shape = target.ndim != output_rank - 1
    if update_shape:
        target = tf.reshape(target, [-1])
        output = tf.reshape(output, [-1, output_shape[-1]])
    res = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)
    if update_shape and output_rank >= 3:
        return tf.reshape(res, output_shape[:-1])
    return res


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """-log(y_pred[y_true]) per sample; y_true integer class ids (int or float, shape
    (N,) or (N, 1)). from_logits=True uses the fused sparse softmax cross-entropy."""
    y_pred = _t(y_pred)
    return _sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _binary_crossentropy(target, output, from_logits=False):
    """keras.backend.binary_crossentropy (elementwise)."""
    logits = _keras_logits(output)
    if logits is not None:
        output, from_logits = logits, True
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _epsilon()
    output = tf.clip_by_value(output, eps, 1. - eps)
    bce = target * tf.math.log(output + eps)
    bce = bce + (1 - target) * tf.math.log(1 - output + eps)
    return -bce


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0, axis=-1):
    """mean(-y log p - (1 - y) log(1 - p), axis) per sample (p clipped to [eps, 1 - eps];
    from_logits=True uses the stable sigmoid cross-entropy)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    ls = float(np.asarray(label_smoothing))
    if ls:
        y_true = y_true * (1.0 - ls) + 0.5 * ls
    return tf.reduce_mean(_binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [eps, 1]."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    eps = _epsilon()
    y_true = tf.clip_by_value(y_true, eps, 1)
    y_pred = tf.clip_by_value(y_pred, eps, 1)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + eps), axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + _epsilon()), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for equal directions."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    y_true = tf.math.l2_normalize(y_true, axis=axis)
    y_pred = tf.math.l2_normalize(y_pred, axis=axis)
    return -tf.reduce_sum(y_true * y_pred, axis=axis)


# aliases, as tf.keras.losses
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh
huber_loss = huber
cosine_proximity = cosine_similarity


# ---- Loss classes -------------------------------------------------------------------------

class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="mean_squared_error"):
        super().__init__(mean_squared_error, name=name, reduction=reduction)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="mean_absolute_error"):
        super().__init__(mean_absolute_error, name=name, reduction=reduction)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0, axis=-1,
                 reduction=ReductionV2.AUTO, name="binary_crossentropy"):
        super().__init__(binary_crossentropy, name=name, reduction=reduction,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0, axis=-1,
                 reduction=ReductionV2.AUTO, name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, reduction=ReductionV2.AUTO,
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         from_logits=from_logits)


class Hinge(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="hinge"):
        super().__init__(hinge, name=name, reduction=reduction)


class SquaredHinge(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="squared_hinge"):
        super().__init__(squared_hinge, name=name, reduction=reduction)


class CategoricalHinge(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="categorical_hinge"):
        super().__init__(categorical_hinge, name=name, reduction=reduction)


class Poisson(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="poisson"):
        super().__init__(poisson, name=name, reduction=reduction)


class LogCosh(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="log_cosh"):
        super().__init__(log_cosh, name=name, reduction=reduction)


class KLDivergence(LossFunctionWrapper):
    def __init__(self, reduction=ReductionV2.AUTO, name="kl_divergence"):
        super().__init__(kl_divergence, name=name, reduction=reduction)


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, reduction=ReductionV2.AUTO, name="huber_loss"):
        super().__init__(huber, name=name, reduction=reduction, delta=delta)


class CosineSimilarity(LossFunctionWrapper):
    def __init__(self, axis=-1, reduction=ReductionV2.AUTO, name="cosine_similarity"):
        super().__init__(cosine_similarity, name=name, reduction=reduction, axis=axis)


# ---- get / serialize / deserialize ---------------------------------------------------------

def _serialize_keras_object(instance):
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": type(instance).__name__, "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return instance.__name__
    raise ValueError("Cannot serialize", instance)


def _global_custom_objects():
    """Objects registered with custom_object_scope / register_keras_serializable."""
    from .layers.base import get_custom_objects
    return get_custom_objects()


def _deserialize_keras_object(identifier, module_objects, custom_objects=None,
                              printable_module_name="object"):
    custom_objects = custom_objects or {}
    globals_ = _global_custom_objects()
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError("Improper config format: " + str(identifier))
        class_name = identifier["class_name"]
        cls = custom_objects.get(class_name) or globals_.get(class_name) or module_objects.get(class_name)
        if cls is None:
            raise ValueError("Unknown " + printable_module_name + ": " + class_name)
        config = identifier["config"]
        if hasattr(cls, "from_config"):
            return cls.from_config(dict(config))
        return cls(**config)
    if isinstance(identifier, str):
        obj = custom_objects.get(identifier)
        if obj is None:
            obj = globals_.get(identifier)
        if obj is None:
            obj = module_objects.get(identifier)
        if obj is None:
            raise ValueError("Unknown " + printable_module_name + ": " + identifier)
        if isinstance(obj, type):
            return obj()
        return obj
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret serialized " + printable_module_name + ": " + str(identifier))


def serialize(loss):
    """A Loss instance -> {'class_name', 'config'}; a function -> its name."""
    return _serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    return _deserialize_keras_object(name, module_objects=globals(), custom_objects=custom_objects,
                                     printable_module_name="loss function")


def get(identifier):
    """A loss from a name ('mse', 'categorical_crossentropy', 'MeanSquaredError'), a config
    dict, or a callable (returned as is)."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return deserialize(str(identifier))
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss function identifier: {identifier}")
