"""compile / fit / evaluate / predict (the Trainer mixin of keras.Model), checked against
numpy computations and tf.keras 2.5 behaviour (History keys, 'acc' naming, class and
sample weights, generators, Sequence, validation_split, traced == eager, the course's
CustomSequential train_step and triplet-style metrics)."""
import logging
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, models, tf
from minikeras.callbacks import History
from minikeras.trainers import Sequence, Trainer

# Until the lead merges `class Model(Trainer, Layer)`, test through subclasses that add it.
if issubclass(models.Model, Trainer):
    Sequential, Model = models.Sequential, models.Model
else:
    class Sequential(Trainer, models.Sequential):
        pass

    class Model(Trainer, models.Model):
        pass


def seed(s=0):
    keras.utils.set_random_seed(s)


def mnist_like(n=300, d=20, k=10, s=0):
    rng = np.random.RandomState(s)
    x = rng.rand(n, d)                       # float64, as the course's X / 255
    w = rng.randn(d, k)
    y = np.argmax(x @ w + 0.3 * rng.randn(n, k), axis=1).astype(np.uint8)
    return x, y


def mlp(d=20, k=10, hidden=32, activation=None):
    return Sequential([layers.InputLayer(d), layers.Dense(hidden, "relu"),
                       layers.Dense(hidden, "relu"), layers.Dense(k, activation)])


def logits_loss(logits, y, w=None):
    """Sparse softmax crossentropy from logits, mean over the batch (sum_over_batch_size)."""
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    per = -logp[np.arange(len(y)), y.astype(int)]
    if w is not None:
        per = per * w
    return per.mean()


def compile_course(model, metrics="accuracy", **kw):
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(), metrics=metrics, **kw)
    return model


# ---- the course's MLP -------------------------------------------------------------------------

def test_fit_history_keys_values_and_model_history():
    seed(0)
    x, y = mnist_like()
    xt, yt = mnist_like(120, s=1)
    model = compile_course(mlp())
    assert model.metrics_names == []
    h = model.fit(x, y, validation_data=(xt, yt), epochs=3, batch_size=64, verbose=0)
    assert isinstance(h, History) and model.history is h
    assert list(h.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert h.epoch == [0, 1, 2]
    for v in h.history.values():
        assert len(v) == 3 and all(isinstance(e, float) for e in v)
    assert model.metrics_names == ["loss", "accuracy"]
    # the training loss goes down on this learnable problem
    assert h.history["loss"][2] < h.history["loss"][0]
    # val_ values are what evaluate gives at the end of the epoch
    loss, acc = model.evaluate(xt, yt, verbose=0)
    assert loss == pytest.approx(h.history["val_loss"][-1], rel=1e-6)
    assert acc == pytest.approx(h.history["val_accuracy"][-1], rel=1e-6)
    # and they agree with numpy on the model's predictions
    logits = model.predict(xt)
    assert loss == pytest.approx(logits_loss(logits, yt), rel=1e-5)
    assert acc == pytest.approx(np.mean(np.argmax(logits, 1) == yt), abs=1e-7)


def test_acc_name_is_kept_and_resolved_from_shapes():
    seed(1)
    x, y = mnist_like(100)
    model = compile_course(mlp(), metrics=["acc"])
    h = model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert list(h.history) == ["loss", "acc", "val_loss", "val_acc"]
    # sparse labels of shape (n,) against (n, 10) logits: sparse categorical accuracy
    logits = model.predict(x)
    assert model.evaluate(x, y, verbose=0)[1] == pytest.approx(
        np.mean(np.argmax(logits, 1) == y), abs=1e-7)
    # one-hot targets: categorical accuracy; a single sigmoid unit: binary accuracy
    model2 = mlp(k=3, activation="softmax")
    model2.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    yoh = np.eye(3)[y % 3]
    model2.fit(x, yoh, verbose=0)
    p = model2.predict(x)
    assert model2.evaluate(x, yoh, verbose=0)[1] == pytest.approx(
        np.mean(np.argmax(p, 1) == y % 3), abs=1e-7)
    model3 = mlp(k=1, activation="sigmoid")
    model3.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    yb = (y % 2).astype(np.float32)
    model3.fit(x, yb, verbose=0)
    p = model3.predict(x)[:, 0]
    assert model3.evaluate(x, yb, verbose=0)[1] == pytest.approx(
        np.mean((p > 0.5) == (yb > 0.5)), abs=1e-7)


def test_first_step_loss_is_the_initial_loss_and_sgd_update_is_exact():
    seed(2)
    x, y = mnist_like(64)
    model = mlp()
    w0 = model.get_weights()
    logits0 = model.predict(x)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.SGD(0.1), metrics="accuracy")
    h = model.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0)
    # one batch: the tracked loss is the loss before the update
    assert h.history["loss"][0] == pytest.approx(logits_loss(logits0, y), rel=1e-5)
    assert h.history["accuracy"][0] == pytest.approx(np.mean(np.argmax(logits0, 1) == y))
    # the update is a plain SGD step with the tape's gradients
    model2 = mlp()
    model2.set_weights(w0)
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
            y, model2(x.astype(np.float32), training=True))
    grads = tape.gradient(loss, model2.trainable_variables)
    for w, g, v in zip(w0, grads, model.get_weights()):
        np.testing.assert_allclose(v, w - 0.1 * np.asarray(g), rtol=1e-4, atol=1e-6)


