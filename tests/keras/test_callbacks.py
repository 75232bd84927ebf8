"""keras.callbacks: hook order, History, progress output, ModelCheckpoint, EarlyStopping,
ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, LambdaCallback and
TensorBoard event files (read back with the tensorboard package's own reader)."""
import glob
import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks as cbm
from minikeras import layers, models, tf
from minikeras.trainers import Trainer
from minikeras.utils import progbar as progbar_module

if issubclass(models.Model, Trainer):
    Sequential = models.Sequential
else:
    class Sequential(Trainer, models.Sequential):
        pass


def data(n=64, d=8, k=3, s=0):
    rng = np.random.RandomState(s)
    x = rng.rand(n, d)
    y = rng.randint(0, k, n)
    return x, y


def model_(d=8, k=3):
    keras.utils.set_random_seed(0)
    m = Sequential([layers.InputLayer(d), layers.Dense(16, "relu"), layers.Dense(k)])
    m.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              optimizer=keras.optimizers.Adam(), metrics="accuracy")
    return m


class Recorder(cbm.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            events = object.__getattribute__(self, "events")

            def hook(*args):
                events.append((name,) + tuple(a for a in args if isinstance(a, int)))
            return hook
        return object.__getattribute__(self, name)

    def _implements_train_batch_hooks(self):
        return True

    def _implements_test_batch_hooks(self):
        return True

    def _implements_predict_batch_hooks(self):
        return True


# ---- order of hooks ------------------------------------------------------------------------

def test_hook_order_in_fit_evaluate_predict():
    x, y = data(48)
    m = model_()
    rec = Recorder()
    m.fit(x, y, batch_size=32, epochs=2, validation_data=(x[:20], y[:20]), callbacks=[rec],
          verbose=0)
    epoch = [("on_train_batch_begin", 0), ("on_train_batch_end", 0),
             ("on_train_batch_begin", 1), ("on_train_batch_end", 1),
             ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
             ("on_test_end",)]
    assert rec.events == ([("on_train_begin",)] +
                          [("on_epoch_begin", 0)] + epoch + [("on_epoch_end", 0)] +
                          [("on_epoch_begin", 1)] + epoch + [("on_epoch_end", 1)] +
                          [("on_train_end",)])
    rec.events = []
    m.evaluate(x, y, batch_size=32, callbacks=[rec], verbose=0)
    assert rec.events == [("on_test_begin",), ("on_test_batch_begin", 0),
                          ("on_test_batch_end", 0), ("on_test_batch_begin", 1),
                          ("on_test_batch_end", 1), ("on_test_end",)]
    rec.events = []
    m.predict(x, batch_size=48, callbacks=[rec])
    assert rec.events == [("on_predict_begin",), ("on_predict_batch_begin", 0),
                          ("on_predict_batch_end", 0), ("on_predict_end",)]


def test_callback_sees_model_params_and_logs():
    x, y = data()
    m = model_()
    seen = {}

    class C(cbm.Callback):
        def on_train_begin(self, logs=None):
            seen["model"] = self.model
            seen["params"] = dict(self.params)

        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("batch_logs", []).append(dict(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen["epoch_logs"] = dict(logs)

    m.fit(x, y, batch_size=16, epochs=3, validation_data=(x, y), callbacks=[C()], verbose=0)
    assert seen["model"] is m
    assert seen["params"] == {"verbose": 0, "epochs": 3, "steps": 4}
    assert len(seen["batch_logs"]) == 12
    assert set(seen["batch_logs"][0]) == {"loss", "accuracy"}
    assert set(seen["epoch_logs"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert seen["epoch_logs"]["loss"] == m.history.history["loss"][-1]


def test_stop_training_from_a_callback():
    x, y = data()
    m = model_()

    class Stop(cbm.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    h = m.fit(x, y, batch_size=16, epochs=5, callbacks=[Stop()], verbose=0)
    assert len(h.history["loss"]) == 1


def test_lambda_callback_and_terminate_on_nan(capsys):
    x, y = data()
    m = model_()
    ends = []
    m.fit(x, y, epochs=2, verbose=0, callbacks=[cbm.LambdaCallback(
        on_epoch_end=lambda epoch, logs: ends.append((epoch, sorted(logs))))])
    assert ends == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]
    t = cbm.TerminateOnNaN()
    t.set_model(m)
    m.stop_training = False
    t.on_batch_end(3, {"loss": 1.0})
    assert not m.stop_training
    t.on_batch_end(4, {"loss": float("nan")})
    assert m.stop_training
    assert capsys.readouterr().out == "Batch 4: Invalid loss, terminating training\n"
    xn = x.copy()
    xn[5, 0] = np.nan
    lin = Sequential([layers.InputLayer(8), layers.Dense(3)])
    lin.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = lin.fit(xn, y, batch_size=8, epochs=3, verbose=0, shuffle=False,
                callbacks=[cbm.TerminateOnNaN()])
    assert len(h.history["loss"]) == 1 and np.isnan(h.history["loss"][0])


# ---- progress output ------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.t = 100.0

    def time(self):
        return self.t


class Ticker(cbm.Callback):
    """Moves the fake clock forward at the start of every batch."""

    def __init__(self, clock, dt):
        super().__init__()
        self.clock, self.dt = clock, dt

    def _tick(self, batch, logs=None):
        self.clock.t += self.dt

    on_train_batch_begin = on_test_batch_begin = on_predict_batch_begin = _tick


def test_progbar_logger_output(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(progbar_module, "time", clock)
    x, y = data(64)
    m = model_()
    h = m.fit(x, y, batch_size=32, epochs=2, validation_data=(x, y), verbose=2,
              callbacks=[Ticker(clock, 0.5)])
    out = capsys.readouterr().out
    hh = h.history
    # the epoch's time includes its validation (2 train + 2 validation batches of 0.5 s)
    lines = ["Epoch 1/2",
             "2/2 - 2s - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f" % (
                 hh["loss"][0], hh["accuracy"][0], hh["val_loss"][0], hh["val_accuracy"][0]),
             "Epoch 2/2",
             "2/2 - 2s - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f" % (
                 hh["loss"][1], hh["accuracy"][1], hh["val_loss"][1], hh["val_accuracy"][1])]
    assert out == "\n".join(lines) + "\n"
    r = m.evaluate(x, y, batch_size=64, verbose=1, callbacks=[Ticker(clock, 2.0)])
    out = capsys.readouterr().out
    running = "1/1 [==============================] - ETA: 0s - loss: %.4f - accuracy: %.4f" % (
        tuple(r))
    assert out == ("\r" + running + "\b" * len(running) + "\r"
                   "1/1 [==============================] - 2s 2s/step - loss: %.4f"
                   " - accuracy: %.4f\n" % tuple(r))
    m.predict(x, batch_size=32, verbose=1, callbacks=[Ticker(clock, 0.004)])
    out = capsys.readouterr().out
    assert out.split("\r")[-1] == "2/2 [==============================] - 0s 4ms/step\n"


def test_fit_verbose1_bar(monkeypatch, capsys):
    clock = FakeClock()
    monkeypatch.setattr(progbar_module, "time", clock)
    x, y = data(96)
    m = model_()
    h = m.fit(x, y, batch_size=32, epochs=1, verbose=1, callbacks=[Ticker(clock, 1.0)])
    out = capsys.readouterr().out
    parts = out.split("\r")
    assert parts[0] == ""
    assert parts[1].startswith("1/3 [=========>....................] - ETA: 2s - loss: ")
    assert parts[2].startswith("2/3 [===================>..........] - ETA: 1s - loss: ")
    # the last batch is drawn as a running line, then redrawn final by on_epoch_end
    assert parts[3].startswith("3/3 [==============================] - ETA: 0s - loss: ")
    assert parts[4] == ("3/3 [==============================] - 3s 1s/step - loss: %.4f"
                        " - accuracy: %.4f\n" % (h.history["loss"][0], h.history["accuracy"][0]))
    # each redraw first erases the previous line with backspaces
    first = parts[1][:parts[1].index("\b")]
    assert parts[1] == first + "\b" * len(first)


# ---- History ---------------------------------------------------------------------------------------

def test_history_reused_across_fit_calls():
    x, y = data()
    m = model_()
    m.history = cbm.History()
    for _ in range(3):
        m.fit(x, y, epochs=1, callbacks=[m.history], verbose=0)
    assert len(m.history.history["loss"]) == 3
    h = m.fit(x, y, epochs=2, verbose=0)          # a new History otherwise
    assert len(h.history["loss"]) == 2 and m.history is h


# ---- EarlyStopping ---------------------------------------------------------------------------------

class FakeModel:
    """Records what callbacks do to a model."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.saved = []
        self._is_graph_network = True
        self.optimizer = keras.optimizers.SGD(lr)
        self.history = None

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, ws):
        self.weights = [w.copy() for w in ws]

    def save(self, filepath, overwrite=True, **kwargs):
        self.saved.append(("save", filepath))

    def save_weights(self, filepath, overwrite=True, **kwargs):
        self.saved.append(("save_weights", filepath))


def drive(cb, values, key="val_loss", model=None, weights=None):
    model = model or FakeModel()
    cb.set_model(model)
    cb.on_train_begin({})
    stopped_at = None
    for epoch, v in enumerate(values):
        cb.on_epoch_begin(epoch, {})
        if weights is not None:
            model.weights = [np.full(2, float(weights[epoch]))]
        logs = {key: v}
        cb.on_epoch_end(epoch, logs)
        if model.stop_training:
            stopped_at = epoch
            break
    cb.on_train_end({})
    return model, stopped_at


def test_early_stopping_patience_and_message(capsys):
    es = cbm.EarlyStopping(monitor="val_loss", patience=2, verbose=1)
    _, stopped = drive(es, [1.0, 0.9, 0.95, 0.96, 0.5])
    assert stopped == 3
    assert capsys.readouterr().out == "Epoch 00004: early stopping\n"
    # defaults: patience 0 stops at the first non-improvement
    _, stopped = drive(cbm.EarlyStopping(), [1.0, 1.0])
    assert stopped == 1
    # min_delta: an improvement smaller than it does not count
    _, stopped = drive(cbm.EarlyStopping(min_delta=0.1), [1.0, 0.95])
    assert stopped == 1


def test_early_stopping_mode_auto_baseline_and_restore(capsys):
    for name in ("val_accuracy", "val_acc", "auc"):
        _, stopped = drive(cbm.EarlyStopping(monitor=name), [0.5, 0.6, 0.55], key=name)
        assert stopped == 2
    _, stopped = drive(cbm.EarlyStopping(monitor="loss", mode="max"), [1.0, 2.0, 1.5], key="loss")
    assert stopped == 2
    _, stopped = drive(cbm.EarlyStopping(baseline=0.5, patience=2), [0.6, 0.55, 0.4])
    assert stopped == 1
    model, stopped = drive(cbm.EarlyStopping(patience=1, restore_best_weights=True, verbose=1),
                           [1.0, 0.5, 0.7], weights=[10, 20, 30])
    assert stopped == 2 and model.weights[0][0] == 20
    assert capsys.readouterr().out == ("Restoring model weights from the end of the best epoch.\n"
                                       "Epoch 00003: early stopping\n")


def test_early_stopping_in_fit_docstring_example():
    callback = cbm.EarlyStopping(monitor="loss", patience=3)
    m = Sequential([layers.Dense(10)])
    m.compile(keras.optimizers.SGD(), loss="mse")
    history = m.fit(np.arange(100).reshape(5, 20), np.zeros(5), epochs=10, batch_size=1,
                    callbacks=[callback], verbose=0)
    assert len(history.history["loss"]) == 4


# ---- learning rate callbacks -------------------------------------------------------------------------

def test_reduce_lr_on_plateau(capsys):
    cb = cbm.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=2, verbose=1, cooldown=1,
                               min_lr=0.0005)
    model = FakeModel(lr=0.1)
    cb.set_model(model)
    cb.on_train_begin({})
    lrs, all_logs = [], []
    for epoch, v in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"val_loss": v}
        cb.on_epoch_end(epoch, logs)
        all_logs.append(logs)
        lrs.append(float(model.optimizer.lr.numpy()))
    # reduced after 2 epochs without improvement; the cooldown epoch resets the count and
    # then counts itself (tf.keras's order), the floor is min_lr
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0005, 0.0005],
                               rtol=1e-6)
    assert isinstance(all_logs[0]["lr"], np.float32)
    assert all_logs[3]["lr"] == np.float32(0.01)
    out = capsys.readouterr().out
    assert out == ("\nEpoch 00003: ReduceLROnPlateau reducing learning rate to "
                   "0.010000000149011612.\n"
                   "\nEpoch 00005: ReduceLROnPlateau reducing learning rate to "
                   "0.0009999999776482583.\n"
                   "\nEpoch 00007: ReduceLROnPlateau reducing learning rate to 0.0005.\n")
    # the floor
    for epoch in range(8, 14):
        cb.on_epoch_end(epoch, {"val_loss": 1.0})
    assert float(model.optimizer.lr.numpy()) == pytest.approx(0.0005)
    with pytest.raises(ValueError, match="factor >= 1.0"):
        cbm.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_adds_lr_to_history():
    x, y = data()
    m = model_()
    h = m.fit(x, y, epochs=2, validation_data=(x, y), verbose=0,
              callbacks=[cbm.ReduceLROnPlateau(patience=0, min_delta=10.0)])
    assert list(h.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    # 'lr' is read before this epoch's reduction
    np.testing.assert_allclose(h.history["lr"], [0.001, 0.001], rtol=1e-6)
    assert float(m.optimizer.lr.numpy()) == pytest.approx(0.0001)


def test_learning_rate_scheduler_docstring_example(capsys):
    def scheduler(epoch, lr):
        if epoch < 10:
            return lr
        return lr * tf.math.exp(-0.1)

    m = Sequential([layers.Dense(10)])
    m.compile(keras.optimizers.SGD(), loss="mse")
    assert round(float(m.optimizer.lr.numpy()), 5) == 0.01
    callback = cbm.LearningRateScheduler(scheduler)
    h = m.fit(np.arange(100).reshape(5, 20), np.zeros(5), epochs=15, callbacks=[callback],
              verbose=0)
    assert round(float(m.optimizer.lr.numpy()), 5) == 0.00607
    assert len(h.history["lr"]) == 15
    # one-argument schedules and the verbose message
    cb = cbm.LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1), verbose=1)
    model = FakeModel()
    cb.set_model(model)
    cb.on_epoch_begin(1, {})
    assert float(model.optimizer.lr.numpy()) == pytest.approx(0.25)
    assert capsys.readouterr().out == ("\nEpoch 00002: LearningRateScheduler reducing learning "
                                       "rate to 0.25.\n")
    bad = cbm.LearningRateScheduler(lambda epoch, lr: "x")
    bad.set_model(model)
    with pytest.raises(ValueError, match="should be float"):
        bad.on_epoch_begin(0, {})


# ---- ModelCheckpoint -------------------------------------------------------------------------------

def test_model_checkpoint_formats_paths_and_saves_each_epoch(tmp_path, capsys):
    path = str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5")
    cb = cbm.ModelCheckpoint(path, verbose=1)
    model, _ = drive(cb, [0.5, 0.25])
    assert model.saved == [("save", str(tmp_path / "w.01-0.50.h5")),
                           ("save", str(tmp_path / "w.02-0.25.h5"))]
    assert capsys.readouterr().out == ("\nEpoch 00001: saving model to %s\n"
                                       "\nEpoch 00002: saving model to %s\n"
                                       % (model.saved[0][1], model.saved[1][1]))
    cb = cbm.ModelCheckpoint(str(tmp_path / "x.h5"), save_weights_only=True)
    model, _ = drive(cb, [1.0])
    assert model.saved == [("save_weights", str(tmp_path / "x.h5"))]
    with pytest.raises(KeyError, match="Failed to format"):
        drive(cbm.ModelCheckpoint(str(tmp_path / "{nope}.h5")), [1.0])


def test_model_checkpoint_best_only(capsys):
    cb = cbm.ModelCheckpoint("best_model.h5", monitor="val_accuracy", verbose=1, mode="max",
                             save_best_only=True)
    model, _ = drive(cb, [0.5, 0.7, 0.6, 0.8], key="val_accuracy")
    assert model.saved == [("save", "best_model.h5")] * 3
    assert capsys.readouterr().out == (
        "\nEpoch 00001: val_accuracy improved from -inf to 0.50000, saving model to best_model.h5\n"
        "\nEpoch 00002: val_accuracy improved from 0.50000 to 0.70000, saving model to "
        "best_model.h5\n"
        "\nEpoch 00003: val_accuracy did not improve from 0.70000\n"
        "\nEpoch 00004: val_accuracy improved from 0.70000 to 0.80000, saving model to "
        "best_model.h5\n")
    # mode auto: max for 'acc' names, min otherwise
    assert cbm.ModelCheckpoint("a", monitor="val_acc").monitor_op is np.greater
    assert cbm.ModelCheckpoint("a").monitor_op is np.less


def test_model_checkpoint_batch_frequency_and_subclassed_models():
    cb = cbm.ModelCheckpoint("b{epoch}.h5", save_freq=2)
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_begin({})
    cb.on_epoch_begin(0, {})
    for b in range(5):
        cb.on_train_batch_end(b, {"loss": 1.0})
    cb.on_epoch_end(0, {"loss": 1.0})
    assert model.saved == [("save", "b1.h5"), ("save", "b1.h5")]
    assert cb._implements_train_batch_hooks()
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        cbm.ModelCheckpoint("a", save_freq="batch")
    # a subclassed model (not functional, not Sequential) saves weights only
    model = FakeModel()
    model._is_graph_network = False
    cb = cbm.ModelCheckpoint("c.h5")
    cb.set_model(model)
    assert cb.save_weights_only


def test_model_checkpoint_in_fit_calls_model_save(tmp_path, monkeypatch):
    x, y = data()
    m = model_()
    calls = []
    monkeypatch.setattr(type(m), "save", lambda self, fp, overwrite=True, **kw: calls.append(fp),
                        raising=False)
    m.fit(x, y, epochs=3, validation_data=(x, y), verbose=0, callbacks=[
        cbm.ModelCheckpoint(str(tmp_path / "m{epoch}.h5"), monitor="val_accuracy",
                            save_best_only=True, mode="max")])
    assert 1 <= len(calls) <= 3 and calls[0] == str(tmp_path / "m1.h5")


# ---- CSVLogger -----------------------------------------------------------------------------------

def test_csv_logger(tmp_path):
    x, y = data()
    m = model_()
    path = str(tmp_path / "log.csv")
    h = m.fit(x, y, epochs=2, verbose=0, callbacks=[cbm.CSVLogger(path)])
    lines = open(path).read().splitlines()
    assert lines[0] == "epoch,accuracy,loss"
    assert lines[1] == "0,%r,%r" % (h.history["accuracy"][0], h.history["loss"][0])
    assert len(lines) == 3
    m.fit(x, y, epochs=1, verbose=0, callbacks=[cbm.CSVLogger(path, append=True)])
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[3].startswith("0,")
    m.fit(x, y, epochs=1, verbose=0, callbacks=[cbm.CSVLogger(path, separator=";")])
    assert open(path).read().splitlines()[0] == "epoch;accuracy;loss"


# ---- TensorBoard ----------------------------------------------------------------------------------

def test_crc32c_and_varints():
    assert cbm.crc32c(b"123456789") == 0xE3069283
    assert cbm.crc32c(b"") == 0
    assert cbm._varint(300) == b"\xac\x02"
    assert cbm._varint(1) == b"\x01"


def _read_tensors(run_dir, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util
    acc = EventAccumulator(run_dir, size_guidance={"tensors": 0})
    acc.Reload()
    if tag not in acc.Tags()["tensors"]:
        return acc, None
    return acc, [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def test_tensorboard_event_files(tmp_path):
    pytest.importorskip("tensorboard")
    x, y = data()
    m = model_()
    log_dir = str(tmp_path / "logs")
    h = m.fit(x, y, epochs=3, validation_data=(x, y), verbose=0,
              callbacks=[cbm.TensorBoard(log_dir=log_dir, histogram_freq=1)])
    train_files = glob.glob(os.path.join(log_dir, "train", "events.out.tfevents.*"))
    val_files = glob.glob(os.path.join(log_dir, "validation", "events.out.tfevents.*"))
    assert len(train_files) == 1 and len(val_files) == 1
    assert train_files[0].endswith(".v2")
    acc, loss = _read_tensors(os.path.join(log_dir, "train"), "epoch_loss")
    assert [s for s, _ in loss] == [0, 1, 2]
    np.testing.assert_allclose([float(v) for _, v in loss], h.history["loss"], rtol=1e-6)
    _, accuracy = _read_tensors(os.path.join(log_dir, "train"), "epoch_accuracy")
    np.testing.assert_allclose([float(v) for _, v in accuracy], h.history["accuracy"], rtol=1e-6)
    _, val_loss = _read_tensors(os.path.join(log_dir, "validation"), "epoch_loss")
    np.testing.assert_allclose([float(v) for _, v in val_loss], h.history["val_loss"], rtol=1e-6)
    assert acc.SummaryMetadata("epoch_loss").plugin_data.plugin_name == "scalars"
    # weight histograms: tag '<layer>/<weight>_0', (left, right, count) buckets
    kernel = m.layers[0].kernel
    tag = kernel.name.replace(":", "_")
    _, hist = _read_tensors(os.path.join(log_dir, "train"), tag)
    assert [s for s, _ in hist] == [0, 1, 2]
    buckets = hist[-1][1]
    assert buckets.shape == (30, 3) and buckets[:, 2].sum() == kernel.numpy().size
    k = kernel.numpy().astype(np.float64)
    assert buckets[0, 0] == pytest.approx(k.min()) and buckets[-1, 1] == pytest.approx(k.max())
    assert acc.SummaryMetadata(tag).plugin_data.plugin_name == "histograms"
    bias_tag = m.layers[0].bias.name.replace(":", "_")
    assert bias_tag in acc.Tags()["tensors"]
    # write_graph=True: the model's JSON config as the 'keras' summary at step 0
    _, keras_summary = _read_tensors(os.path.join(log_dir, "train"), "keras")
    assert keras_summary[0][0] == 0
    assert json.loads(keras_summary[0][1].item().decode())["class_name"] == "Sequential"
    assert acc.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"


def test_tensorboard_batch_updates_and_histogram_buckets(tmp_path):
    pytest.importorskip("tensorboard")
    x, y = data()
    m = model_()
    log_dir = str(tmp_path / "tb")
    m.fit(x, y, epochs=1, batch_size=16, verbose=0,
          callbacks=[cbm.TensorBoard(log_dir=log_dir, update_freq="batch")])
    _, batch_loss = _read_tensors(os.path.join(log_dir, "train"), "batch_loss")
    assert [s for s, _ in batch_loss] == [1, 2, 3, 4]
    assert not os.path.exists(os.path.join(log_dir, "validation"))
    b = cbm.histogram_buckets(np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(b, [[0.5, 1.5, 3.0]])
    b = cbm.histogram_buckets(np.array([0.0, 1.0, 2.0, 3.0]), bucket_count=3)
    np.testing.assert_allclose(b, [[0, 1, 1], [1, 2, 1], [2, 3, 2]])
    assert cbm.histogram_buckets(np.zeros(0)).shape == (0, 3)
