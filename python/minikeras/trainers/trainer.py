"""Trainer: compile / fit / evaluate / predict and the step methods, as a mixin of
keras.Model (`class Model(Trainer, Layer)`), with tf.keras 2.5's behaviour.

The model provides __call__(x, training=...), trainable_variables, losses (regularization
losses of the last call), and get_weights / set_weights for the callbacks that need them.

Steps.  make_train_function() wraps train_step in tf.function (unless run_eagerly), so
after the first call of each input signature the whole step (forward, loss, gradients,
optimizer update, loss and metric tracking) replays in C; a smaller last batch is a
second signature.  A step whose tracing fails because Python code branches on tensor
values (a custom metric doing `if votes[0] <= 0.5: ...`) falls back, without running any
update twice:
  1. "split": the traced step hands y_true / y_pred out of the graph instead of updating
     the compiled metrics, which are then updated eagerly on those values (the metric
     values are exactly those of an eager run);
  2. "eager": if the step still cannot be traced (the model's own call or the loss
     branches), it runs eagerly.
Before the first traced call of a signature, every live variable is saved; when that
trace fails, they are put back, so the failed attempt leaves no trace in the weights,
optimizer slots or metrics."""
import contextlib
import warnings

import numpy as np

from .. import _core, tf
from ..callbacks import CallbackList
from .compile_utils import LossesContainer, MetricsContainer, flatten, map_structure
from .data_adapters import (_is_array_structure, _to_numpy_structure, expand_1d,
                            standardize_batch, train_validation_split, unpack_x_y_sample_weight)
from .epoch_iterator import EpochIterator
from .._lazylog import get_logger

__all__ = ["Trainer", "flatten_metrics_in_order"]

_logger = get_logger("minikeras")     # logging is imported at the first message

_COMPILE_KWARGS = {"experimental_steps_per_execution", "sample_weight_mode", "target_tensors",
                   "distribute", "jit_compile", "pss_evaluation_shards", "auto_scale_loss"}


def flatten_metrics_in_order(logs, metrics_names):
    """[loss, metrics...] in metrics_names order, then any other keys sorted; a single value
    is returned as is."""
    results = [logs[name] for name in metrics_names if name in logs]
    results += [logs[k] for k in sorted(logs) if k not in metrics_names]
    if len(results) == 1:
        return results[0]
    return results


def _to_python(v):
    if tf.is_tensor(v) or hasattr(v, "_as_tensor"):
        a = np.asarray(v)
        return a.item() if a.ndim == 0 else np.array(a)
    return v


def _to_numpy(v):
    if v is None:
        return None
    if tf.is_tensor(v) or hasattr(v, "_as_tensor"):
        return np.array(v)
    return v


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    return verbose


def _signature(data):
    if isinstance(data, dict):
        return ("d", tuple((k, _signature(data[k])) for k in sorted(data, key=str)))
    if isinstance(data, (list, tuple)):
        return ("l", tuple(_signature(v) for v in data))
    if tf.is_tensor(data):
        return ("t", tuple(data.shape.as_list()), data.dtype.name)
    if isinstance(data, np.ndarray):
        return ("a", data.shape, data.dtype.str)
    try:
        hash(data)
        return ("p", data)
    except TypeError:
        return ("o", id(data))


def _is_trace_error(e):
    """The errors the engine raises when Python code needs a tensor's value while a graph
    is traced (bool / float / .numpy() / np.asarray of a traced tensor)."""
    text = str(e)
    return "tf.function" in text or "Graph execution" in text or "traced" in text


class _VariableSnapshot:
    """The values of every live variable and the random generators' states, to undo a
    failed traced attempt (so that the eager retry draws the same dropout masks)."""

    def __init__(self):
        from ..engine.variable import _live_variables
        self.ids = set()
        self.saved = []
        for v in list(_live_variables.values()):
            self.ids.add(id(v))
            t = v._value
            if not t._traced and t._size:
                self.saved.append((v, np.array(np.asarray(t))))
        self.np_state = np.random.get_state()
        try:
            from ..engine.api import random as _random
            self.tf_state = _random._get_state()
        except (ImportError, AttributeError):
            self.tf_state = None

    def restore(self, model):
        for v, a in self.saved:
            _core.write_buffer(v._value, a)
        np.random.set_state(self.np_state)
        if self.tf_state is not None:
            from ..engine.api import random as _random
            _random._set_state(self.tf_state)
        # metric state created during the failed attempt starts again from zero
        for m in _model_metrics(model):
            if any(id(var) not in self.ids for var in getattr(m, "variables", [])):
                m.reset_state()


