"""keras.metrics: accumulation, tf.keras 2.5 docstring values, numpy references, tf.function."""
import contextlib
import io

import numpy as np
import pytest

from minikeras import losses, metrics, tf

RNG = np.random.default_rng(4321)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def val(m):
    return float(m.result().numpy())


# ---- the course ------------------------------------------------------------------------------

def test_course_accuracy_accumulates():
    from minikeras.metrics import Accuracy
    acc = Accuracy()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print(acc([0], [1]).numpy())
        print(acc([1], [1]).numpy())
        print(acc([1], [1]).numpy())
    assert buf.getvalue() == "0.0\n0.5\n0.6666667\n"
    acc.reset_state()
    assert val(acc) == 0.0
    acc([1], [1])
    assert val(acc) == 1.0
    acc.reset_states()
    assert val(acc) == 0.0


def test_course_sparse_categorical_accuracy_function():
    import minikeras as keras
    y_test = RNG.integers(0, 10, size=500).astype(np.uint8)
    pred = RNG.normal(size=(500, 10)).astype(np.float32)
    pred[np.arange(400), y_test[:400]] += 10.0          # 400 certainly right
    out = keras.metrics.sparse_categorical_accuracy(y_test, pred)
    assert out.shape == (500,) and out.dtype == tf.float32
    ref = (pred.argmax(-1) == y_test).astype(np.float32)
    close(out, ref)
    assert np.mean(out) == pytest.approx(ref.mean())
    close(metrics.sparse_categorical_accuracy(y_test.reshape(-1, 1), pred), ref)
    close(metrics.sparse_categorical_accuracy(y_test.astype(np.float32), pred), ref)


# ---- docstring examples ------------------------------------------------------------------------------

def check_doc(m, args, expected, sw=None, expected_sw=None, tol=1e-6):
    m.update_state(*args)
    assert val(m) == pytest.approx(expected, abs=tol)
    if sw is not None:
        m.reset_state()
        m.update_state(*args, sample_weight=sw)
        assert val(m) == pytest.approx(expected_sw, abs=tol)


def test_docstrings_accuracies():
    check_doc(metrics.Accuracy(), ([[1], [2], [3], [4]], [[0], [2], [3], [4]]), 0.75, [1, 1, 0, 0], 0.5)
    check_doc(metrics.BinaryAccuracy(), ([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]), 0.75,
              [1, 0, 0, 1], 0.5)
    check_doc(metrics.CategoricalAccuracy(), ([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]),
              0.5, [0.7, 0.3], 0.3)
    check_doc(metrics.SparseCategoricalAccuracy(), ([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]), 0.5,
              [0.7, 0.3], 0.3)
    check_doc(metrics.TopKCategoricalAccuracy(k=1),
              ([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]), 0.5, [0.7, 0.3], 0.3)
    check_doc(metrics.SparseTopKCategoricalAccuracy(k=1), ([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]),
              0.5, [0.7, 0.3], 0.3)


def test_docstrings_regression_and_crossentropy():
    yt, yp = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
    check_doc(metrics.MeanSquaredError(), (yt, yp), 0.25, [1, 0], 0.5)
    check_doc(metrics.MeanAbsoluteError(), (yt, yp), 0.25, [1, 0], 0.5)
    check_doc(metrics.RootMeanSquaredError(), (yt, yp), 0.5, [1, 0], 0.70710677)
    check_doc(metrics.MeanAbsolutePercentageError(), (yt, yp), 250000000.0, [1, 0], 500000000.0, tol=100)
    check_doc(metrics.MeanSquaredLogarithmicError(), (yt, yp), 0.12011322, [1, 0], 0.24022643)
    check_doc(metrics.Hinge(), (yt, [[0.6, 0.4], [0.4, 0.6]]), 1.3, [1, 0], 1.1)
    check_doc(metrics.SquaredHinge(), (yt, [[0.6, 0.4], [0.4, 0.6]]), 1.86, [1, 0], 1.46)
    check_doc(metrics.CategoricalHinge(), (yt, [[0.6, 0.4], [0.4, 0.6]]), 1.4, [1, 0], 1.2)
    check_doc(metrics.KLDivergence(), (yt, [[0.6, 0.4], [0.4, 0.6]]), 0.45814306, [1, 0], 0.9162892, 1e-5)
    check_doc(metrics.Poisson(), (yt, yp), 0.49999997, [1, 0], 0.99999994)
    check_doc(metrics.LogCoshError(), (yt, yp), 0.10844523, [1, 0], 0.21689045)
    check_doc(metrics.CosineSimilarity(axis=1), ([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]), 0.49999997,
              [0.3, 0.7], 0.6999999)
    pc = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    check_doc(metrics.CategoricalCrossentropy(), ([[0, 1, 0], [0, 0, 1]], pc), 1.1769392, [0.3, 0.7],
              1.6271976)
    check_doc(metrics.SparseCategoricalCrossentropy(), ([1, 2], pc), 1.1769392, [0.3, 0.7], 1.6271976)
    check_doc(metrics.BinaryCrossentropy(), (yt, [[0.6, 0.4], [0.4, 0.6]]), 0.81492424, [1, 0], 0.9162905)