def test_class_weight_and_sample_weight():
    seed(3)
    x, y = mnist_like(50, k=3)
    model = mlp(k=3)
    logits0 = model.predict(x)
    cw = {0: 1.0, 1: 2.0, 2: 0.5}
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.SGD(0.0), metrics="accuracy",
                  weighted_metrics=["accuracy"])
    w = np.array([cw[int(c)] for c in y])
    h = model.fit(x, y, batch_size=50, class_weight=cw, shuffle=False, verbose=0)
    # sum over batch size: sum(w * l) / n
    assert h.history["loss"][0] == pytest.approx(logits_loss(logits0, y, w), rel=1e-5)
    correct = np.argmax(logits0, 1) == y
    assert h.history["accuracy"][0] == pytest.approx(correct.mean())          # unweighted
    assert h.history["weighted_accuracy"][0] == pytest.approx((correct * w).sum() / w.sum())
    sw = np.linspace(0.1, 2.0, 50)
    h = model.fit(x, y, batch_size=50, sample_weight=sw, shuffle=False, verbose=0)
    assert h.history["loss"][0] == pytest.approx(logits_loss(logits0, y, sw), rel=1e-5)
    # both: multiplied
    h = model.fit(x, y, batch_size=50, sample_weight=sw, class_weight=cw, shuffle=False,
                  verbose=0)
    assert h.history["loss"][0] == pytest.approx(logits_loss(logits0, y, sw * w), rel=1e-5)
    assert model.evaluate(x, y, sample_weight=sw, batch_size=50, verbose=0)[0] == \
        pytest.approx(logits_loss(logits0, y, sw), rel=1e-5)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight={0: 1.0, 2: 1.0}, verbose=0)


def test_traced_and_eager_give_the_same_loss_curve():
    x, y = mnist_like(200)

    def run(run_eagerly):
        seed(5)
        model = Sequential([layers.InputLayer(20), layers.Dense(32, "relu"),
                            layers.Dropout(0.3), layers.Dense(10)])
        compile_course(model, run_eagerly=run_eagerly)
        h = model.fit(x, y, validation_data=(x[:50], y[:50]), batch_size=32, epochs=3,
                      verbose=0)
        return h.history, model.get_weights()

    (h1, w1), (h2, w2) = run(False), run(True)
    for k in h1:
        np.testing.assert_allclose(h1[k], h2[k], rtol=1e-5, err_msg=k)
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_fit_replays_a_traced_step():
    seed(6)
    x, y = mnist_like(100)
    model = compile_course(mlp())
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    tf_fn = model.train_function
    assert tf_fn.mode == "graph"
    # 100 = 3 * 32 + 4: two signatures, traced once each, replayed afterwards
    assert tf_fn._fns["graph"].experimental_get_tracing_count() == 2


def test_custom_sequential_train_step_from_the_course():
    class CustomSequential(Sequential):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = mnist_like(160)
    results = []
    for cls in (CustomSequential, Sequential):
        seed(7)
        model = cls([layers.InputLayer(20), layers.Dense(32, "relu"), layers.Dense(32, "relu"),
                     layers.Dense(10, "softmax")])
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                      metrics="accuracy")
        h = model.fit(x, y, validation_data=(x[:40], y[:40]), epochs=2, batch_size=32,
                      shuffle=False, verbose=0)
        results.append(h.history)
    assert list(results[0]) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    for k in results[0]:
        np.testing.assert_allclose(results[0][k], results[1][k], rtol=1e-5)


# ---- metrics that branch in Python (the course's triplet_accuracy) ---------------------------------

