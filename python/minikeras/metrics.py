"""keras.metrics (tf.keras 2.5/2.6): stateful Metric objects that accumulate over calls
(update_state / result / reset_state), and the per-sample metric functions.

State lives in non-trainable tf.Variables updated with assign/assign_add, and
update_state never branches in Python on tensor values, so metrics update inside a
tf.function (fit's traced train step) as well as eagerly."""
import numpy as np

from . import losses as _losses
from . import tf
from .losses import (_backend, _backend_attr, _epsilon, _floatx, _t, _to_snake_case,  # noqa: F401
                     squeeze_or_expand_dimensions)
# loss functions re-exported as metric functions (as tf.keras.metrics)
from .losses import (BCE, KLD, MAE, MAPE, MSE, MSLE, bce, binary_crossentropy,  # noqa: F401
                     categorical_crossentropy, categorical_hinge, hinge, kl_divergence, kld,
                     kullback_leibler_divergence, log_cosh, logcosh, mae, mape,
                     mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                     mean_squared_logarithmic_error, mse, msle, poisson,
                     sparse_categorical_crossentropy, squared_hinge)

__all__ = [
    "Metric", "Reduce", "Mean", "Sum", "MeanMetricWrapper",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError",
    "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "CosineSimilarity",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "AUC", "Precision", "Recall", "TruePositives", "TrueNegatives", "FalsePositives",
    "FalseNegatives",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "cosine_similarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "kullback_leibler_divergence", "poisson", "log_cosh", "logcosh",
    "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE",
    "get", "serialize", "deserialize", "resolve_accuracy", "get_metric_object",
]

NEG_INF = -1e10


def _read(v):
    """A variable's current value as a tensor (reads the live buffer, also when traced)."""
    return tf.convert_to_tensor(v)

_local_uids = {}


def _unique_name(base):
    """Default metric names are made unique like layer names ('auc', 'auc_1', ...), through
    keras.backend when it offers unique_object_name (so clear_session resets them)."""
    f = getattr(_backend(), "unique_object_name", None)
    if f is not None:
        try:
            return f(base, zero_based=True)
        except TypeError:
            return f(base)
    n = _local_uids.get(base, 0)
    _local_uids[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


# ---- Metric base class ----------------------------------------------------------------------

class Metric:
    """Encapsulates metric logic and state: update_state(*args) accumulates, result()
    returns the current value, reset_state() zeroes the state; calling the metric does
    update_state then returns result()."""

    def __init__(self, name=None, dtype=None, **kwargs):
        self._name = name if name else _unique_name(_to_snake_case(type(self).__name__))
        self._dtype = tf.as_dtype(dtype or _floatx()).name
        self._variables = []
        self.stateful = True
        self.built = True
        self.trainable = False

    # -- properties
    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def variables(self):
        return list(self._variables)

    weights = variables
    non_trainable_weights = variables
    non_trainable_variables = variables

    @property
    def trainable_weights(self):
        return []

    trainable_variables = trainable_weights

    def add_weight(self, name, shape=(), aggregation=None, synchronization=None, initializer=None,
                   dtype=None):
        """A non-trainable state variable (zeros unless `initializer` says otherwise)."""
        dtype = tf.as_dtype(dtype or self._dtype)
        shape = tuple(int(s) for s in shape) if shape is not None else ()
        value = None
        if initializer is not None and not (isinstance(initializer, str) and initializer == "zeros"):
            if isinstance(initializer, str):
                if initializer == "ones":
                    value = np.ones(shape, dtype.as_numpy_dtype)
                else:
                    from . import initializers as _init
                    initializer = _init.get(initializer)
            if value is None:
                try:
                    value = initializer(shape, dtype=dtype)
                except TypeError:
                    value = initializer()(shape, dtype=dtype)
        if value is None:
            value = np.zeros(shape, dtype.as_numpy_dtype)
        v = tf.Variable(value, trainable=False, name=name, dtype=dtype)
        self._variables.append(v)
        return v

    # -- protocol
    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError("Must be implemented in subclasses.")

    def result(self):
        raise NotImplementedError("Must be implemented in subclasses.")

    def reset_state(self):
        """Zeroes every state variable."""
        if type(self).reset_states is not Metric.reset_states:   # old-style override
            return self.reset_states()
        for v in self._variables:
            v.assign(np.zeros(tuple(v.shape), v.dtype.as_numpy_dtype))

    def reset_states(self):
        return self.reset_state()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} name={self.name!r}>"