def test_docstrings_mean_sum():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert val(m) == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert val(m) == 2.0
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7])
    assert val(s) == 16.0
    s.update_state([1, 3, 5, 7], sample_weight=[1, 0, 0, 1])
    assert val(s) == 24.0
    # 2-D values with per-row weights (broadcast), and weights that only cover leading axes
    m = metrics.Mean()
    m.update_state([[1., 2.], [3., 4.]], sample_weight=[1., 0.])
    assert val(m) == 1.5
    m = metrics.Mean()
    m.update_state(np.ones((2, 3, 4)), sample_weight=[1., 3.])
    assert val(m) == 1.0


def test_docstrings_confusion():
    check_doc(metrics.Precision(), ([0, 1, 1, 1], [1, 0, 1, 1]), 0.6666667, [0, 0, 1, 0], 1.0)
    check_doc(metrics.Recall(), ([0, 1, 1, 1], [1, 0, 1, 1]), 0.6666667, [0, 0, 1, 0], 1.0)
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert val(m) == 0.0
    m = metrics.Precision(top_k=4)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert val(m) == 0.5
    check_doc(metrics.AUC(num_thresholds=3), ([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]), 0.75, [1, 0, 0, 1], 1.0)
    check_doc(metrics.TruePositives(), ([0, 1, 1, 1], [1, 0, 1, 1]), 2.0, [0, 0, 1, 0], 1.0)
    check_doc(metrics.FalsePositives(), ([0, 1, 0, 0], [0, 0, 1, 1]), 2.0, [0, 0, 1, 0], 1.0)
    check_doc(metrics.TrueNegatives(), ([0, 1, 0, 0], [1, 1, 0, 0]), 2.0, [0, 0, 1, 0], 1.0)
    check_doc(metrics.FalseNegatives(), ([0, 1, 1, 1], [0, 1, 0, 0]), 2.0, [0, 0, 1, 0], 1.0)


# ---- numpy references -------------------------------------------------------------------------------

def np_confusion(y, p, thresholds, w=None):
    y = (np.asarray(y) != 0).reshape(-1).astype(np.float64)
    p = np.asarray(p, np.float32).reshape(-1)
    w = np.ones_like(y) if w is None else np.broadcast_to(w, np.shape(p)).reshape(-1).astype(np.float64)
    pos = p[None, :] > np.asarray(thresholds, np.float32)[:, None]
    tp = (pos * y * w).sum(1)
    fp = (pos * (1 - y) * w).sum(1)
    return tp, fp, (y * w).sum() - tp, ((1 - y) * w).sum() - fp


def np_tf_thresholds(n):
    return [-1e-7] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + 1e-7]


def div(a, b):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b == 0, 0., a / np.where(b == 0, 1, b))


def np_auc(y, p, n=200, curve="ROC", method="interpolation", w=None):
    tp, fp, fn, tn = np_confusion(y, p, np_tf_thresholds(n), w)
    if curve == "PR" and method == "interpolation":
        dtp = tp[:-1] - tp[1:]
        pp = tp + fp
        dp = pp[:-1] - pp[1:]
        slope = div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), div(pp[:-1], np.maximum(pp[1:], 0)), 1.)
        return np.sum(div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)))
    rec = div(tp, tp + fn)
    if curve == "ROC":
        x, yv = div(fp, fp + tn), rec
    else:
        x, yv = rec, div(tp, tp + fp)
    h = {"interpolation": (yv[:-1] + yv[1:]) / 2, "minoring": np.minimum(yv[:-1], yv[1:]),
         "majoring": np.maximum(yv[:-1], yv[1:])}[method]
    return np.sum((x[:-1] - x[1:]) * h)