def _model_metrics(model):
    try:
        return list(model.metrics)
    except Exception:
        return []


class _StepFunction:
    """Runs model.<train|test|predict>_step on one batch: traced, split or eager (see the
    module docstring); returns Python logs (train / test) or numpy outputs (predict)."""

    def __init__(self, model, kind):
        self.model = model
        self.kind = kind
        self.mode = "eager" if model.run_eagerly else "graph"
        self._fns = {}
        self._seen = set()
        self._warned = False

    # -- the functions per mode
    def _step(self, data):
        return getattr(self.model, self.kind + "_step")(data)

    def _graph_fn(self):
        fn = self._fns.get("graph")
        if fn is None:
            def traced_step(data):
                return self._step(data)
            fn = self._fns["graph"] = tf.function(traced_step)
        return fn

    def _split_fn(self):
        fn = self._fns.get("split")
        if fn is None:
            model = self.model

            def traced_split_step(data):
                cm = model.compiled_metrics
                cm._deferred = []
                try:
                    logs = self._step(data)
                    deferred = [tuple(None if t is None else
                                      map_structure(lambda a: tf.identity(a)
                                                    if tf.is_tensor(a) else a, t)
                                      for t in entry) for entry in cm._deferred]
                finally:
                    cm._deferred = None
                return logs, deferred
            fn = self._fns["split"] = tf.function(traced_split_step)
        return fn

    def _run(self, data):
        if self.mode == "eager":
            return self._finish(self._step(data))
        if self.mode == "graph":
            return self._finish(self._graph_fn()(data))
        logs, deferred = self._split_fn()(data)
        cm = self.model.compiled_metrics
        for y_t, y_p, sw in deferred:
            cm._update(y_t, y_p, sw)
        logs = dict(logs)
        for m in cm.metrics:
            if m.name in logs:
                logs[m.name] = m.result()
        return self._finish(logs)

    def _finish(self, out):
        if self.kind == "predict":
            return map_structure(_to_numpy, out)
        if isinstance(out, dict):
            return {k: _to_python(v) for k, v in out.items()}
        return out

    def _next_mode(self):
        if self.mode == "graph" and self.kind != "predict" and \
                getattr(self.model, "compiled_metrics", None) is not None:
            return "split"
        return "eager"

    def __call__(self, data):
        if self.mode == "eager":
            return self._run(data)
        key = _signature(data)
        if key in self._seen:
            return self._run(data)
        snapshot = _VariableSnapshot()
        try:
            out = self._run(data)
        except (TypeError, AttributeError, BufferError) as e:
            if not _is_trace_error(e):
                raise
            snapshot.restore(self.model)
            previous = self.mode
            self.mode = self._next_mode()
            self._seen = set()
            if self.mode == "eager" and not self._warned:
                self._warned = True
                warnings.warn(
                    f"{self.kind}_step of model '{getattr(self.model, 'name', '?')}' cannot be "
                    f"traced ({e}); it runs eagerly (Python control flow on tensor values "
                    f"needs run_eagerly=True or tf.cond / tf.where).", RuntimeWarning,
                    stacklevel=3)
            elif previous == "graph":
                _logger.info("%s_step: metrics computed eagerly on the step outputs (%s)",
                             self.kind, e)
            return self(data)
        self._seen.add(key)
        return out