def _accuracy_on_single_sample(y_t, y_p):
    if tf.reduce_max(y_p) <= 0.15:          # "annotators disagree": not counted
        return np.nan
    return tf.cast(tf.equal(tf.cast(tf.argmax(y_p), tf.float32), y_t), tf.float32)


def branchy_accuracy(y_true, y_pred):
    """Shaped like the course's triplet_accuracy: per-sample Python `if` on tensor values,
    np.nan for skipped samples, nanmean, and `if tf.math.is_nan(accuracy)`."""
    n = y_pred.shape[0]
    y_pred = tf.nn.softmax(y_pred)
    preds = tf.split(y_pred, n, axis=0)
    trues = tf.split(tf.reshape(tf.cast(y_true, tf.float32), [-1]), n, axis=0)
    accuracies = [_accuracy_on_single_sample(t[0], p[0]) for t, p in zip(trues, preds)]
    accuracy = tf.experimental.numpy.nanmean(accuracies)
    if tf.math.is_nan(accuracy):
        return 0.5
    return accuracy


def test_python_branching_metric_matches_eager_values():
    x, y = mnist_like(120)

    def run(run_eagerly):
        seed(8)
        # with dropout: the failed trace attempt must not shift the random stream
        model = Sequential([layers.InputLayer(20), layers.Dense(32, "relu"),
                            layers.Dropout(0.2), layers.Dense(10)])
        compile_course(model, metrics=[branchy_accuracy], run_eagerly=run_eagerly)
        h = model.fit(x, y, validation_data=(x[:60], y[:60]), batch_size=16, epochs=2,
                      verbose=0)
        ev = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
        return model, h.history, ev

    m1, h1, e1 = run(False)
    m2, h2, e2 = run(True)
    assert m1.train_function.mode == "split" and m1.test_function.mode == "split"
    assert list(h1) == ["loss", "branchy_accuracy", "val_loss", "val_branchy_accuracy"]
    for k in h1:
        np.testing.assert_allclose(h1[k], h2[k], rtol=1e-5, err_msg=k)
    assert e1 == pytest.approx(e2, rel=1e-5)
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert np.all(np.isfinite(h1["branchy_accuracy"]))


def test_model_whose_call_branches_runs_eagerly_with_a_warning():
    class Branchy(Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(10)

        def call(self, x, training=None):
            out = self.d(x)
            if tf.reduce_sum(out) > 1e9:
                return out * 0
            return out

    x, y = mnist_like(64)
    hs = []
    for eager in (False, True):
        seed(9)
        model = compile_course(Branchy(), run_eagerly=eager)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            hs.append(model.fit(x, y, batch_size=32, epochs=2, verbose=0).history)
        if not eager:
            assert model.train_function.mode == "eager"
            assert any("cannot be traced" in str(r.message) for r in rec)
    np.testing.assert_allclose(hs[0]["loss"], hs[1]["loss"], rtol=1e-5)


# ---- data sources -------------------------------------------------------------------------------------

def test_zeros_generator_from_the_course():
    def zeros_generator():
        while True:
            yield np.zeros((64, 100)), np.zeros((64, 10))

    model = Sequential([layers.Dense(10)])
    model.compile(loss="mse", optimizer="adam")
    h = model.fit(zeros_generator(), steps_per_epoch=10, verbose=0)
    assert h.history["loss"] == [0.0]
    assert model.layers[0].kernel.shape == (100, 10)


def test_generator_without_steps_runs_out():
    x, y = mnist_like(64)

    def gen():
        for i in range(0, 64, 16):
            yield x[i:i + 16], y[i:i + 16]

    model = compile_course(mlp())
    seen = []
    cb = keras.callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(b))
    h = model.fit(gen(), epochs=3, verbose=0, callbacks=[cb])
    # epoch 1 learns that the generator yields 4 batches; epoch 2 finds it empty and stops
    assert seen == [0, 1, 2, 3]
    assert len(h.history["loss"]) == 2