def test_auc_against_numpy():
    y = RNG.integers(0, 2, size=300)
    p = np.clip(0.3 * y + RNG.uniform(size=300) * 0.7, 0, 1).astype(np.float32)
    w = RNG.uniform(size=300).astype(np.float32)
    for curve in ("ROC", "PR"):
        for method in ("interpolation", "minoring", "majoring"):
            m = metrics.AUC(curve=curve, summation_method=method)
            m.update_state(y[:100], p[:100])
            m.update_state(y[100:], p[100:])             # accumulates
            close(m.result(), np_auc(y, p, 200, curve, method), 1e-5)
            m.reset_state()
            m.update_state(y, p, sample_weight=w)
            close(m.result(), np_auc(y, p, 200, curve, method, w), 1e-5)
    # ROC AUC close to the exact rank statistic
    pos, neg = p[y == 1], p[y == 0]
    exact = np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :])
    m = metrics.AUC()
    m.update_state(y, p)
    assert val(m) == pytest.approx(exact, abs=5e-3)


def test_auc_config_and_options():
    m = metrics.AUC()
    assert m.num_thresholds == 200 and len(m.thresholds) == 200
    assert m.thresholds[0] == pytest.approx(-1e-7) and m.thresholds[-1] == pytest.approx(1 + 1e-7)
    cfg = m.get_config()
    assert cfg["curve"] == "ROC" and cfg["summation_method"] == "interpolation"
    assert cfg["num_thresholds"] == 200 and len(cfg["thresholds"]) == 198 and cfg["multi_label"] is False
    m2 = metrics.AUC.from_config(cfg)
    assert m2.thresholds == pytest.approx(m.thresholds)
    with pytest.raises(ValueError):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError):
        metrics.AUC(curve="XYZ")
    # explicit thresholds
    m = metrics.AUC(thresholds=[0.5, 0.25])
    assert m.num_thresholds == 4 and m.thresholds[1:3] == [0.25, 0.5]
    y = RNG.integers(0, 2, size=60)
    p = RNG.uniform(size=60).astype(np.float32)
    th = [-1e-7, 0.1, 0.3, 0.35, 0.7, 1 + 1e-7]
    tp, fp, fn, tn = np_confusion(y, p, th)
    m = metrics.AUC(thresholds=[0.7, 0.1, 0.35, 0.3])
    m.update_state(y, p)
    rec, fpr = div(tp, tp + fn), div(fp, fp + tn)
    close(m.result(), np.sum((fpr[:-1] - fpr[1:]) * (rec[:-1] + rec[1:]) / 2), 1e-6)
    # predictions on bucket edges and outside [0, 1]
    m = metrics.AUC(num_thresholds=5)
    pe = np.array([0., 0.25, 0.5, 0.75, 1.0, 0.5, 0.25, 1.0], np.float32)
    ye = np.array([0, 0, 1, 1, 1, 0, 1, 0])
    m.update_state(ye, pe)
    close(m.result(), np_auc(ye, pe, 5), 1e-6)
    close(m.true_positives.numpy(), np_confusion(ye, pe, np_tf_thresholds(5))[0])
    m.reset_state()
    m.update_state(ye, pe * 3 - 1)
    close(m.result(), np_auc(ye, np.clip(pe * 3 - 1, 0, 1), 5), 1e-6)
    # multi-label: mean of per-label AUCs
    y = RNG.integers(0, 2, size=(50, 3))
    p = RNG.uniform(size=(50, 3)).astype(np.float32)
    m = metrics.AUC(multi_label=True)
    m.update_state(y, p)
    close(m.result(), np.mean([np_auc(y[:, k], p[:, k]) for k in range(3)]), 1e-5)
    m = metrics.AUC(multi_label=True, label_weights=[1., 0., 3.])
    m.update_state(y, p)
    close(m.result(), (np_auc(y[:, 0], p[:, 0]) + 3 * np_auc(y[:, 2], p[:, 2])) / 4, 1e-5)
    # not multi-label: every (sample, label) pair pooled
    m = metrics.AUC()
    m.update_state(y, p)
    close(m.result(), np_auc(y, p), 1e-5)