class Trainer:
    """Training, evaluation and prediction for keras.Model (a mixin)."""

    # -- private state (kept out of Layer attribute tracking) ---------------------------------
    def _tset(self, name, value):
        self.__dict__[name] = value

    def _tget(self, name, default=None):
        return self.__dict__.get(name, default)

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None, **kwargs):
        """Configure the model for training: optimizer (name or instance), loss (name,
        function or Loss; a list or dict gives one per output), metrics (list, or a dict /
        list of lists per output; 'accuracy' / 'acc' resolved from the shapes at the first
        batch), loss_weights, weighted_metrics, run_eagerly."""
        bad = [k for k in kwargs if k not in _COMPILE_KWARGS]
        if bad:
            raise TypeError("Invalid keyword argument(s) in `compile`: %s" % (bad,))
        if steps_per_execution is None:
            steps_per_execution = kwargs.pop("experimental_steps_per_execution", 1)
        self.optimizer = self._get_optimizer(optimizer)
        output_names = self._output_names_for_compile()
        self.compiled_loss = LossesContainer(loss, loss_weights, output_names=output_names)
        self.compiled_metrics = MetricsContainer(metrics, weighted_metrics,
                                                 output_names=output_names)
        self.loss = loss or {}
        self._tset("_run_eagerly", run_eagerly)
        self._tset("_steps_per_execution", steps_per_execution or 1)
        self._tset("_is_compiled", True)
        self._tset("_compiled_trainable_state", self._get_trainable_state())
        self._reset_compile_cache()

    def _get_optimizer(self, optimizer):
        try:
            from .. import optimizers
        except ImportError:
            optimizers = None
        if optimizers is not None and hasattr(optimizers, "get"):
            if hasattr(optimizer, "apply_gradients") and not isinstance(
                    optimizer, getattr(optimizers, "Optimizer", ())):
                return optimizer
            return optimizers.get(optimizer)
        if hasattr(optimizer, "apply_gradients"):
            return optimizer
        raise ImportError(f"keras.optimizers is not available to resolve {optimizer!r}")

    def _output_names_for_compile(self):
        try:
            names = getattr(self, "output_names", None)
        except Exception:
            names = None
        return list(names) if isinstance(names, (list, tuple)) and names else None

    def _reset_compile_cache(self):
        self.train_function = None
        self.test_function = None
        self.predict_function = None

    def _assert_compile_was_called(self):
        if not self._tget("_is_compiled", False):
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    @property
    def run_eagerly(self):
        """Whether the steps run eagerly (compile(run_eagerly=True), a dynamic model, or
        tf.config.run_functions_eagerly(True))."""
        from ..engine.function import functions_run_eagerly
        dynamic = bool(getattr(self, "dynamic", False))
        return bool(dynamic or self._tget("_run_eagerly") or functions_run_eagerly())

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._tset("_run_eagerly", value)
        self._reset_compile_cache()

    @property
    def distribute_strategy(self):
        return None

    # -- metrics -------------------------------------------------------------------------------
    @property
    def metrics(self):
        """The loss tracker, then the compiled metrics (built at the first batch), then the
        metrics of the layers."""
        out = []
        if self._tget("_is_compiled", False):
            cl = getattr(self, "compiled_loss", None)
            cm = getattr(self, "compiled_metrics", None)
            if cl is not None:
                out += cl.metrics
            if cm is not None:
                out += cm.metrics
        flatten_layers = getattr(self, "_flatten_layers", None)
        if flatten_layers is not None:
            for layer in flatten_layers():
                out.extend(layer.__dict__.get("_metrics", []))
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # -- trainable state at compile time ---------------------------------------------------------
    def _get_trainable_state(self):
        flatten_layers = getattr(self, "_flatten_layers", None)
        if flatten_layers is None:
            return None
        return {id(layer): (layer, layer.trainable) for layer in flatten_layers()}

    def _set_trainable_state(self, state):
        for layer in self._flatten_layers():
            entry = state.get(id(layer))
            if entry is not None and entry[0] is layer and layer.trainable != entry[1]:
                layer.trainable = entry[1]

    @contextlib.contextmanager
    def _respect_compiled_trainable_state(self):
        state = self._tget("_compiled_trainable_state")
        if not state:
            yield
            return
        current = self._get_trainable_state()
        self._set_trainable_state(state)
        try:
            yield
        finally:
            self._set_trainable_state(current)

    # -- steps ---------------------------------------------------------------------------------
    def _metric_results(self):
        results = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                results.update(r)
            else:
                results[m.name] = r
        return results

    def train_step(self, data):
        """One optimization step on a batch (x, y, sample_weight): forward under a
        GradientTape, compiled loss (+ regularization losses), gradients, optimizer update,
        metric update; returns {metric name: value}."""
        data = expand_1d(data)
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, sample_weight,
                                      regularization_losses=self.losses)
        trainable = list(self.trainable_variables)
        grads = tape.gradient(loss, trainable)
        self.optimizer.apply_gradients(zip(grads, trainable))
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self._metric_results()

    def test_step(self, data):
        """Loss and metric update on a batch in inference mode; returns the metrics."""
        data = expand_1d(data)
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        return self._metric_results()

    def predict_step(self, data):
        """The model's outputs on a batch (inference mode)."""
        data = expand_1d(data)
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def make_train_function(self, force=False):
        if self.__dict__.get("train_function") is None or force:
            self.train_function = _StepFunction(self, "train")
        return self.train_function

    def make_test_function(self, force=False):
        if self.__dict__.get("test_function") is None or force:
            self.test_function = _StepFunction(self, "test")
        return self.test_function

    def make_predict_function(self, force=False):
        if self.__dict__.get("predict_function") is None or force:
            self.predict_function = _StepFunction(self, "predict")
        return self.predict_function

    def _prepare_for_step(self, data, training):
        """Build the model (one eager inference call) and the optimizer's slots before the
        first traced step, so that a failed trace attempt can be undone exactly."""
        if not getattr(self, "built", True):
            x, _, _ = unpack_x_y_sample_weight(expand_1d(data))
            self(x, training=False)
        if training:
            opt = getattr(self, "optimizer", None)
            create = getattr(opt, "_create_all_weights", None)
            if create is not None:
                create(list(self.trainable_variables))

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
            use_multiprocessing=False):
        """Train for `epochs` epochs; returns the History (also model.history)."""
        self._assert_compile_was_called()
        verbose = _resolve_verbose(verbose)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = train_validation_split(
                (x, y, sample_weight), validation_split=validation_split)
        has_validation = validation_data is not None and not (
            isinstance(validation_data, (tuple, list)) and len(validation_data) == 0)
        if has_validation:
            val_x, val_y, val_sample_weight = unpack_x_y_sample_weight(validation_data)
            if _is_array_structure((val_x, val_y, val_sample_weight)):
                # converted once (floating data to floatx), not at every validation
                val_x, val_y, val_sample_weight = _to_numpy_structure(
                    (val_x, val_y, val_sample_weight))
        with self._respect_compiled_trainable_state():
            handler = EpochIterator(x, y, sample_weight, batch_size=batch_size,
                                    steps_per_epoch=steps_per_epoch, initial_epoch=initial_epoch,
                                    epochs=epochs, shuffle=shuffle, class_weight=class_weight,
                                    workers=workers, max_queue_size=max_queue_size)
            if not isinstance(callbacks, CallbackList):
                callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                         model=self, verbose=verbose, epochs=epochs,
                                         steps=handler.inferred_steps)
            self.stop_training = False
            train_function = self.make_train_function()
            callbacks.on_train_begin()
            training_logs = None
            logs = None
            prepared = False
            for epoch, iterator in handler.enumerate_epochs():
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                with handler.catch_stop_iteration():
                    for step in handler.steps():
                        callbacks.on_train_batch_begin(step)
                        data = next(iterator)
                        if not prepared:
                            self._prepare_for_step(data, training=True)
                            prepared = True
                        logs = train_function(data)
                        callbacks.on_train_batch_end(step, logs)
                        if self.stop_training:
                            break
                if logs is None:
                    raise ValueError("Expect x to be a non-empty array or dataset.")
                epoch_logs = dict(logs)
                if has_validation and self._should_eval(epoch, validation_freq):
                    val_logs = self.evaluate(
                        x=val_x, y=val_y, sample_weight=val_sample_weight,
                        batch_size=validation_batch_size or batch_size, steps=validation_steps,
                        callbacks=callbacks, return_dict=True)
                    epoch_logs.update({"val_" + name: v for name, v in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if self.stop_training:
                    break
            callbacks.on_train_end(logs=training_logs)
            return self.history

    @staticmethod
    def _should_eval(epoch, validation_freq):
        epoch = epoch + 1
        if isinstance(validation_freq, int):
            return epoch % validation_freq == 0
        if isinstance(validation_freq, (list, tuple, set)):
            return epoch in validation_freq
        raise ValueError("Expected `validation_freq` to be a list or int.")

    # -- evaluate ------------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False, return_dict=False, **kwargs):
        """The loss and metrics on the data: a scalar (loss only), [loss, metrics...], or a
        dict when return_dict=True."""
        self._assert_compile_was_called()
        verbose = _resolve_verbose(verbose)
        handler = EpochIterator(x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps,
                                initial_epoch=0, epochs=1, shuffle=False, workers=workers,
                                max_queue_size=max_queue_size)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_history=False, add_progbar=verbose != 0,
                                     model=self, verbose=verbose, epochs=1,
                                     steps=handler.inferred_steps)
        logs = {}
        test_function = self.make_test_function()
        callbacks.on_test_begin()
        prepared = False
        for _, iterator in handler.enumerate_epochs():
            self.reset_metrics()
            with handler.catch_stop_iteration():
                for step in handler.steps():
                    callbacks.on_test_batch_begin(step)
                    data = next(iterator)
                    if not prepared:
                        self._prepare_for_step(data, training=False)
                        prepared = True
                    logs = test_function(data)
                    callbacks.on_test_batch_end(step, logs)
        callbacks.on_test_end(logs=logs)
        if return_dict:
            return logs
        return flatten_metrics_in_order(logs, self.metrics_names)

    # -- predict -------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """The model's outputs on the data, batch by batch, concatenated into numpy arrays
        (a list / dict of them for several outputs)."""
        verbose = _resolve_verbose(verbose)
        handler = EpochIterator(x, batch_size=batch_size, steps_per_epoch=steps,
                                initial_epoch=0, epochs=1, shuffle=False, workers=workers,
                                max_queue_size=max_queue_size)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                     model=self, verbose=verbose, epochs=1,
                                     steps=handler.inferred_steps)
        predict_function = self.make_predict_function()
        callbacks.on_predict_begin()
        outputs = None
        batch_outputs = None
        prepared = False
        for _, iterator in handler.enumerate_epochs():
            with handler.catch_stop_iteration():
                for step in handler.steps():
                    callbacks.on_predict_batch_begin(step)
                    data = next(iterator)
                    if not prepared:
                        self._prepare_for_step(data, training=False)
                        prepared = True
                    batch_outputs = predict_function(data)
                    if outputs is None:
                        outputs = [batch_outputs]
                    else:
                        outputs.append(batch_outputs)
                    callbacks.on_predict_batch_end(step, {"outputs": batch_outputs})
        if batch_outputs is None:
            raise ValueError("Expect x to be a non-empty array or dataset.")
        callbacks.on_predict_end()
        return _concat_outputs(outputs)

    # -- single batches -------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One training step on one batch; returns the metrics of that step."""
        self._assert_compile_was_called()
        with self._respect_compiled_trainable_state():
            data = _single_batch(x, y, sample_weight, class_weight)
            self._prepare_for_step(data, training=True)
            logs = self.make_train_function()(data)
        if reset_metrics:
            self.reset_metrics()
        if return_dict:
            return logs
        return flatten_metrics_in_order(logs, self.metrics_names)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """Loss and metrics on one batch."""
        self._assert_compile_was_called()
        data = _single_batch(x, y, sample_weight)
        self._prepare_for_step(data, training=False)
        logs = self.make_test_function()(data)
        if reset_metrics:
            self.reset_metrics()
        if return_dict:
            return logs
        return flatten_metrics_in_order(logs, self.metrics_names)

    def predict_on_batch(self, x):
        """The model's outputs on one batch, as numpy."""
        data = _single_batch(x)
        self._prepare_for_step(data, training=False)
        return self.make_predict_function()(data)


def _single_batch(x, y=None, sample_weight=None, class_weight=None):
    from .data_adapters import ArrayDataAdapter, pack_x_y_sample_weight
    if class_weight:
        adapter = ArrayDataAdapter(x, y, sample_weight, batch_size=None, shuffle=False,
                                   class_weight=class_weight)
        adapter._batch_size = max(1, adapter._size)
        return next(adapter.get_iterator())
    return standardize_batch(pack_x_y_sample_weight(x, y, sample_weight))


def _concat_outputs(batches):
    first = batches[0]

    def cat(parts):
        if parts[0] is None:
            return None
        arrs = [np.asarray(p) for p in parts]
        if arrs[0].ndim == 0:
            return np.stack(arrs)
        return np.concatenate(arrs, axis=0)

    if isinstance(first, dict):
        return {k: cat([b[k] for b in batches]) for k in first}
    if isinstance(first, (list, tuple)):
        flat = [flatten(b) for b in batches]
        leaves = [cat([f[i] for f in flat]) for i in range(len(flat[0]))]
        from .compile_utils import pack_like
        out = pack_like(first, leaves)
        return list(out) if isinstance(out, tuple) and not hasattr(out, "_fields") else out
    return cat(batches)
