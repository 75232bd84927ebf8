"""keras.callbacks (tf.keras 2.5): hooks called by fit / evaluate / predict.

Callback (every hook), CallbackList (what fit drives; adds a ProgbarLogger first and a
History last, as tf.keras does), History, ProgbarLogger, ModelCheckpoint, EarlyStopping,
TerminateOnNaN, LambdaCallback, ReduceLROnPlateau, LearningRateScheduler, CSVLogger and
TensorBoard, which writes real TFRecord event files (the few protobuf messages and the
masked CRC32C framing are encoded by hand at the end of this module).

Logs reaching callbacks hold Python floats (tf.keras's sync_to_numpy_or_python_type)."""
import collections
import csv
import io
import json
import os
import struct
import time

import numpy as np

from ._lazylog import get_logger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "BaseLogger",
           "ModelCheckpoint", "EarlyStopping", "TerminateOnNaN", "LambdaCallback",
           "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TensorBoard",
           "RemoteMonitor"]

_logger = get_logger("minikeras")     # logging is imported at the first message


def _default(method):
    method._is_default = True
    return method


def _is_default(method):
    return getattr(method, "_is_default", False)


def _to_python(logs):
    """Tensors in logs -> Python scalars (numpy arrays for non-scalars)."""
    if not logs:
        return logs if logs is not None else {}
    out = {}
    for k, v in logs.items():
        if hasattr(v, "numpy") and not isinstance(v, np.ndarray):
            v = np.asarray(v)
            v = v.item() if v.ndim == 0 else v
        out[k] = v
    return out


def _get_value(x):
    """keras.backend.get_value: a variable / tensor -> numpy value; numbers as given."""
    if hasattr(x, "numpy"):
        return x.numpy()
    return x


def _set_lr(optimizer, value):
    """Assign a new learning rate (keras.backend.set_value(optimizer.lr, value))."""
    lr = getattr(optimizer, "lr", None)
    if hasattr(lr, "assign"):
        lr.assign(np.asarray(value, dtype=getattr(lr.dtype, "as_numpy_dtype", np.float32)))
    else:
        optimizer.lr = value


def _lr_value(optimizer):
    lr = getattr(optimizer, "lr", None)
    if lr is None:
        lr = getattr(optimizer, "learning_rate")
    if callable(lr) and not hasattr(lr, "numpy"):
        # a LearningRateSchedule: its value at the current step
        try:
            lr = lr(optimizer.iterations)
        except TypeError:
            lr = lr()
    v = _get_value(lr)
    return np.float32(v) if np.ndim(v) == 0 else v


# ---- base classes ---------------------------------------------------------------------------

class Callback:
    """Abstract base class of callbacks: override the hooks you need.  `self.model` is the
    model being trained, `self.params` the training parameters (verbose, epochs, steps)."""

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}
        self._chief_worker_only = None
        self._supports_tf_logs = False

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    @_default
    def on_batch_begin(self, batch, logs=None):
        """Alias of on_train_batch_begin (backwards compatibility)."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """Alias of on_train_batch_end (backwards compatibility)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (training only)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with the epoch's logs (val_ keys included)."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Called at the start of a batch in evaluate (and in fit's validation)."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Called at the end of a batch in evaluate (and in fit's validation)."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called at the start of a batch in predict."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Called at the end of a batch in predict."""

    def on_train_begin(self, logs=None):
        """Called at the start of training."""

    def on_train_end(self, logs=None):
        """Called at the end of training."""

    def on_test_begin(self, logs=None):
        """Called at the start of evaluation or validation."""

    def on_test_end(self, logs=None):
        """Called at the end of evaluation or validation."""

    def on_predict_begin(self, logs=None):
        """Called at the start of prediction."""

    def on_predict_end(self, logs=None):
        """Called at the end of prediction."""

    def _implements_train_batch_hooks(self):
        return not (_is_default(self.on_batch_begin) and _is_default(self.on_batch_end) and
                    _is_default(self.on_train_batch_begin) and
                    _is_default(self.on_train_batch_end))

    def _implements_test_batch_hooks(self):
        return not (_is_default(self.on_test_batch_begin) and
                    _is_default(self.on_test_batch_end))

    def _implements_predict_batch_hooks(self):
        return not (_is_default(self.on_predict_batch_begin) and
                    _is_default(self.on_predict_batch_end))


