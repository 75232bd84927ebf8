"""What `compile` makes of loss= / metrics= (tf.keras 2.5 compile_utils):

LossesContainer (model.compiled_loss): callable(y_true, y_pred, sample_weight=None,
regularization_losses=None) -> the total loss (a scalar tensor); it tracks the running
mean of that total in a Mean named 'loss' (and one '<output>_loss' Mean per output when
the model has several), each weighted by the batch size.

MetricsContainer (model.compiled_metrics): update_state(y_true, y_pred, sample_weight=None),
metrics, reset_state().  Metric objects are made at the first update, when the shapes of
y_true / y_pred are known ('accuracy' / 'acc' is resolved from them).  `metrics` are not
weighted by sample_weight, `weighted_metrics` are.

Both accept a single spec (broadcast to every output), a list (by position) or a dict (by
output name); both are built inside the traced train step under init_scope, so their
state variables are created eagerly."""
import contextlib

from .. import losses as losses_mod
from .. import metrics as metrics_mod
from .. import tf

__all__ = ["LossesContainer", "MetricsContainer", "init_scope", "flatten", "map_structure",
           "pack_like", "match_dtype_and_rank"]


@contextlib.contextmanager
def init_scope():
    """Step out of every tf.function trace in progress (as tf.init_scope): ops and
    variables created here run eagerly and are not recorded."""
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


# ---- nested structures (tuples, lists, dicts; dict keys in sorted order as tf.nest) --------

def _is_nested(x):
    return isinstance(x, (list, tuple, dict))


def flatten(x):
    if isinstance(x, dict):
        out = []
        for k in sorted(x, key=_sort_key):
            out.extend(flatten(x[k]))
        return out
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(flatten(v))
        return out
    return [x]


def _sort_key(k):
    return (str(type(k)), k) if not isinstance(k, str) else ("", k)


def map_structure(fn, x):
    if isinstance(x, dict):
        return type(x)((k, map_structure(fn, x[k])) for k in x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[map_structure(fn, v) for v in x])
    if isinstance(x, (list, tuple)):
        return type(x)(map_structure(fn, v) for v in x)
    return fn(x)


def pack_like(structure, flat):
    """Rebuild `structure` with the leaves of `flat` (in flatten order)."""
    it = iter(flat)

    def rec(s):
        if isinstance(s, dict):
            vals = {k: rec(s[k]) for k in sorted(s, key=_sort_key)}
            return type(s)((k, vals[k]) for k in s)
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*[rec(v) for v in s])
        if isinstance(s, (list, tuple)):
            return type(s)(rec(v) for v in s)
        return next(it)
    return rec(structure)


def _output_names_for(model_output_names, y_pred):
    """One name per flattened output."""
    flat = flatten(y_pred)
    if isinstance(y_pred, dict):
        return [k for k in sorted(y_pred, key=_sort_key)]
    if model_output_names and len(model_output_names) == len(flat):
        return list(model_output_names)
    if len(flat) == 1:
        return list(model_output_names or ["output_1"])[:1]
    return ["output_%d" % (i + 1) for i in range(len(flat))]