def test_precision_recall_thresholds_class_id_against_numpy():
    y = RNG.integers(0, 2, size=(40, 3))
    p = RNG.uniform(size=(40, 3)).astype(np.float32)
    th = [0.2, 0.5, 0.8]
    tp, fp, fn, _ = np_confusion(y, p, th)
    m = metrics.Precision(thresholds=th)
    m.update_state(y, p)
    close(m.result(), tp / (tp + fp))
    m = metrics.Recall(thresholds=th)
    m.update_state(y, p)
    close(m.result(), tp / (tp + fn))
    tp, fp, fn, _ = np_confusion(y[:, 1], p[:, 1], [0.5])
    m = metrics.Precision(class_id=1)
    m.update_state(y, p)
    close(m.result(), tp[0] / (tp[0] + fp[0]))
    m = metrics.Recall(class_id=1)
    m.update_state(y, p)
    close(m.result(), tp[0] / (tp[0] + fn[0]))
    assert metrics.Precision(thresholds=0.7).thresholds == [0.7]
    with pytest.raises(ValueError):
        metrics.Precision(thresholds=1.5)
    assert metrics.Recall().get_config()["thresholds"] is None


def test_default_names_unique():
    a, b = metrics.AUC(), metrics.AUC()
    assert a.name.startswith("auc") and b.name.startswith("auc_") and a.name != b.name
    assert metrics.Precision(name="p").name == "p"
    assert metrics.Accuracy().name == "accuracy"


# ---- functions -------------------------------------------------------------------------------------

def test_metric_functions_against_numpy():
    y = RNG.integers(0, 5, size=30)
    p = RNG.uniform(size=(30, 5)).astype(np.float32)
    onehot = np.eye(5, dtype=np.float32)[y]
    close(metrics.categorical_accuracy(onehot, p), (p.argmax(-1) == y).astype(np.float32))
    close(metrics.sparse_categorical_accuracy(y, p), (p.argmax(-1) == y).astype(np.float32))
    rank = (p > p[np.arange(30), y][:, None]).sum(-1)      # classes strictly above the target
    for k in (1, 2, 3, 5):
        close(metrics.top_k_categorical_accuracy(onehot, p, k=k), (rank < k).astype(np.float32))
        close(metrics.sparse_top_k_categorical_accuracy(y, p, k=k), (rank < k).astype(np.float32))
        close(metrics.sparse_top_k_categorical_accuracy(y.reshape(-1, 1), p, k=k),
              (rank < k).astype(np.float32))
    assert metrics.top_k_categorical_accuracy(onehot, p).numpy().all()     # default k=5
    yb = RNG.integers(0, 2, size=(30, 4)).astype(np.float32)
    pb = RNG.uniform(size=(30, 4)).astype(np.float32)
    close(metrics.binary_accuracy(yb, pb), ((pb > 0.5) == yb).mean(-1))
    close(metrics.binary_accuracy(yb, pb, threshold=0.8), ((pb > 0.8) == yb).mean(-1))
    close(metrics.accuracy(yb, (pb > 0.5).astype(np.float32)), ((pb > 0.5) == yb).astype(np.float32))
    close(metrics.cosine_similarity([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]), [0., 1.])
    with pytest.raises(ValueError):
        metrics.accuracy([1, 2], [1, 2, 3])


def test_reexported_loss_functions():
    for name in ("mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD",
                 "mean_squared_error", "mean_absolute_error", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
                 "squared_hinge", "categorical_hinge", "poisson", "log_cosh", "logcosh",
                 "kl_divergence", "kullback_leibler_divergence"):
        assert getattr(metrics, name) is getattr(losses, name), name