def _flatten_callbacks(callbacks):
    out = []
    for c in callbacks or []:
        if isinstance(c, (list, tuple)):
            out.extend(_flatten_callbacks(c))
        elif c is not None:
            out.append(c)
    return out


class CallbackList:
    """Container calling every callback's hook: `callbacks.on_epoch_end(epoch, logs)`."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        self.callbacks = _flatten_callbacks(callbacks)
        self._add_default_callbacks(add_history, add_progbar)
        self.model = None
        self.params = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._update_batch_hook_flags()

    def _update_batch_hook_flags(self):
        self._should_call_train_batch_hooks = any(
            c._implements_train_batch_hooks() for c in self.callbacks)
        self._should_call_test_batch_hooks = any(
            c._implements_test_batch_hooks() for c in self.callbacks)
        self._should_call_predict_batch_hooks = any(
            c._implements_predict_batch_hooks() for c in self.callbacks)

    def _add_default_callbacks(self, add_history, add_progbar):
        self._progbar = None
        self._history = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger(count_mode="steps")
            self.callbacks.insert(0, self._progbar)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)

    def append(self, callback):
        self.callbacks.append(callback)
        self._update_batch_hook_flags()

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)
        self._update_batch_hook_flags()

    def set_model(self, model):
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    # batch hooks
    def on_batch_begin(self, batch, logs=None):
        if self._should_call_train_batch_hooks:
            self._call("on_train_batch_begin", batch, logs or {})

    def on_batch_end(self, batch, logs=None):
        if self._should_call_train_batch_hooks:
            self._call("on_train_batch_end", batch, logs or {})

    def on_train_batch_begin(self, batch, logs=None):
        if self._should_call_train_batch_hooks:
            self._call("on_train_batch_begin", batch, logs or {})

    def on_train_batch_end(self, batch, logs=None):
        if self._should_call_train_batch_hooks:
            self._call("on_train_batch_end", batch, logs or {})

    def on_test_batch_begin(self, batch, logs=None):
        if self._should_call_test_batch_hooks:
            self._call("on_test_batch_begin", batch, logs or {})

    def on_test_batch_end(self, batch, logs=None):
        if self._should_call_test_batch_hooks:
            self._call("on_test_batch_end", batch, logs or {})

    def on_predict_batch_begin(self, batch, logs=None):
        if self._should_call_predict_batch_hooks:
            self._call("on_predict_batch_begin", batch, logs or {})

    def on_predict_batch_end(self, batch, logs=None):
        if self._should_call_predict_batch_hooks:
            self._call("on_predict_batch_end", batch, logs or {})

    # epoch / run hooks
    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs if logs is not None else {})

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs if logs is not None else {})

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs if logs is not None else {})

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs if logs is not None else {})

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs if logs is not None else {})

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs if logs is not None else {})

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs if logs is not None else {})

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs if logs is not None else {})

    def __iter__(self):
        return iter(self.callbacks)


# ---- History / progress ------------------------------------------------------------------------

class History(Callback):
    """Records the logs of every epoch: history.history = {'loss': [...], ...};
    history.epoch = the epoch indices of the last fit.  Returned by fit, also set as
    model.history; passing an existing History in callbacks= keeps accumulating."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        self.model.history = self


class BaseLogger(Callback):
    """Averages per-batch values over an epoch (tf.keras 1.x logger; fit does not add it)."""

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        batch_size = logs.get("size", 0)
        num_steps = logs.get("num_steps", 1)
        self.seen += batch_size * num_steps
        for k, v in logs.items():
            if k in self.stateful_metrics:
                self.totals[k] = v
            elif k in self.totals:
                self.totals[k] += v * batch_size
            else:
                self.totals[k] = v * batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            for k in self.params.get("metrics", []):
                if k in self.totals:
                    logs[k] = self.totals[k] if k in self.stateful_metrics \
                        else self.totals[k] / self.seen