def test_sequence_batches_order_and_on_epoch_end():
    x, y = mnist_like(90)

    class Seq(Sequence):
        def __init__(self):
            self.calls, self.epochs = [], 0

        def __len__(self):
            return 3

        def __getitem__(self, i):
            self.calls.append(i)
            return x[30 * i:30 * (i + 1)], y[30 * i:30 * (i + 1)]

        def on_epoch_end(self):
            self.epochs += 1

    seq = Seq()
    model = compile_course(mlp())
    h = model.fit(seq, epochs=2, shuffle=False, verbose=0)
    assert seq.calls == [0, 1, 2, 0, 1, 2] and seq.epochs == 2
    assert len(h.history["loss"]) == 2
    seq.calls = []
    model.fit(seq, epochs=1, verbose=0)            # shuffle=True: a permutation of the batches
    assert sorted(seq.calls) == [0, 1, 2]
    # evaluate / predict on the Sequence = on the arrays
    assert model.evaluate(seq, verbose=0) == pytest.approx(
        model.evaluate(x, y, batch_size=30, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(seq), model.predict(x), rtol=1e-5, atol=1e-6)


def test_iterable_dataset_like_object_is_iterated_each_epoch():
    x, y = mnist_like(64)

    class Batches:
        def __init__(self):
            self.iterations = 0

        def __iter__(self):
            self.iterations += 1
            for i in range(0, 64, 32):
                yield (x[i:i + 32], y[i:i + 32])

    data = Batches()
    model = compile_course(mlp())
    model.fit(data, epochs=3, verbose=0)
    assert data.iterations == 3


def test_validation_split():
    x, y = mnist_like(100)
    model = compile_course(mlp())
    sw = np.ones(100)
    h = model.fit(x, y, sample_weight=sw, validation_split=0.25, epochs=1, batch_size=25,
                  verbose=0)
    # the last 25 samples, not shuffled, validate
    assert h.history["val_loss"][0] == pytest.approx(
        model.evaluate(x[75:], y[75:], verbose=0)[0], rel=1e-6)
    with pytest.raises(ValueError, match="not sufficient to split"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match="only supported for Tensors or NumPy arrays"):
        model.fit(iter([(x, y)]), validation_split=0.5, verbose=0)


def test_validation_freq_and_steps():
    x, y = mnist_like(96)
    model = compile_course(mlp())
    h = model.fit(x, y, validation_data=(x, y), validation_freq=2, epochs=4, batch_size=32,
                  verbose=0)
    assert len(h.history["loss"]) == 4 and len(h.history["val_loss"]) == 2
    counts = []
    cb = keras.callbacks.LambdaCallback()
    cb.on_test_batch_end = lambda batch, logs: counts.append(batch)
    model.fit(x, y, validation_data=(x, y), validation_steps=2, validation_batch_size=16,
              steps_per_epoch=2, batch_size=32, epochs=1, verbose=0, callbacks=[cb])
    assert counts == [0, 1]


def test_predict_concatenates_partial_batches_and_several_outputs():
    seed(10)
    x, _ = mnist_like(70)
    model = mlp()
    p = model.predict(x, batch_size=32)
    assert p.shape == (70, 10) and p.dtype == np.float32
    np.testing.assert_allclose(p, np.asarray(model(x.astype(np.float32))), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), p[:5], rtol=1e-5, atol=1e-6)
    inp = keras.Input((20,))
    a = layers.Dense(3, name="a")(inp)
    b = layers.Dense(2, name="b")(inp)
    two = Model(inp, [a, b])
    out = two.predict(x, batch_size=16)
    assert isinstance(out, list) and out[0].shape == (70, 3) and out[1].shape == (70, 2)


def test_evaluate_return_forms_and_single_batch_methods():
    seed(11)
    x, y = mnist_like(40)
    model = mlp()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer="sgd")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(loss)}
    compile_course(model, metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(
        from_logits=True)])
    res = model.evaluate(x, y, verbose=0)
    assert len(res) == 3 and res[2] == pytest.approx(res[0], rel=1e-5)
    logits = model.predict(x)
    r = model.test_on_batch(x, y)
    assert r[0] == pytest.approx(logits_loss(logits, y), rel=1e-5)
    d = model.train_on_batch(x, y, return_dict=True)
    assert set(d) == {"loss", "accuracy", "sparse_categorical_crossentropy"}
    assert d["loss"] == pytest.approx(logits_loss(logits, y), rel=1e-5)
    # reset_metrics=True: nothing carried over
    assert all(float(m.result()) == 0.0 for m in model.metrics)


def test_history_object_accumulates_across_fits():
    x, y = mnist_like(64)
    model = compile_course(mlp())
    model.history = keras.callbacks.History()
    for _ in range(3):
        model.fit(x, y, epochs=1, batch_size=64, validation_data=(x, y),
                  callbacks=[model.history], verbose=0)
    assert len(model.history.history["loss"]) == 3
    assert len(model.history.history["val_accuracy"]) == 3
    assert model.history.epoch == [0]