def test_metric_classes_equal_mean_of_functions():
    yt = RNG.uniform(size=(20, 3)).astype(np.float32)
    yp = RNG.uniform(0.05, 1, size=(20, 3)).astype(np.float32)
    sw = RNG.uniform(size=20).astype(np.float32)
    pairs = [(metrics.MeanSquaredError, losses.mean_squared_error),
             (metrics.MeanAbsoluteError, losses.mean_absolute_error),
             (metrics.Poisson, losses.poisson), (metrics.LogCoshError, losses.log_cosh),
             (metrics.KLDivergence, losses.kl_divergence),
             (metrics.CategoricalCrossentropy, losses.categorical_crossentropy),
             (metrics.BinaryCrossentropy, losses.binary_crossentropy)]
    for cls, fn in pairs:
        per = np.asarray(fn(yt, yp))
        m = cls()
        m.update_state(yt[:7], yp[:7])
        m.update_state(yt[7:], yp[7:])
        close(m.result(), per.mean(), 1e-5)
        m.reset_state()
        m.update_state(yt, yp, sample_weight=sw)
        close(m.result(), (per * sw).sum() / sw.sum(), 1e-5)
    m = metrics.RootMeanSquaredError()
    m.update_state(yt, yp)
    close(m.result(), np.sqrt(np.mean((yt - yp) ** 2)), 1e-5)
    x = RNG.normal(size=(20, 3)).astype(np.float32)
    lab = RNG.integers(0, 3, size=20)
    m = metrics.SparseCategoricalCrossentropy(from_logits=True)
    m.update_state(lab, x)
    close(m.result(), np.asarray(losses.sparse_categorical_crossentropy(lab, x, from_logits=True)).mean(),
          1e-5)


def test_binary_accuracy_label_shapes():
    # (N,) tensor labels with (N, 1) predictions: squeezed, as tf.keras
    y = np.array([1., 0., 1., 1.], np.float32)
    p = np.array([[0.9], [0.2], [0.3], [0.8]], np.float32)
    m = metrics.BinaryAccuracy()
    m.update_state(tf.constant(y), tf.constant(p))
    assert val(m) == 0.75
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([[0], [1]]), np.array([[0.9, 0.1], [0.8, 0.2]], np.float32))
    assert val(m) == 0.5


# ---- state, tf.function, config --------------------------------------------------------------------

def test_variables_are_non_trainable_state():
    m = metrics.Mean()
    names = [v.name for v in m.variables]
    assert names == ["total:0", "count:0"]
    assert all(not v.trainable for v in m.variables)
    assert m.trainable_weights == [] and len(m.non_trainable_weights) == 2
    assert m.dtype == "float32"
    p = metrics.Precision()
    assert [v.name for v in p.variables] == ["true_positives:0", "false_positives:0"]
    assert len(metrics.AUC().variables) == 4


def test_update_state_inside_tf_function():
    acc = metrics.SparseCategoricalAccuracy()
    auc = metrics.AUC()
    mean = metrics.Mean()
    prec = metrics.Precision()

    @tf.function
    def step(y, p):
        acc.update_state(y, p)
        auc.update_state(tf.cast(tf.equal(y, 1), tf.float32), p[:, 1])
        mean.update_state(p[:, 0], sample_weight=p[:, 2])
        prec.update_state(tf.cast(tf.equal(y, 1), tf.float32), p[:, 1])
        return acc.result()

    ys, ps = [], []
    for i in range(4):
        y = RNG.integers(0, 3, size=16).astype(np.int32)
        p = RNG.uniform(size=(16, 3)).astype(np.float32)
        r = step(tf.constant(y), tf.constant(p))
        ys.append(y)
        ps.append(p)
        yy, pp = np.concatenate(ys), np.concatenate(ps)
        close(r, (pp.argmax(-1) == yy).mean())
    close(acc.result(), (pp.argmax(-1) == yy).mean())
    close(auc.result(), np_auc(yy == 1, pp[:, 1]), 1e-5)
    close(mean.result(), (pp[:, 0] * pp[:, 2]).sum() / pp[:, 2].sum(), 1e-5)
    tp, fp, _, _ = np_confusion(yy == 1, pp[:, 1], [0.5])
    close(prec.result(), tp[0] / (tp[0] + fp[0]))
    # reset between "epochs" keeps the traced graph valid
    for m in (acc, auc, mean, prec):
        m.reset_state()
    y = ys[0]
    p = ps[0]
    close(step(tf.constant(y), tf.constant(p)), (p.argmax(-1) == y).mean())
    close(mean.result(), (p[:, 0] * p[:, 2]).sum() / p[:, 2].sum(), 1e-5)