class ProgbarLogger(Callback):
    """Prints the progress bar and the metrics (what verbose=1/2 shows).  Inside fit,
    validation is silent."""

    def __init__(self, count_mode="samples", stateful_metrics=None):
        super().__init__()
        self._supports_tf_logs = True
        if count_mode == "samples":
            self.use_steps = False
        elif count_mode == "steps":
            self.use_steps = True
        else:
            raise ValueError("Unknown `count_mode`: " + str(count_mode))
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._call_batch_hooks = True
        self._called_in_fit = False

    def set_params(self, params):
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        if self.use_steps and "steps" in params:
            self.target = params["steps"]
        elif not self.use_steps and "samples" in params:
            self.target = params["samples"]
        else:
            self.target = None
        self._call_batch_hooks = self.verbose == 1
        if self.target is None:
            self._call_batch_hooks = True

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print("Epoch %d/%d" % (epoch + 1, self.epochs))

    def on_train_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._batch_update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        from .utils.progbar import Progbar
        self.stateful_metrics = set(self.stateful_metrics)
        if self.model is not None:
            try:
                self.stateful_metrics |= set(m.name for m in self.model.metrics)
            except AttributeError:
                pass
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose,
                                   stateful_metrics=self.stateful_metrics,
                                   unit_name="step" if self.use_steps else "sample")
        self.progbar._update_stateful_metrics(self.stateful_metrics)

    def _implements_train_batch_hooks(self):
        return self._call_batch_hooks

    def _implements_test_batch_hooks(self):
        return self._call_batch_hooks

    def _implements_predict_batch_hooks(self):
        return self._call_batch_hooks

    def _batch_update_progbar(self, batch, logs=None):
        logs = logs or {}
        self._maybe_init_progbar()
        if self.use_steps:
            self.seen = batch + 1
        else:
            logs = dict(logs)
            batch_size = logs.pop("size", 0)
            num_steps = logs.pop("num_steps", 1)
            logs.pop("batch", None)
            self.seen += num_steps * batch_size
        if self.verbose == 1:
            logs = _to_python(logs)
            self.progbar.update(self.seen, list(logs.items()), finalize=False)

    def _finalize_progbar(self, logs):
        logs = _to_python(logs or {})
        if self.progbar is None:
            self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list(logs.items()), finalize=True)


class TerminateOnNaN(Callback):
    """Stops training when the loss becomes NaN or infinite."""

    def __init__(self):
        super().__init__()
        self._supports_tf_logs = True

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is not None:
            loss = np.asarray(loss)
            if np.isnan(loss) or np.isinf(loss):
                print("Batch %d: Invalid loss, terminating training" % batch)
                self.model.stop_training = True