def test_multi_input_multi_output_losses_and_metric_names():
    seed(12)
    rng = np.random.RandomState(0)
    x1, x2 = rng.rand(64, 4), rng.rand(64, 3)
    y1 = rng.randint(0, 3, 64)
    y2 = rng.rand(64, 1)
    i1, i2 = keras.Input((4,), name="i1"), keras.Input((3,), name="i2")
    cls = layers.Dense(3, activation="softmax", name="cls")(i1)
    reg = layers.Dense(1, name="reg")(i2)
    model = Model([i1, i2], [cls, reg])
    p_cls, p_reg = model.predict([x1, x2])
    model.compile(keras.optimizers.SGD(0.0),
                  loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": "accuracy"})
    hist = model.fit([x1, x2], {"cls": y1, "reg": y2}, epochs=1, batch_size=64, shuffle=False,
                     verbose=0)
    assert list(hist.history) == ["loss", "cls_loss", "reg_loss", "cls_accuracy"]
    ce = -np.log(p_cls[np.arange(64), y1]).mean()
    mse = ((p_reg - y2) ** 2).mean()
    assert hist.history["cls_loss"][0] == pytest.approx(ce, rel=1e-5)
    assert hist.history["reg_loss"][0] == pytest.approx(mse, rel=1e-5)
    assert hist.history["loss"][0] == pytest.approx(ce + 0.5 * mse, rel=1e-5)
    assert hist.history["cls_accuracy"][0] == pytest.approx(np.mean(p_cls.argmax(1) == y1))
    # a list of losses by position, a metric list broadcast to every output
    model.compile("sgd", loss=["sparse_categorical_crossentropy", "mse"], metrics=["mae"])
    hist = model.fit([x1, x2], [y1, y2], epochs=1, batch_size=64, verbose=0)
    assert list(hist.history) == ["loss", "cls_loss", "reg_loss", "cls_mae", "reg_mae"]


def test_errors():
    x, y = mnist_like(10)
    model = mlp()
    with pytest.raises(RuntimeError, match="must compile"):
        model.fit(x, y, verbose=0)
    with pytest.raises(TypeError, match="Invalid keyword"):
        model.compile("adam", "mse", foo=1)
    compile_course(model)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(x, y[:5], verbose=0)
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        model.fit(iter([(x, y)]), y, verbose=0)


def test_verbose_output_of_fit(capsys):
    x, y = mnist_like(64)
    model = compile_course(mlp())
    model.fit(x, y, epochs=2, batch_size=32, verbose=2, validation_data=(x, y))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2" and len(out) == 4
    assert out[1].startswith("2/2 - ") and " - loss: " in out[1] and " - val_accuracy: " in out[1]
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=1, batch_size=32)                      # 'auto' -> 1, no Epoch line
    text = capsys.readouterr().out
    assert not text.startswith("Epoch") and text.endswith("\n")
    last = text.split("\r")[-1]
    assert last.startswith("2/2 [==============================] - ")
    assert "/step - loss: " in last and " - accuracy: " in last


def test_trainable_state_at_compile_time_is_respected():
    seed(13)
    x, y = mnist_like(32)
    model = mlp()
    model.layers[0].trainable = False
    compile_course(model)
    model.layers[0].trainable = True       # changed after compile: ignored until recompiled
    k0 = model.layers[0].kernel.numpy().copy()
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), k0)
    assert model.layers[0].trainable is True
    compile_course(model)
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(model.layers[0].kernel.numpy(), k0)


def test_regularization_losses_are_added():
    seed(14)
    x, y = mnist_like(32)
    model = Sequential([layers.InputLayer(20),
                        layers.Dense(10, kernel_regularizer=lambda w: 0.1 * tf.reduce_sum(
                            tf.square(w)))])
    compile_course(model, metrics=None)
    k = model.layers[0].kernel.numpy()
    logits = model.predict(x)
    res = model.evaluate(x, y, batch_size=32, verbose=0)
    assert res == pytest.approx(logits_loss(logits, y) + 0.1 * np.sum(k ** 2), rel=1e-5)


def test_run_out_warning_is_logged(caplog):
    x, y = mnist_like(32)
    model = compile_course(mlp())
    with caplog.at_level(logging.WARNING, logger="minikeras"):
        model.fit(iter([(x, y)]), steps_per_epoch=2, epochs=1, verbose=0)
    assert "Your input ran out of data" in caplog.text