def test_get_config_from_config():
    assert metrics.Accuracy().get_config() == {"name": "accuracy", "dtype": "float32"}
    assert metrics.BinaryAccuracy(threshold=0.7).get_config() == {
        "name": "binary_accuracy", "dtype": "float32", "threshold": 0.7}
    assert metrics.TopKCategoricalAccuracy().get_config() == {
        "name": "top_k_categorical_accuracy", "dtype": "float32", "k": 5}
    assert metrics.CategoricalCrossentropy(from_logits=True).get_config() == {
        "name": "categorical_crossentropy", "dtype": "float32", "from_logits": True, "label_smoothing": 0}
    b = metrics.BinaryAccuracy.from_config({"name": "ba", "dtype": "float32", "threshold": 0.9})
    assert b.name == "ba" and b._fn_kwargs == {"threshold": 0.9}
    s = metrics.serialize(metrics.Precision(thresholds=[0.3, 0.6], name="prec"))
    p = metrics.get(s)
    assert isinstance(p, metrics.Precision) and p.thresholds == [0.3, 0.6] and p.name == "prec"
    w = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba2")
    cfg = w.get_config()
    assert cfg["fn"] is metrics.binary_accuracy
    w2 = metrics.MeanMetricWrapper.from_config({"name": "ba3", "dtype": "float32", "fn": "binary_accuracy"})
    assert w2._fn is metrics.binary_accuracy


def test_get_and_resolution():
    assert metrics.get("accuracy") is metrics.accuracy
    assert metrics.get("sparse_categorical_accuracy") is metrics.sparse_categorical_accuracy
    assert metrics.get("mse") is losses.mean_squared_error
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("Accuracy"), metrics.Accuracy)
    f = lambda y, p: y  # noqa: E731
    assert metrics.get(f) is f
    with pytest.raises(ValueError, match="Unknown metric function: nope"):
        metrics.get("nope")
    with pytest.raises(ValueError, match="Could not interpret metric function identifier"):
        metrics.get(3)
    r = metrics.resolve_accuracy
    assert r("accuracy", (None, 1), (None, 1)) is metrics.binary_accuracy
    assert r("acc", (None,), (None, 1)) is metrics.binary_accuracy
    assert r("accuracy", (None,), (None, 10)) is metrics.sparse_categorical_accuracy
    assert r("accuracy", (None, 1), (None, 10)) is metrics.sparse_categorical_accuracy
    assert r("accuracy", (None, 10), (None, 10)) is metrics.categorical_accuracy
    assert r("accuracy", (32, 10), (32, 10)) is metrics.categorical_accuracy
    assert r("accuracy", tf.TensorShape([None, 4, 4]), tf.TensorShape([None, 4, 4, 3])) is \
        metrics.sparse_categorical_accuracy
    assert r("crossentropy", (None,), (None, 10)) is metrics.sparse_categorical_crossentropy
    assert r("ce", (None, 1), (None, 1)) is metrics.binary_crossentropy
    assert r("ce", (None, 3), (None, 3)) is metrics.categorical_crossentropy
    assert r("mae", (None, 3), (None, 3)) is losses.mean_absolute_error
    m = metrics.get_metric_object("accuracy", (None,), (None, 10))
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "accuracy"
    assert m._fn is metrics.sparse_categorical_accuracy
    m = metrics.get_metric_object("acc", (None, 1), (None, 1))
    assert m.name == "acc" and m._fn is metrics.binary_accuracy
    m = metrics.get_metric_object("mse")
    assert m.name == "mse" and m._fn is losses.mean_squared_error
    m = metrics.get_metric_object(metrics.sparse_categorical_accuracy)
    assert m.name == "sparse_categorical_accuracy"
    auc = metrics.AUC()
    assert metrics.get_metric_object(auc) is auc
    m = metrics.get_metric_object(losses.MeanSquaredError())
    assert m.name == "mean_squared_error"
    m.update_state([[0., 1.]], [[1., 1.]])
    assert val(m) == 0.5


def test_custom_metric_subclass():
    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.n = self.add_weight(name="n", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.n.assign_add(tf.reduce_sum(tf.cast(tf.convert_to_tensor(y_pred) > 0.5, tf.float32)))

        def result(self):
            return tf.identity(self.n)

    m = CountPositives()
    assert float(m([0, 0], [0.7, 0.9])) == 2.0
    assert float(m([0], [0.1])) == 2.0
    m.reset_state()
    assert float(m.result()) == 0.0
    assert m.get_config() == {"name": "count_positives", "dtype": "float32"}

    class Unnamed(metrics.Mean):
        def __init__(self):
            super(metrics.Mean, self).__init__(reduction="weighted_mean", name=None)

    assert Unnamed().name.startswith("unnamed")