class LambdaCallback(Callback):
    """Callbacks from plain functions: on_epoch_begin/end(epoch, logs),
    on_batch_begin/end(batch, logs), on_train_begin/end(logs); other hooks via kwargs."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        self.on_epoch_begin = on_epoch_begin if on_epoch_begin is not None \
            else (lambda epoch, logs: None)
        self.on_epoch_end = on_epoch_end if on_epoch_end is not None \
            else (lambda epoch, logs: None)
        self.on_batch_begin = on_batch_begin if on_batch_begin is not None \
            else _default(lambda batch, logs: None)
        self.on_batch_end = on_batch_end if on_batch_end is not None \
            else _default(lambda batch, logs: None)
        self.on_train_begin = on_train_begin if on_train_begin is not None \
            else (lambda logs: None)
        self.on_train_end = on_train_end if on_train_end is not None else (lambda logs: None)


# ---- monitors ----------------------------------------------------------------------------------

class ModelCheckpoint(Callback):
    """Saves the model (model.save) or its weights (model.save_weights) after every epoch
    (save_freq='epoch') or every `save_freq` batches; filepath may hold `{epoch:02d}`,
    `{val_loss:.2f}`... filled from the epoch (1-based) and the logs.  save_best_only
    saves only when `monitor` improves (mode 'auto': max for names containing 'acc' or
    starting with 'fmeasure', else min)."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", options=None,
                 **kwargs):
        super().__init__()
        self._supports_tf_logs = True
        self.monitor = monitor
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._options = options
        self.load_weights_on_restart = kwargs.pop("load_weights_on_restart", False)
        self.period = kwargs.pop("period", 1)
        if mode not in ("auto", "min", "max"):
            _logger.warning("ModelCheckpoint mode %s is unknown, fallback to auto mode.", mode)
            mode = "auto"
        if mode == "min":
            self.monitor_op, self.best = np.less, np.inf
        elif mode == "max":
            self.monitor_op, self.best = np.greater, -np.inf
        elif "acc" in self.monitor or self.monitor.startswith("fmeasure"):
            self.monitor_op, self.best = np.greater, -np.inf
        else:
            self.monitor_op, self.best = np.less, np.inf
        if self.save_freq != "epoch" and not isinstance(self.save_freq, int):
            raise ValueError("Unrecognized save_freq: {}".format(self.save_freq))

    def set_model(self, model):
        self.model = model
        # subclassed models cannot be saved whole: save their weights
        if (not self.save_weights_only and not getattr(model, "_is_graph_network", False)
                and type(model).__name__ != "Sequential"):
            self.save_weights_only = True

    def _implements_train_batch_hooks(self):
        return self.save_freq != "epoch"

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, logs=logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:
            add_batches = batch + 1
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError('Failed to format this callback filepath: "{}". Reason: {}'.format(
                self.filepath, e))

    def _write(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _save_model(self, epoch, logs):
        logs = _to_python(logs or {})
        if not (isinstance(self.save_freq, int) or self.epochs_since_last_save >= self.period):
            return
        self.epochs_since_last_save = 0
        filepath = self._get_file_path(epoch, logs)
        try:
            if self.save_best_only:
                current = logs.get(self.monitor)
                if current is None:
                    _logger.warning("Can save best model only with %s available, skipping.",
                                    self.monitor)
                elif self.monitor_op(current, self.best):
                    if self.verbose > 0:
                        print("\nEpoch %05d: %s improved from %0.5f to %0.5f, saving model to %s"
                              % (epoch + 1, self.monitor, self.best, current, filepath))
                    self.best = current
                    self._write(filepath)
                elif self.verbose > 0:
                    print("\nEpoch %05d: %s did not improve from %0.5f"
                          % (epoch + 1, self.monitor, self.best))
            else:
                if self.verbose > 0:
                    print("\nEpoch %05d: saving model to %s" % (epoch + 1, filepath))
                self._write(filepath)
        except IsADirectoryError:
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. "
                          "Filepath used is an existing directory: {}".format(filepath))


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved (by more than min_delta) for
    `patience` epochs; restore_best_weights puts back the weights of the best epoch."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        if mode not in ("auto", "min", "max"):
            _logger.warning("EarlyStopping mode %s is unknown, fallback to auto mode.", mode)
            mode = "auto"
        if mode == "min":
            self.monitor_op = np.less
        elif mode == "max":
            self.monitor_op = np.greater
        elif "acc" in self.monitor or "auc" in self.monitor:
            self.monitor_op = np.greater
        else:
            self.monitor_op = np.less
        if self.monitor_op == np.greater:
            self.min_delta *= 1
        else:
            self.min_delta *= -1

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op == np.less else -np.inf
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                if self.restore_best_weights and self.best_weights is not None:
                    if self.verbose > 0:
                        print("Restoring model weights from the end of the best epoch.")
                    self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print("Epoch %05d: early stopping" % (self.stopped_epoch + 1))

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            _logger.warning("Early stopping conditioned on metric `%s` which is not available. "
                            "Available metrics are: %s", self.monitor, ",".join(list(logs.keys())))
        return value


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` has not improved for
    `patience` epochs (then waits `cooldown` epochs); never below min_lr.  Adds 'lr' to
    the epoch logs (so History records it)."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        self.monitor = monitor
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0.")
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            _logger.warning("`epsilon` argument is deprecated and will be removed, use "
                            "`min_delta` instead.")
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0
        self.mode = mode
        self.monitor_op = None
        self._reset()

    def _reset(self):
        if self.mode not in ("auto", "min", "max"):
            _logger.warning("Learning rate reduction mode %s is unknown, fallback to auto mode.",
                            self.mode)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["lr"] = _lr_value(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            _logger.warning("Learning rate reduction is conditioned on metric `%s` which is not "
                            "available. Available metrics are: %s", self.monitor,
                            ",".join(list(logs.keys())))
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _lr_value(self.model.optimizer)
                if old_lr > np.float32(self.min_lr):
                    # float(float32) * factor: the float64 product tf.keras 2.5 printed
                    new_lr = float(old_lr) * self.factor
                    new_lr = max(new_lr, self.min_lr)
                    _set_lr(self.model.optimizer, new_lr)
                    if self.verbose > 0:
                        print("\nEpoch %05d: ReduceLROnPlateau reducing learning rate to %s."
                              % (epoch + 1, new_lr))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0


class LearningRateScheduler(Callback):
    """At each epoch start sets the learning rate to schedule(epoch, lr) (or schedule(epoch)
    for one-argument schedules); adds 'lr' to the epoch logs."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "lr"):
            raise ValueError('Optimizer must have a "lr" attribute.')
        try:
            lr = float(_lr_value(self.model.optimizer))
            lr = self.schedule(epoch, lr)
        except TypeError:
            lr = self.schedule(epoch)
        is_tensor = hasattr(lr, "numpy") and hasattr(lr, "dtype")
        if not isinstance(lr, (float, np.float32, np.float64)) and not is_tensor:
            raise ValueError('The output of the "schedule" function should be float.')
        if is_tensor and not lr.dtype.is_floating:
            raise ValueError("The dtype of Tensor should be float")
        _set_lr(self.model.optimizer, float(_get_value(lr)))
        if self.verbose > 0:
            print("\nEpoch %05d: LearningRateScheduler reducing learning rate to %s."
                  % (epoch + 1, lr))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = _lr_value(self.model.optimizer)


class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file: a header `epoch,<sorted keys>` then a row per
    epoch."""

    def __init__(self, filename, separator=",", append=False):
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None
        super().__init__()

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        self.csv_file = io.open(self.filename, mode, newline="\n")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(k):
            is_zero_dim = isinstance(k, np.ndarray) and k.ndim == 0
            if isinstance(k, str):
                return k
            if isinstance(k, collections.abc.Iterable) and not is_zero_dim:
                return '"[%s]"' % (", ".join(map(str, k)))
            return k

        if self.keys is None:
            self.keys = sorted(logs.keys())
        if self.model is not None and getattr(self.model, "stop_training", False):
            logs = dict((k, logs[k]) if k in logs else (k, "NA") for k in self.keys)
        if not self.writer:
            sep = self.sep

            class CustomDialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=CustomDialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, handle_value(logs[key])) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


class RemoteMonitor(Callback):
    """Posts the epoch logs as JSON to a server (needs `requests`)."""

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers, self.send_as_json = headers, send_as_json

    def on_epoch_end(self, epoch, logs=None):
        try:
            import requests
        except ImportError:
            raise ImportError("RemoteMonitor requires the `requests` library.")
        send = {"epoch": epoch}
        for k, v in (logs or {}).items():
            send[k] = v.item() if isinstance(v, (np.ndarray, np.generic)) else v
        try:
            if self.send_as_json:
                requests.post(self.root + self.path, json=send, headers=self.headers)
            else:
                requests.post(self.root + self.path, {self.field: json.dumps(send)},
                              headers=self.headers)
        except requests.exceptions.RequestException:
            _logger.warning("Warning: could not reach RemoteMonitor root server at %s", self.root)


# ---- TensorBoard: TFRecord event files written by hand -----------------------------------------

def _crc32c_table():
    poly = 0x82F63B78
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _pb_varint(field, value):
    return _key(field, 0) + _varint(int(value))


def _pb_double(field, value):
    return _key(field, 1) + struct.pack("<d", float(value))


def _pb_bytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + _varint(len(data)) + data


_DT_FLOAT, _DT_DOUBLE, _DT_STRING = 1, 2, 7
_DATA_CLASS_SCALAR, _DATA_CLASS_TENSOR, _DATA_CLASS_BLOB_SEQUENCE = 1, 2, 3


def _tensor_shape_proto(shape):
    return b"".join(_pb_bytes(2, _pb_varint(1, d)) for d in shape)


def _summary_metadata(plugin_name, content=b"", data_class=None):
    plugin = _pb_bytes(1, plugin_name) + (_pb_bytes(2, content) if content else b"")
    meta = _pb_bytes(1, plugin)
    if data_class is not None:
        meta += _pb_varint(4, data_class)
    return meta


def _summary_value(tag, metadata, tensor):
    return _pb_bytes(1, tag) + _pb_bytes(9, metadata) + _pb_bytes(8, tensor)


def scalar_tensor_proto(value):
    """TensorProto(dtype=DT_FLOAT, tensor_shape={}, float_val=[value])."""
    return (_pb_varint(1, _DT_FLOAT) + _pb_bytes(2, b"") +
            _key(5, 2) + _varint(4) + struct.pack("<f", float(value)))


def histogram_buckets(data, bucket_count=30):
    """tensorboard's summary_v2 histogram buckets: a (k, 3) float64 array of
    (left edge, right edge, count)."""
    data = np.asarray(data, dtype=np.float64).reshape(-1)
    if data.size == 0:
        return np.zeros((0, 3), np.float64)
    lo, hi = data.min(), data.max()
    rng = hi - lo
    if rng == 0:
        return np.array([[lo - 0.5, lo + 0.5, float(data.size)]], np.float64)
    width = rng / float(bucket_count)
    idx = np.floor((data - lo) / width).astype(np.int32)
    idx = np.minimum(idx, bucket_count - 1)
    counts = np.bincount(idx, minlength=bucket_count).astype(np.float64)
    edges = np.linspace(lo, hi, bucket_count + 1)
    edges[-1] = hi
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def histogram_tensor_proto(buckets):
    buckets = np.ascontiguousarray(buckets, dtype="<f8")
    return (_pb_varint(1, _DT_DOUBLE) + _pb_bytes(2, _tensor_shape_proto(buckets.shape)) +
            _pb_bytes(4, buckets.tobytes()))


def string_tensor_proto(text):
    return (_pb_varint(1, _DT_STRING) + _pb_bytes(2, b"") + _pb_bytes(8, text))


_writer_counter = [0]


class EventFileWriter:
    """Appends Event records (TFRecord framing: length, masked CRC32C of the length,
    payload, masked CRC32C of the payload) to logdir/events.out.tfevents.<time>.<host>.<pid>.<n>.v2."""

    def __init__(self, logdir):
        os.makedirs(logdir, exist_ok=True)
        import socket
        _writer_counter[0] += 1
        name = "events.out.tfevents.%010d.%s.%d.%d.v2" % (
            int(time.time()), socket.gethostname(), os.getpid(), _writer_counter[0])
        self.path = os.path.join(logdir, name)
        self._f = open(self.path, "wb")
        self._write_event(_pb_bytes(3, "brain.Event:2"), step=0)
        self.flush()

    def _write_event(self, body, step):
        event = _pb_double(1, time.time()) + _pb_varint(2, step) + body
        header = struct.pack("<Q", len(event))
        self._f.write(header + struct.pack("<I", masked_crc32c(header)) + event +
                      struct.pack("<I", masked_crc32c(event)))

    def add_summary_value(self, value, step):
        """value: the bytes of one Summary.Value."""
        self._write_event(_pb_bytes(5, _pb_bytes(1, value)), step)

    def scalar(self, tag, value, step):
        meta = _summary_metadata("scalars", data_class=_DATA_CLASS_SCALAR)
        self.add_summary_value(_summary_value(tag, meta, scalar_tensor_proto(value)), step)

    def histogram(self, tag, values, step, buckets=30):
        meta = _summary_metadata("histograms", data_class=_DATA_CLASS_TENSOR)
        proto = histogram_tensor_proto(histogram_buckets(values, buckets))
        self.add_summary_value(_summary_value(tag, meta, proto), step)

    def text_blob(self, tag, text, step, plugin_name, content=b""):
        # no data class, as tf.keras's keras_model_summary (TensorBoard assigns it on load)
        meta = _summary_metadata(plugin_name, content=content)
        self.add_summary_value(_summary_value(tag, meta, string_tensor_proto(text)), step)

    def flush(self):
        self._f.flush()

    def close(self):
        if not self._f.closed:
            self._f.flush()
            self._f.close()


class TensorBoard(Callback):
    """Writes TensorBoard event files: per-epoch scalars 'epoch_<name>' under
    log_dir/train and log_dir/validation (the val_ prefix removed), weight histograms
    '<layer>/<weight>_0' every `histogram_freq` epochs, the model's JSON config as the
    'keras' summary when write_graph=True, and batch-level scalars 'batch_<name>' when
    update_freq is 'batch' or an integer."""

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=2,
                 embeddings_freq=0, embeddings_metadata=None, **kwargs):
        super().__init__()
        self._supports_tf_logs = True
        unknown = set(kwargs) - {"write_grads", "embeddings_layer_names", "embeddings_data",
                                 "batch_size"}
        if unknown:
            raise ValueError("Unrecognized arguments in `TensorBoard` Callback: " + str(unknown))
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._train_accumulated_time = 0
        self._batch_start_time = 0
        self._epoch = 0

    def set_model(self, model):
        self.model = model
        self._writers = {}
        if self.write_graph:
            self._write_keras_model_summary()

    @property
    def _train_writer(self):
        if "train" not in self._writers:
            self._writers["train"] = EventFileWriter(self._train_dir)
        return self._writers["train"]

    @property
    def _val_writer(self):
        if "val" not in self._writers:
            self._writers["val"] = EventFileWriter(self._val_dir)
        return self._writers["val"]

    def _write_keras_model_summary(self):
        model = self.model
        writable = getattr(model, "_is_graph_network", False) or \
            type(model).__name__ == "Sequential"
        if not writable or not hasattr(model, "to_json"):
            return
        try:
            text = model.to_json()
        except Exception as e:  # a model that cannot be serialized is not an error here
            _logger.warning("Model failed to serialize as JSON. Ignoring... %s", e)
            return
        self._train_writer.text_blob("keras", text, 0, "graph_keras_model", content=b"1")
        self._train_writer.flush()

    def _close_writers(self):
        for w in self._writers.values():
            w.close()
        self._writers = {}

    def _implements_train_batch_hooks(self):
        return self.write_steps_per_second or self.update_freq != "epoch"

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._train_accumulated_time = 0

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.write_steps_per_second:
            dt = time.time() - self._batch_start_time
            self._train_accumulated_time += dt
            if dt > 0:
                self._train_writer.scalar("batch_steps_per_second", 1.0 / dt,
                                          self._global_train_batch)
        if self.update_freq != "epoch" and self._global_train_batch % self.update_freq == 0:
            for name, value in _to_python(logs or {}).items():
                if np.ndim(value) == 0:
                    self._train_writer.scalar("batch_" + name, value, self._global_train_batch)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._train_accumulated_time = 0

    def _iterations(self):
        it = getattr(getattr(self.model, "optimizer", None), "iterations", 0)
        return int(np.asarray(_get_value(it)))

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        logs = _to_python(logs)
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k: v for k, v in logs.items() if k.startswith("val_")}
        lr = getattr(getattr(self.model, "optimizer", None), "lr", None)
        if lr is not None and callable(lr) and not hasattr(lr, "numpy"):
            try:
                train_logs["learning_rate"] = float(np.asarray(lr(self.model.optimizer.iterations)))
            except Exception:
                pass
        if self.write_steps_per_second and self._train_accumulated_time > 0:
            train_logs["steps_per_second"] = (
                (self._iterations() - self._previous_epoch_iterations)
                / self._train_accumulated_time)
        if train_logs:
            w = self._train_writer
            for name, value in train_logs.items():
                if np.ndim(value) == 0:
                    w.scalar("epoch_" + name, value, epoch)
            w.flush()
        if val_logs:
            w = self._val_writer
            for name, value in val_logs.items():
                if np.ndim(value) == 0:
                    w.scalar("epoch_" + name[4:], value, epoch)
            w.flush()

    def _log_weights(self, epoch):
        w = self._train_writer
        for layer in getattr(self.model, "layers", []):
            for weight in getattr(layer, "weights", []):
                name = weight.name.replace(":", "_")
                w.histogram(name, np.asarray(weight), epoch)
        w.flush()