def _map_to_outputs(spec, output_names, what):
    """spec (dict keyed by output name, or list/tuple by position) -> list per output."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"Found unexpected keys that do not correspond to any Model output: "
                             f"{unknown}. Expected: {output_names}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(f"When passing a list as `{what}`, it should have one entry per model "
                             f"output. The model has {n} outputs, but you passed {what}={spec}")
        return list(spec)
    return [spec] * n


def _flat_targets(y_true, y_pred_flat, output_names):
    """y_true as a list aligned with the flattened outputs."""
    n = len(y_pred_flat)
    if y_true is None:
        return [None] * n
    if isinstance(y_true, dict):
        if all(name in y_true for name in output_names):
            return [y_true[name] for name in output_names]
        return flatten(y_true)
    if isinstance(y_true, (list, tuple)):
        flat = flatten(y_true)
        if n == 1 and len(flat) == 1:
            return flat
        if len(flat) != n:
            if n == 1:
                return [y_true]
            raise ValueError(f"The model has {n} outputs, but {len(flat)} targets were given.")
        return flat
    if n != 1:
        raise ValueError(f"The model has {n} outputs, but a single target was given; pass a list "
                         f"or a dict of targets.")
    return [y_true]


def _flat_weights(sample_weight, n, output_names):
    if sample_weight is None:
        return [None] * n
    if isinstance(sample_weight, dict):
        return [sample_weight.get(name) for name in output_names]
    if isinstance(sample_weight, (list, tuple)) and n > 1:
        return list(sample_weight) + [None] * (n - len(sample_weight))
    return [sample_weight] * n


def _to_tensor(x):
    return x if x is None or tf.is_tensor(x) else tf.convert_to_tensor(x)


def match_dtype_and_rank(y_t, y_p, sw):
    """tf.keras: integer/float targets are compared against float predictions as given;
    only convert to tensors here."""
    return _to_tensor(y_t), _to_tensor(y_p), _to_tensor(sw)


def _batch_dim(y_t, y_p):
    ref = y_t if y_t is not None and y_t.ndim else y_p
    if ref is None or not ref.ndim:
        return 1
    return int(ref.shape[0])


# ---- losses ------------------------------------------------------------------------------------

def _get_loss_object(loss):
    if loss is None:
        return None
    loss = losses_mod.get(loss)
    if not isinstance(loss, losses_mod.Loss):
        name = getattr(loss, "__name__", None)
        if name is None:
            name = losses_mod._to_snake_case(type(loss).__name__) if callable(loss) else None
        if name is None:
            raise ValueError(f"Loss should be a callable, found: {loss}")
        loss = losses_mod.LossFunctionWrapper(loss, name=name)
    loss._allow_sum_over_batch_size = True
    return loss


class LossesContainer:
    """model.compiled_loss: the compiled losses and the 'loss' tracker."""

    def __init__(self, losses, loss_weights=None, output_names=None):
        self._user_losses = losses
        self._losses = losses
        self._user_loss_weights = loss_weights
        self._loss_weights = loss_weights
        self._model_output_names = output_names
        self._output_names = None
        self._per_output_metrics = None
        self._loss_metric = metrics_mod.Mean(name="loss")
        self._built = False

    @property
    def metrics(self):
        if not self._built:
            return []
        return [self._loss_metric] + [m for m in self._per_output_metrics if m is not None]

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    reset_states = reset_state

    def build(self, y_pred):
        self._output_names = _output_names_for(self._model_output_names, y_pred)
        n = len(self._output_names)
        specs = _map_to_outputs(self._user_losses, self._output_names, "loss") \
            if _is_nested(self._user_losses) else [self._user_losses] * n
        weights = self._user_loss_weights
        if weights is None:
            weights = [None] * n
        else:
            weights = _map_to_outputs(weights, self._output_names, "loss_weights") \
                if _is_nested(weights) else [weights] * n
        self._losses = [_get_loss_object(s) for s in specs]
        self._loss_weights = weights
        with init_scope():
            if n == 1:
                self._per_output_metrics = [None]
            else:
                self._per_output_metrics = [
                    None if loss is None else metrics_mod.Mean(name=name + "_loss")
                    for name, loss in zip(self._output_names, self._losses)]
        self._built = True

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        y_pred_flat = flatten(y_pred)
        if not self._built:
            self.build(y_pred)
        names = self._output_names
        y_true_flat = _flat_targets(y_true, y_pred_flat, names)
        sw_flat = _flat_weights(sample_weight, len(y_pred_flat), names)
        loss_values, metric_values = [], []
        batch_dim = None
        for y_t, y_p, sw, loss_obj, weight, out_metric in zip(
                y_true_flat, y_pred_flat, sw_flat, self._losses, self._loss_weights,
                self._per_output_metrics):
            if loss_obj is None or y_t is None:
                continue
            y_t, y_p, sw = match_dtype_and_rank(y_t, y_p, sw)
            value = loss_obj(y_t, y_p, sample_weight=sw)
            if batch_dim is None:
                batch_dim = _batch_dim(y_t, y_p)
            if out_metric is not None:
                out_metric.update_state(value, sample_weight=float(batch_dim))
            if weight is not None:
                value = tf.multiply(value, weight)
            loss_values.append(value)
            metric_values.append(value)
        if regularization_losses:
            reg = [tf.cast(_to_tensor(r), "float32") for r in regularization_losses]
            reg_loss = reg[0] if len(reg) == 1 else tf.add_n(reg)
            loss_values.append(reg_loss)
            metric_values.append(reg_loss)
        if not loss_values:
            return tf.zeros(())
        loss_values = [tf.cast(v, "float32") if v.dtype != tf.float32 else v for v in loss_values]
        total = loss_values[0] if len(loss_values) == 1 else tf.add_n(loss_values)
        if batch_dim is None:
            batch_dim = _batch_dim(None, _to_tensor(y_pred_flat[0]))
        self._loss_metric.update_state(total, sample_weight=float(batch_dim))
        return total


# ---- metrics -----------------------------------------------------------------------------------

class MetricsContainer:
    """model.compiled_metrics: the compiled metrics (built at the first update)."""

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None):
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        self._model_output_names = output_names
        self._metrics = None
        self._weighted_metrics = None
        self._metrics_in_order = []
        self._built = False
        # set by the trainer while a traced step defers metric updates to eager code
        self._deferred = None

    @property
    def metrics(self):
        if not self._built:
            return []
        return list(self._metrics_in_order)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    reset_states = reset_state

    @staticmethod
    def _per_output(spec, output_names):
        n = len(output_names)
        if spec is None:
            return [[] for _ in range(n)]
        if isinstance(spec, dict):
            per = _map_to_outputs(spec, output_names, "metrics")
            return [[] if p is None else (list(p) if isinstance(p, (list, tuple)) else [p])
                    for p in per]
        if isinstance(spec, (list, tuple)):
            if any(_is_nested(s) for s in spec):
                per = _map_to_outputs(spec, output_names, "metrics")
                return [[] if p is None else (list(p) if isinstance(p, (list, tuple)) else [p])
                        for p in per]
            return [list(spec) for _ in range(n)]
        return [[spec] for _ in range(n)]

    def build(self, y_true, y_pred):
        y_pred_flat = flatten(y_pred)
        names = _output_names_for(self._model_output_names, y_pred)
        y_true_flat = _flat_targets(y_true, y_pred_flat, names)
        per_m = self._per_output(self._user_metrics, names)
        per_wm = self._per_output(self._user_weighted_metrics, names)
        self._metrics, self._weighted_metrics = [], []
        with init_scope():
            for specs, wspecs, y_t, y_p in zip(per_m, per_wm, y_true_flat, y_pred_flat):
                ts = None if y_t is None else tuple(_to_tensor(y_t).shape.as_list())
                ps = tuple(_to_tensor(y_p).shape.as_list())
                self._metrics.append([metrics_mod.get_metric_object(s, ts, ps) for s in specs])
                self._weighted_metrics.append(
                    [metrics_mod.get_metric_object(s, ts, ps) for s in wspecs])
        self._set_metric_names(names)
        self._metrics_in_order = []
        for ms, wms in zip(self._metrics, self._weighted_metrics):
            self._metrics_in_order.extend(m for m in ms if m is not None)
            self._metrics_in_order.extend(m for m in wms if m is not None)
        self._output_names = names
        self._built = True

    def _set_metric_names(self, names):
        seen = set()
        multi = len(names) > 1
        for name, ms, wms in zip(names, self._metrics, self._weighted_metrics):
            for m in ms:
                if multi:
                    m._name = name + "_" + m._name
                if m._name in seen:
                    raise ValueError(f"Found two metrics with the same name: {m._name}")
                seen.add(m._name)
            for wm in wms:
                if multi:
                    if name + "_" + wm._name in seen:
                        wm._name = name + "_weighted_" + wm._name
                    else:
                        wm._name = name + "_" + wm._name
                elif wm._name in seen:
                    wm._name = "weighted_" + wm._name
                if wm._name in seen:
                    raise ValueError(f"Found two metrics with the same name: {wm._name}")
                seen.add(wm._name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._built:
            self.build(y_true, y_pred)
        if self._deferred is not None:
            # inside a traced step whose metrics cannot be traced: hand the values out of
            # the graph; the trainer updates the metrics eagerly after the step
            self._deferred.append((y_true, y_pred, sample_weight))
            return
        self._update(y_true, y_pred, sample_weight)

    def _update(self, y_true, y_pred, sample_weight=None):
        y_pred_flat = flatten(y_pred)
        y_true_flat = _flat_targets(y_true, y_pred_flat, self._output_names)
        sw_flat = _flat_weights(sample_weight, len(y_pred_flat), self._output_names)
        for y_t, y_p, sw, ms, wms in zip(y_true_flat, y_pred_flat, sw_flat, self._metrics,
                                         self._weighted_metrics):
            if y_t is None:
                continue
            y_t, y_p, sw = match_dtype_and_rank(y_t, y_p, sw)
            for m in ms:
                m.update_state(y_t, y_p)
            for wm in wms:
                wm.update_state(y_t, y_p, sample_weight=sw)