# ---- weighted sums and means ------------------------------------------------------------------

def _broadcast_weights(sample_weight, values):
    """sample_weight broadcast to values' shape, or None when tf.keras's
    broadcast_weights would refuse (then the caller reduces the values instead)."""
    ws, vs = tuple(sample_weight.shape), tuple(values.shape)
    if ws == vs:
        return sample_weight
    if len(ws) == 0 or (len(ws) == len(vs) and all(w in (1, v) for w, v in zip(ws, vs))):
        return tf.broadcast_to(sample_weight, vs)
    return None


class Reduce(Metric):
    """Accumulates a weighted sum (and count) of the values it is given."""

    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
    WEIGHTED_MEAN = "weighted_mean"

    def __init__(self, reduction, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.total = self.add_weight("total", initializer="zeros")
        if reduction in (self.SUM_OVER_BATCH_SIZE, self.WEIGHTED_MEAN):
            self.count = self.add_weight("count", initializer="zeros")

    def update_state(self, values, sample_weight=None):
        if isinstance(values, dict):
            raise RuntimeError(f"The output of a metric function can only be a single Tensor. "
                               f"Got: {values}. To return a dict of values, implement a custom "
                               f"Metric subclass.")
        try:
            values = tf.cast(values, self._dtype)
        except (ValueError, TypeError):
            raise RuntimeError(
                f"The output of a metric function can only be a single Tensor. Got: {values}")
        if sample_weight is not None:
            sample_weight = tf.cast(sample_weight, self._dtype)
            values, _, sample_weight = squeeze_or_expand_dimensions(values, sample_weight=sample_weight)
            bw = _broadcast_weights(sample_weight, values)
            if bw is None:
                ndim, wdim = values.ndim, sample_weight.ndim
                axes = list(range(wdim, ndim))
                if self.reduction == self.SUM:
                    values = tf.reduce_sum(values, axis=axes)
                else:
                    values = tf.reduce_mean(values, axis=axes)
            else:
                sample_weight = bw
            values = tf.multiply(values, sample_weight)
        self.total.assign_add(tf.reduce_sum(values))
        if self.reduction == self.SUM:
            return None
        if self.reduction == self.WEIGHTED_MEAN and sample_weight is not None:
            num_values = tf.reduce_sum(sample_weight)
        else:
            num_values = tf.constant(float(values._size), dtype=self._dtype)
        self.count.assign_add(num_values)
        return None

    def result(self):
        if self.reduction == self.SUM:
            return tf.identity(self.total)
        return tf.math.divide_no_nan(self.total, self.count)


class Sum(Reduce):
    """The (weighted) sum of the given values."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(reduction=Reduce.SUM, name=name, dtype=dtype)


class Mean(Reduce):
    """The (weighted) mean of the given values: Mean()([1, 3, 5, 7]) -> 4.0."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(reduction=Reduce.WEIGHTED_MEAN, name=name, dtype=dtype)


def _config_value(v):
    if tf.is_tensor(v):
        v = np.asarray(v)
        return v.item() if v.ndim == 0 else v.tolist()
    return v


class MeanMetricWrapper(Mean):
    """The running mean of fn(y_true, y_pred, **kwargs) (inputs cast to the metric dtype,
    squeezable last axes removed first)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, self._dtype)
        y_pred = tf.cast(y_pred, self._dtype)
        y_pred, y_true = squeeze_or_expand_dimensions(y_pred, y_true)
        matches = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(matches, sample_weight=sample_weight)

    def get_config(self):
        config = {}
        if type(self) is MeanMetricWrapper:
            config["fn"] = self._fn
        for k, v in self._fn_kwargs.items():
            config[k] = _config_value(v)
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is MeanMetricWrapper:
            return cls(get(fn), **config)
        return super().from_config(config)


# ---- metric functions ------------------------------------------------------------------------------

def accuracy(y_true, y_pred):
    """1.0 where y_pred == y_true exactly, else 0.0 (elementwise)."""
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"Shapes {tuple(y_pred.shape)} and {tuple(y_true.shape)} are incompatible")
    if y_true.dtype != y_pred.dtype:
        y_pred = tf.cast(y_pred, y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), _floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """mean over the last axis of (y_pred > threshold) == y_true."""
    y_pred = _t(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    y_pred = tf.cast(y_pred > float(np.asarray(threshold)), y_pred.dtype)
    return tf.reduce_mean(tf.cast(tf.equal(y_true, y_pred), _floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) == argmax(y_true) (one-hot labels), per sample."""
    return tf.cast(tf.equal(tf.argmax(y_true, axis=-1), tf.argmax(y_pred, axis=-1)), _floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) == y_true (integer labels, shape (N,) or (N, 1)), per sample."""
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    if y_true.ndim == y_pred.ndim:
        y_true = tf.squeeze(y_true, [-1])
    y_pred = tf.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = tf.cast(y_pred, y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), _floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target class is among the k largest predictions."""
    y_pred = _t(y_pred)
    return tf.cast(tf.math.in_top_k(tf.cast(tf.argmax(y_true, axis=-1), tf.int32), y_pred, k),
                   _floatx())


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer target is among the k largest predictions."""
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    if y_pred.ndim > 2:
        y_pred = tf.reshape(y_pred, [-1, y_pred.shape[-1]])
    if y_true.ndim > 1:
        y_true = tf.reshape(y_true, [-1])
    return tf.cast(tf.math.in_top_k(tf.cast(y_true, tf.int32), y_pred, k), _floatx())


def cosine_similarity(y_true, y_pred, axis=-1):
    """sum(l2_normalize(y_true) * l2_normalize(y_pred), axis) (the metric is not negated)."""
    y_true = tf.math.l2_normalize(_t(y_true), axis=axis)
    y_pred = tf.math.l2_normalize(_t(y_pred), axis=axis)
    return tf.reduce_sum(y_true * y_pred, axis=axis)


# ---- MeanMetricWrapper metrics --------------------------------------------------------------------

class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (accumulating over calls)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype=dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    def __init__(self, name="kullback_leibler_divergence", dtype=None):
        super().__init__(kl_divergence, name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)


class BinaryCrossentropy(MeanMetricWrapper):
    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(binary_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(categorical_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(sparse_categorical_crossentropy, name, dtype=dtype,
                         from_logits=from_logits, axis=axis)


class RootMeanSquaredError(Mean):
    """sqrt of the running (weighted) mean of (y_pred - y_true)**2."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, self._dtype)
        y_pred = tf.cast(y_pred, self._dtype)
        y_pred, y_true = squeeze_or_expand_dimensions(y_pred, y_true)
        error_sq = tf.math.squared_difference(y_pred, y_true)
        return super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return tf.sqrt(tf.math.divide_no_nan(self.total, self.count))


# ---- confusion-matrix metrics ----------------------------------------------------------------------

def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    if isinstance(thresholds, (list, tuple, np.ndarray)):
        th = [float(t) for t in np.asarray(thresholds).reshape(-1)]
    else:
        th = [float(thresholds)]
    for t in th:
        if not 0 <= t <= 1:
            raise ValueError(f"Threshold values must be in [0, 1]. Invalid values: {th}")
    return th


def _filter_top_k(x, k):
    """x where x is among its row's k largest (first index wins ties), else NEG_INF."""
    _, idx = tf.math.top_k(x, k, sorted=False)
    mask = tf.reduce_sum(tf.one_hot(idx, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def _confusion_update(variables, y_true, y_pred, thresholds, top_k=None, class_id=None,
                      sample_weight=None, multi_label=False, label_weights=None, evenly=False):
    """Adds this batch's weighted counts to variables {'tp','fp','tn','fn'} (any subset),
    each of shape (T,) or (T, labels) for multi_label: count of (label, y_pred > t)
    for every threshold t. A label counts as positive when nonzero.

    evenly=True (AUC's default thresholds -eps, 1/(T-1), ..., 1+eps): predictions are
    clipped to [0, 1] and bucketed with one segment sum and a reverse cumsum, O(N)
    instead of O(N*T) (tf.keras 2.6's optimised update)."""
    y_true = tf.cast(y_true, tf.float32)
    y_pred = tf.cast(y_pred, tf.float32)
    if sample_weight is None:
        y_pred, y_true = squeeze_or_expand_dimensions(y_pred, y_true)
    else:
        sample_weight = tf.cast(sample_weight, tf.float32)
        y_pred, y_true, sample_weight = squeeze_or_expand_dimensions(y_pred, y_true, sample_weight)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"Shapes {tuple(y_pred.shape)} and {tuple(y_true.shape)} are incompatible")
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true = y_true[..., class_id]
        y_pred = y_pred[..., class_id]
    shape = tuple(y_pred.shape)
    w = None
    if sample_weight is not None:
        w = tf.broadcast_to(sample_weight, shape) if tuple(sample_weight.shape) != shape else sample_weight
    if label_weights is not None and not multi_label:
        lw = tf.broadcast_to(tf.constant(np.asarray(label_weights, np.float32)), shape)
        w = lw if w is None else w * lw
    label = tf.cast(tf.not_equal(y_true, 0.), tf.float32)
    T = len(thresholds)
    if evenly:
        L = (shape[-1] if len(shape) > 1 else 1) if multi_label else 1
        y_pred = tf.reshape(tf.clip_by_value(y_pred, 0., 1.), [-1])
        label = tf.reshape(label, [-1])
        lw_pos = label if w is None else label * tf.reshape(w, [-1])
        lw_neg = (1. - label) if w is None else (1. - label) * tf.reshape(w, [-1])
        # p in (b/(T-1), (b+1)/(T-1)] is above thresholds 0..b: bucket b, then reverse cumsum
        bucket = tf.cast(tf.nn.relu(tf.math.ceil(y_pred * float(T - 1)) - 1.), tf.int32)
        if L > 1:
            bucket = bucket * L + tf.tile(tf.range(L, dtype=tf.int32), [y_pred.shape[0] // L])
        data = tf.stack([lw_pos, lw_neg], axis=1)                         # (M, 2)
        counts = tf.math.unsorted_segment_sum(data, bucket, T * L)       # (T*L, 2)
        if L > 1:
            counts = tf.reshape(counts, [T, L, 2])
        counts = tf.math.cumsum(counts, axis=0, reverse=True)
        tp, fp = counts[..., 0], counts[..., 1]
        if L > 1:
            tot_pos = tf.reduce_sum(tf.reshape(lw_pos, [-1, L]), axis=0)
            tot_neg = tf.reduce_sum(tf.reshape(lw_neg, [-1, L]), axis=0)
        else:
            tot_pos = tf.reduce_sum(lw_pos)
            tot_neg = tf.reduce_sum(lw_neg)
    elif multi_label:
        thr = tf.constant(np.asarray(thresholds, np.float32))
        L = shape[-1] if len(shape) > 1 else 1
        y_pred = tf.reshape(y_pred, [-1, L])
        label = tf.reshape(label, [-1, L])
        if w is not None:
            w = tf.reshape(w, [-1, L])
        pos = tf.cast(tf.reshape(y_pred, [1, -1, L]) > tf.reshape(thr, [T, 1, 1]), tf.float32)
        lw_pos = label if w is None else label * w          # (N, L)
        lw_neg = (1. - label) if w is None else (1. - label) * w
        tp = tf.reduce_sum(pos * lw_pos, axis=1)           # (T, L)
        fp = tf.reduce_sum(pos * lw_neg, axis=1)
        tot_pos = tf.reduce_sum(lw_pos, axis=0)
        tot_neg = tf.reduce_sum(lw_neg, axis=0)
    else:
        thr = tf.constant(np.asarray(thresholds, np.float32))
        y_pred = tf.reshape(y_pred, [-1])
        label = tf.reshape(label, [-1])
        if w is not None:
            w = tf.reshape(w, [-1])
        pos = tf.cast(tf.reshape(y_pred, [1, -1]) > tf.reshape(thr, [T, 1]), tf.float32)  # (T, M)
        lw_pos = label if w is None else label * w
        lw_neg = (1. - label) if w is None else (1. - label) * w
        both = tf.matmul(pos, tf.stack([lw_pos, lw_neg], axis=1))       # (T, 2)
        tp, fp = both[:, 0], both[:, 1]
        tot_pos = tf.reduce_sum(lw_pos)
        tot_neg = tf.reduce_sum(lw_neg)
    if "tp" in variables:
        variables["tp"].assign_add(tp)
    if "fp" in variables:
        variables["fp"].assign_add(fp)
    if "fn" in variables:
        variables["fn"].assign_add(tot_pos - tp)
    if "tn" in variables:
        variables["tn"].assign_add(tot_neg - fp)


def _evenly_spaced(thresholds, num_thresholds):
    """True when the inner thresholds are exactly i/(num_thresholds-1), i = 1..n-2."""
    n = num_thresholds
    return len(thresholds) == n - 2 and all(
        abs(t - (i + 1) / (n - 1)) < 1e-12 for i, t in enumerate(thresholds))


class _ConfusionMatrixConditionCount(Metric):
    """Counts one cell of the confusion matrix (TruePositives, ... ) per threshold."""

    _cell = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self.accumulator = self.add_weight("accumulator", shape=(len(self.thresholds),),
                                           initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        _confusion_update({self._cell: self.accumulator}, y_true, y_pred, self.thresholds,
                          sample_weight=sample_weight)

    def result(self):
        if len(self.thresholds) == 1:
            return tf.identity(self.accumulator[0])
        return tf.identity(self.accumulator)

    def get_config(self):
        config = {"thresholds": self.init_thresholds}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class TruePositives(_ConfusionMatrixConditionCount):
    _cell = "tp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    _cell = "tn"


class FalsePositives(_ConfusionMatrixConditionCount):
    _cell = "fp"


class FalseNegatives(_ConfusionMatrixConditionCount):
    _cell = "fn"


class _RatioAtThresholds(Metric):
    """tp / (tp + other) at each threshold (thresholds=None: 0.5, or NEG_INF with top_k);
    `other` is false positives (Precision) or false negatives (Recall)."""

    _other = None   # "fp" or "fn"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default)
        n = len(self.thresholds)
        self.true_positives = self.add_weight("true_positives", shape=(n,), initializer="zeros")
        other_name = "false_positives" if self._other == "fp" else "false_negatives"
        setattr(self, other_name, self.add_weight(other_name, shape=(n,), initializer="zeros"))
        self._other_var = getattr(self, other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        _confusion_update({"tp": self.true_positives, self._other: self._other_var}, y_true,
                          y_pred, self.thresholds, top_k=self.top_k, class_id=self.class_id,
                          sample_weight=sample_weight)

    def result(self):
        tp = _read(self.true_positives)
        r = tf.math.divide_no_nan(tp, tp + _read(self._other_var))
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self):
        config = {"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id}
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


class Precision(_RatioAtThresholds):
    """true_positives / (true_positives + false_positives) at each threshold."""

    _other = "fp"


class Recall(_RatioAtThresholds):
    """true_positives / (true_positives + false_negatives) at each threshold."""

    _other = "fn"


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at num_thresholds thresholds
    (0 - eps, 1/(n-1), ..., 1 + eps); summation 'interpolation' (trapezoid; PR uses the
    Davis & Goadrich interpolation), 'minoring' or 'majoring'."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None):
        curve_u = str(curve).upper()
        if curve_u not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value "{curve}".')
        sm = str(summation_method).lower()
        if sm not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid AUC summation method value "{summation_method}".')
        self.curve = curve_u
        self.summation_method = sm
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(float(t) for t in thresholds)
            if any(not 0 <= t <= 1 for t in thresholds):
                raise ValueError(f"Threshold values must be in [0, 1]. Invalid values: {thresholds}")
        else:
            if num_thresholds <= 1:
                raise ValueError("`num_thresholds` must be > 1.")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._evenly = _evenly_spaced(thresholds, self.num_thresholds)
        eps = _epsilon()
        self.thresholds = [0.0 - eps] + list(thresholds) + [1.0 + eps]
        self.multi_label = bool(multi_label)
        if label_weights is not None:
            label_weights = np.asarray(label_weights, np.float32)
            if np.any(label_weights < 0):
                raise ValueError("All values of `label_weights` must be non-negative.")
        self.label_weights = label_weights
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build(int(num_labels))
        else:
            self._build(None)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        self.true_positives = self.add_weight("true_positives", shape=shape, initializer="zeros")
        self.true_negatives = self.add_weight("true_negatives", shape=shape, initializer="zeros")
        self.false_positives = self.add_weight("false_positives", shape=shape, initializer="zeros")
        self.false_negatives = self.add_weight("false_negatives", shape=shape, initializer="zeros")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._built:
            shape = tuple(_t(y_pred).shape)
            self._build(shape[-1] if len(shape) > 1 else 1)
        _confusion_update({"tp": self.true_positives, "tn": self.true_negatives,
                           "fp": self.false_positives, "fn": self.false_negatives},
                          y_true, y_pred, self.thresholds, sample_weight=sample_weight,
                          multi_label=self.multi_label,
                          label_weights=None if self.multi_label else self.label_weights,
                          evenly=self._evenly)

    def _by_label_mean(self, by_label):
        if not self.multi_label:
            return tf.reduce_sum(by_label)
        per_label = tf.reduce_sum(by_label, axis=0)
        if self.label_weights is None:
            return tf.reduce_mean(per_label)
        lw = tf.constant(self.label_weights)
        return tf.math.divide_no_nan(tf.reduce_sum(per_label * lw), tf.reduce_sum(lw))

    def interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = _read(self.true_positives), _read(self.false_positives), _read(self.false_negatives)
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        prec_slope = tf.math.divide_no_nan(dtp, tf.maximum(dp, 0.))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = tf.where(
            tf.logical_and(p[:n - 1] > 0., p[1:] > 0.),
            tf.math.divide_no_nan(p[:n - 1], tf.maximum(p[1:], 0.)),
            tf.ones_like(p[1:]))
        pr_auc_increment = tf.math.divide_no_nan(
            prec_slope * (dtp + intercept * tf.math.log(safe_p_ratio)),
            tf.maximum(tp[1:] + fn[1:], 0.))
        return self._by_label_mean(pr_auc_increment)

    def result(self):
        if not self._built:
            return tf.constant(0.0, dtype=self._dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp, tn, fn = (_read(self.true_positives), _read(self.false_positives),
                          _read(self.true_negatives), _read(self.false_negatives))
        recall = tf.math.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x = tf.math.divide_no_nan(fp, fp + tn)
            y = recall
        else:
            x = recall
            y = tf.math.divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.
        elif self.summation_method == "minoring":
            heights = tf.minimum(y[:n - 1], y[1:])
        else:
            heights = tf.maximum(y[:n - 1], y[1:])
        return self._by_label_mean((x[:n - 1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            for v in self._variables:
                v.assign(np.zeros(tuple(v.shape), np.float32))

    def get_config(self):
        lw = self.label_weights
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "thresholds": self.thresholds[1:-1],
            "multi_label": self.multi_label,
            "label_weights": None if lw is None else lw.tolist(),
        }
        if self.multi_label:
            config["num_labels"] = self._num_labels if self._built else None
        base = super().get_config()
        return dict(list(base.items()) + list(config.items()))


# ---- 'accuracy' / 'crossentropy' resolution (used by compile) --------------------------------------

def _as_dims(shape):
    if shape is None:
        return None
    if hasattr(shape, "as_list"):
        return shape.as_list()
    if hasattr(shape, "shape") and not isinstance(shape, (tuple, list)):
        return list(_t(shape).shape) if not hasattr(shape.shape, "as_list") else shape.shape.as_list()
    return list(shape)


def resolve_accuracy(name, y_true_shape, y_pred_shape):
    """The metric function that tf.keras's compile picks for 'accuracy'/'acc' (or
    'crossentropy'/'ce') given the target and output shapes: y_pred's last dim 1 -> binary;
    rank(y_true) < rank(y_pred), or y_true's last dim 1 while y_pred's is > 1 -> sparse
    categorical; else categorical. Other names: keras.metrics.get(name)."""
    if name not in ("accuracy", "acc", "crossentropy", "ce"):
        return get(name)
    yt, yp = _as_dims(y_true_shape), _as_dims(y_pred_shape)
    y_t_rank, y_p_rank = len(yt), len(yp)
    y_t_last = yt[-1] if yt else None
    y_p_last = yp[-1] if yp else None
    is_binary = y_p_last == 1
    is_sparse = (y_t_rank < y_p_rank or
                 (y_t_last == 1 and y_p_last is not None and y_p_last > 1))
    if name in ("accuracy", "acc"):
        if is_binary:
            return binary_accuracy
        if is_sparse:
            return sparse_categorical_accuracy
        return categorical_accuracy
    if is_binary:
        return binary_crossentropy
    if is_sparse:
        return sparse_categorical_crossentropy
    return categorical_crossentropy


def _custom_object_name(obj):
    if hasattr(obj, "name") and isinstance(getattr(obj, "name"), str):
        return obj.name
    if hasattr(obj, "__name__"):
        return obj.__name__
    if hasattr(obj, "__class__"):
        return _to_snake_case(type(obj).__name__)
    return None


def get_metric_object(metric, y_true_shape=None, y_pred_shape=None):
    """What compile makes of one entry of `metrics=`: a Metric as given; a string
    ('accuracy' resolved from shapes, else keras.metrics.get) or a callable wrapped in
    MeanMetricWrapper named by the string as given (or the function's name)."""
    if metric is None:
        return None
    if isinstance(metric, str) and metric in ("accuracy", "acc", "crossentropy", "ce"):
        obj = resolve_accuracy(metric, y_true_shape, y_pred_shape)
    else:
        obj = get(metric)
    if isinstance(obj, _losses.Loss):
        obj._allow_sum_over_batch_size = True
    if isinstance(obj, Metric):
        return obj
    if isinstance(metric, str):
        name = metric
    else:
        name = _custom_object_name(metric)
        if name is None:
            raise ValueError(f"Metric should be a callable, found: {metric}")
    return MeanMetricWrapper(obj, name=name)


# ---- get / serialize / deserialize ------------------------------------------------------------------

def serialize(metric):
    return _losses._serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    return _losses._deserialize_keras_object(config, module_objects=globals(),
                                             custom_objects=custom_objects,
                                             printable_module_name="metric function")


def get(identifier):
    """A metric from a name ('accuracy' is the exact-equality function here; compile
    resolves it by shape), a config dict, or a callable (returned as is)."""
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize(str(identifier))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric function identifier: {identifier}")
