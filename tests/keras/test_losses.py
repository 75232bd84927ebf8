"""keras.losses: tf.keras 2.5 docstring values, numpy references, reductions, gradients."""
import contextlib
import io

import numpy as np
import pytest

from minikeras import losses, tf
from tests.gradcheck import check_grad

EPS = 1e-7
RNG = np.random.default_rng(1234)

YT = [[0., 1.], [0., 0.]]
YP_01 = [[1., 1.], [1., 0.]]
YP_P = [[0.6, 0.4], [0.4, 0.6]]


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ---- numpy references (tf.keras 2.5 formulas) ----------------------------------------------

def np_mse(t, p):
    return np.mean((p - t) ** 2, axis=-1)


def np_mae(t, p):
    return np.mean(np.abs(p - t), axis=-1)


def np_mape(t, p):
    return 100. * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def np_msle(t, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, axis=-1)


def np_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p + EPS) + (1 - t) * np.log(1 - p + EPS)), axis=-1)


def np_bce_logits(t, x):
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), axis=-1)


def np_cce(t, p, axis=-1):
    p = p / p.sum(axis=axis, keepdims=True)
    p = np.clip(p, EPS, 1 - EPS)
    return -np.sum(t * np.log(p), axis=axis)


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_cce_logits(t, x, axis=-1):
    return -np.sum(t * np_log_softmax(x, axis), axis=axis)


def np_scce(labels, p):
    lp = np.log(np.clip(p, EPS, 1 - EPS))
    ls = np_log_softmax(lp)
    return -np.take_along_axis(ls, labels[..., None].astype(np.int64), axis=-1)[..., 0]


def np_scce_logits(labels, x):
    return -np.take_along_axis(np_log_softmax(x), labels[..., None].astype(np.int64), axis=-1)[..., 0]


def np_convert_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def np_hinge(t, p):
    return np.mean(np.maximum(1 - np_convert_labels(t) * p, 0), axis=-1)


def np_squared_hinge(t, p):
    return np.mean(np.maximum(1 - np_convert_labels(t) * p, 0) ** 2, axis=-1)


def np_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def np_huber(t, p, delta=1.0):
    e = p - t
    a = np.abs(e)
    return np.mean(np.where(a <= delta, 0.5 * e ** 2, 0.5 * delta ** 2 + delta * (a - delta)), axis=-1)


def np_log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def np_kld(t, p):
    t = np.clip(t, EPS, 1)
    p = np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def np_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def np_cosine(t, p, axis=-1):
    def n(x):
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))
    return -np.sum(n(t) * n(p), axis=axis)


# ---- the course ----------------------------------------------------------------------------------

def test_course_mse_function_vs_class_output():
    import minikeras as keras
    batch_size = 8
    y_true = np.zeros((batch_size, 10))
    y_pred = np.ones((batch_size, 10))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print(keras.losses.mean_squared_error(y_true, y_pred).numpy())
        print(keras.losses.MeanSquaredError()(y_true, y_pred).numpy())
    assert buf.getvalue() == "[1. 1. 1. 1. 1. 1. 1. 1.]\n1.0\n"


# ---- docstring examples -----------------------------------------------------------------------------

def test_mse_docstring():
    mse = losses.MeanSquaredError()
    assert mse(YT, YP_01).numpy() == pytest.approx(0.5)
    assert mse(YT, YP_01, sample_weight=[0.7, 0.3]).numpy() == pytest.approx(0.25)
    assert losses.MeanSquaredError(reduction=losses.Reduction.SUM)(YT, YP_01).numpy() == pytest.approx(1.0)
    close(losses.MeanSquaredError(reduction=losses.Reduction.NONE)(YT, YP_01), [0.5, 0.5])
    r = mse(YT, YP_01)
    assert r.shape == () and r.dtype == tf.float32


DOC_CASES = [
    # class, y_true, y_pred, mean, (sample_weight, weighted), sum, none
    (losses.MeanAbsoluteError, YT, YP_01, 0.5, ([0.7, 0.3], 0.25), 1.0, [0.5, 0.5]),
    (losses.MeanAbsolutePercentageError, [[2., 1.], [2., 3.]], YP_01, 50., ([0.7, 0.3], 20.), 100.,
     [25., 75.]),
    (losses.MeanSquaredLogarithmicError, YT, YP_01, 0.240, ([0.7, 0.3], 0.120), 0.480, [0.240, 0.240]),
    (losses.BinaryCrossentropy, YT, YP_P, 0.815, ([1, 0], 0.458), 1.630, [0.916, 0.714]),
    (losses.CategoricalCrossentropy, [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177,
     ([0.3, 0.7], 0.814), 2.354, [0.0513, 2.303]),
    (losses.SparseCategoricalCrossentropy, [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177,
     ([0.3, 0.7], 0.814), 2.354, [0.0513, 2.303]),
    (losses.Hinge, YT, YP_P, 1.3, ([1, 0], 0.55), 2.6, [1.1, 1.5]),
    (losses.SquaredHinge, YT, YP_P, 1.86, ([1, 0], 0.73), 3.72, [1.46, 2.26]),
    (losses.CategoricalHinge, YT, YP_P, 1.4, ([1, 0], 0.6), 2.8, [1.2, 1.6]),
    (losses.Poisson, YT, [[1., 1.], [0., 0.]], 0.5, ([0.8, 0.2], 0.4), 0.999, [0.999, 0.]),
    (losses.KLDivergence, YT, YP_P, 0.458, ([0.8, 0.2], 0.366), 0.916, [0.916, -3.08e-06]),
    (losses.Huber, YT, YP_P, 0.155, ([1, 0], 0.09), 0.31, [0.18, 0.13]),
    (losses.LogCosh, YT, [[1., 1.], [0., 0.]], 0.108, ([0.8, 0.2], 0.087), 0.217, [0.217, 0.]),
    (losses.CosineSimilarity, [[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]], -0.5, ([0.8, 0.2], -0.0999),
     -0.999, [0., -0.999]),
]


@pytest.mark.parametrize("case", DOC_CASES, ids=[c[0].__name__ for c in DOC_CASES])
def test_docstring_values(case):
    cls, yt, yp, mean, (sw, weighted), total, none = case
    assert float(cls()(yt, yp)) == pytest.approx(mean, abs=1.5e-3)
    assert float(cls()(yt, yp, sample_weight=sw)) == pytest.approx(weighted, abs=1.5e-3)
    assert float(cls(reduction="sum")(yt, yp)) == pytest.approx(total, abs=1.5e-3)
    close(cls(reduction="none")(yt, yp), none, tol=1.5e-3)


def test_bce_from_logits_docstring():
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert float(bce([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])) == pytest.approx(0.865, abs=1e-3)
    bce2 = losses.BinaryCrossentropy(from_logits=True)
    yt = [[0, 1], [0, 0]]
    yp = [[-18.6, 0.51], [2.94, -12.8]]
    assert float(bce2(yt, yp)) == pytest.approx(0.865, abs=1e-3)
    assert float(bce2(yt, yp, sample_weight=[0.8, 0.2])) == pytest.approx(0.243, abs=1e-3)
    assert float(losses.BinaryCrossentropy(from_logits=True, reduction="sum")(yt, yp)) == \
        pytest.approx(1.730, abs=1e-3)
    close(losses.BinaryCrossentropy(from_logits=True, reduction="none")(yt, yp), [0.235, 1.496], 1e-3)


# ---- functions against numpy ----------------------------------------------------------------------

REG_FUNCS = [
    (losses.mean_squared_error, np_mse), (losses.mean_absolute_error, np_mae),
    (losses.mean_absolute_percentage_error, np_mape), (losses.mean_squared_logarithmic_error, np_msle),
    (losses.hinge, np_hinge), (losses.squared_hinge, np_squared_hinge),
    (losses.categorical_hinge, np_categorical_hinge), (losses.huber, np_huber),
    (losses.log_cosh, np_log_cosh), (losses.kl_divergence, np_kld), (losses.poisson, np_poisson),
    (losses.cosine_similarity, np_cosine), (losses.binary_crossentropy, np_bce),
    (losses.categorical_crossentropy, np_cce),
]


@pytest.mark.parametrize("shape", [(5, 4), (3, 2, 6), (7,), (4, 1)])
@pytest.mark.parametrize("fn,ref", REG_FUNCS, ids=[f.__name__ for f, _ in REG_FUNCS])
def test_function_forms_against_numpy(fn, ref, shape):
    t = RNG.uniform(0.01, 1, size=shape).astype(np.float32)
    p = RNG.uniform(0.01, 1, size=shape).astype(np.float32)
    out = fn(t, p)
    assert out.shape == shape[:-1]
    assert out.dtype == tf.float32
    close(out, ref(t.astype(np.float64), p.astype(np.float64)), tol=2e-5)
    # binary labels for the hinge family (converted to -1/1), signed predictions
    tb = RNG.integers(0, 2, size=shape).astype(np.float32)
    ps = RNG.normal(size=shape).astype(np.float32)
    if fn in (losses.hinge, losses.squared_hinge, losses.categorical_hinge, losses.huber,
              losses.log_cosh, losses.mean_squared_error, losses.mean_absolute_error):
        close(fn(tb, ps), ref(tb.astype(np.float64), ps.astype(np.float64)), tol=2e-5)


def test_float64_keeps_dtype_and_int_labels():
    t = RNG.integers(0, 2, size=(6, 3))
    p = RNG.uniform(size=(6, 3))
    out = losses.mean_squared_error(t, p)
    assert out.dtype == tf.float64
    close(out, np_mse(t, p), 1e-10)
    loss = losses.MeanSquaredError()(t, p)
    assert loss.dtype == tf.float64
    close(loss, np_mse(t, p).mean(), 1e-6)


def test_aliases():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.MAE is losses.mean_absolute_error
    assert losses.mape is losses.MAPE is losses.mean_absolute_percentage_error
    assert losses.msle is losses.MSLE is losses.mean_squared_logarithmic_error
    assert losses.kld is losses.KLD is losses.kullback_leibler_divergence is losses.kl_divergence
    assert losses.bce is losses.BCE is losses.binary_crossentropy
    assert losses.logcosh is losses.log_cosh


def test_crossentropy_from_logits_against_numpy():
    x = RNG.normal(scale=3, size=(8, 5)).astype(np.float32)
    labels = RNG.integers(0, 5, size=8)
    onehot = np.eye(5, dtype=np.float32)[labels]
    close(losses.categorical_crossentropy(onehot, x, from_logits=True), np_cce_logits(onehot, x), 1e-5)
    close(losses.sparse_categorical_crossentropy(labels, x, from_logits=True), np_scce_logits(labels, x), 1e-5)
    close(losses.binary_crossentropy(onehot, x, from_logits=True), np_bce_logits(onehot, x), 1e-5)
    # huge logits stay finite
    big = np.array([[1000., -1000., 0.]], np.float32)
    v = losses.sparse_categorical_crossentropy([1], big, from_logits=True).numpy()
    assert np.isfinite(v).all() and v[0] == pytest.approx(2000.0)
    v = losses.categorical_crossentropy([[0., 1., 0.]], big, from_logits=True).numpy()
    assert v[0] == pytest.approx(2000.0)
    v = losses.binary_crossentropy([[0., 1., 0.]], big, from_logits=True).numpy()
    assert v[0] == pytest.approx(2000.0 / 3 + np.log(2) / 3, rel=1e-5)


def test_crossentropy_probabilities_clip_and_normalise():
    p = np.array([[0., 1., 0.], [0.2, 0.2, 0.6]], np.float32)   # zeros clip to epsilon
    t = np.array([[1., 0., 0.], [0., 0., 1.]], np.float32)
    out = losses.categorical_crossentropy(t, p).numpy()
    close(out, np_cce(t.astype(np.float64), p.astype(np.float64)), 1e-4)
    assert out[0] == pytest.approx(-np.log(1e-7), rel=1e-3)
    # unnormalised probabilities are rescaled
    close(losses.categorical_crossentropy(t, 2 * p + 0.0), out, 1e-5)
    close(losses.sparse_categorical_crossentropy([0, 2], p), np_scce(np.array([0, 2]), p), 1e-4)
    close(losses.binary_crossentropy(t, p), np_bce(t, p), 1e-4)


def test_sparse_label_shapes_and_dtypes():
    p = RNG.uniform(0.05, 1, size=(6, 4)).astype(np.float32)
    p /= p.sum(-1, keepdims=True)
    labels = RNG.integers(0, 4, size=6)
    ref = np_scce(labels, p)
    scce = losses.SparseCategoricalCrossentropy()
    for lab in (labels, labels.astype(np.int32), labels.astype(np.uint8), labels.astype(np.float32),
                labels.reshape(6, 1), labels.reshape(6, 1).astype(np.float32)):
        close(losses.sparse_categorical_crossentropy(lab, p), ref, 1e-5)
        close(scce(lab, p), ref.mean(), 1e-5)
        close(scce(tf.constant(lab), tf.constant(p)), ref.mean(), 1e-5)
    # spatial outputs: (N, H, W, C) with (N, H, W) or (N, H, W, 1) labels
    x = RNG.normal(size=(2, 3, 4, 5)).astype(np.float32)
    lab = RNG.integers(0, 5, size=(2, 3, 4))
    ref = np_scce_logits(lab, x)
    close(losses.sparse_categorical_crossentropy(lab, x, from_logits=True), ref, 1e-5)
    out = losses.sparse_categorical_crossentropy(lab[..., None], x, from_logits=True)
    assert out.shape == (2, 3, 4)
    close(out, ref, 1e-5)
    close(losses.SparseCategoricalCrossentropy(from_logits=True)(lab, x), ref.mean(), 1e-5)
    # class axis first
    xt = np.moveaxis(x, -1, 1)
    close(losses.sparse_categorical_crossentropy(lab, xt, from_logits=True, axis=1), ref, 1e-5)


def test_class_squeezes_tensor_labels():
    # (N, 1) predictions with (N,) tensor labels: the class squeezes, as tf.keras does
    t = RNG.integers(0, 2, size=5).astype(np.float32)
    p = RNG.uniform(0.1, 0.9, size=(5, 1)).astype(np.float32)
    ref = np_bce(t[:, None], p).mean()
    close(losses.BinaryCrossentropy()(tf.constant(t), tf.constant(p)), ref, 1e-5)
    close(losses.MeanSquaredError()(tf.constant(t), tf.constant(p)), np_mse(t[:, None], p).mean(), 1e-6)


def test_label_smoothing():
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]
    ts = t * 0.9 + 0.1 / 3
    close(losses.categorical_crossentropy(t, x, from_logits=True, label_smoothing=0.1),
          np_cce_logits(ts, x), 1e-5)
    close(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(t, x),
          np_cce_logits(ts, x).mean(), 1e-5)
    tb = t * 0.8 + 0.5 * 0.2
    close(losses.binary_crossentropy(t, x, from_logits=True, label_smoothing=0.2),
          np_bce_logits(tb, x), 1e-5)


def test_sample_weight_shapes():
    t = RNG.uniform(size=(4, 3, 2)).astype(np.float32)
    p = RNG.uniform(size=(4, 3, 2)).astype(np.float32)
    per = np_mse(t, p)                       # (4, 3)
    mse = losses.MeanSquaredError()
    sw = np.array([1., 0., 2., 0.5], np.float32)
    close(mse(t, p, sample_weight=sw), (per * sw[:, None]).mean(), 1e-6)
    sw2 = RNG.uniform(size=(4, 3)).astype(np.float32)
    close(mse(t, p, sample_weight=sw2), (per * sw2).mean(), 1e-6)
    close(mse(t, p, sample_weight=sw2[..., None]), (per * sw2).mean(), 1e-6)
    close(mse(t, p, sample_weight=2.0), 2 * per.mean(), 1e-6)
    close(losses.MeanSquaredError(reduction="none")(t, p, sample_weight=sw), per * sw[:, None], 1e-6)
    close(losses.MeanSquaredError(reduction="sum")(t, p, sample_weight=sw), (per * sw[:, None]).sum(), 1e-5)


def test_empty_batch():
    out = losses.MeanSquaredError()(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32))
    assert float(out) == 0.0


# ---- gradients ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda t, p: losses.mean_squared_error(t, p),
    lambda t, p: losses.mean_absolute_percentage_error(t, p),
    lambda t, p: losses.mean_squared_logarithmic_error(t, p),
    lambda t, p: losses.log_cosh(t, p),
    lambda t, p: losses.poisson(t, p),
    lambda t, p: losses.kl_divergence(t, p),
    lambda t, p: losses.cosine_similarity(t, p),
    lambda t, p: losses.binary_crossentropy(t, p),
    lambda t, p: losses.binary_crossentropy(t, p, from_logits=True),
    lambda t, p: losses.categorical_crossentropy(t, p),
    # the fused op's gradient is softmax - labels (TF's kernel): labels must sum to 1
    lambda t, p: losses.categorical_crossentropy(t / tf.reduce_sum(t, -1, keepdims=True), p,
                                                 from_logits=True),
    lambda t, p: losses.hinge(t, p),
    lambda t, p: losses.squared_hinge(t, p),
], ids=["mse", "mape", "msle", "log_cosh", "poisson", "kld", "cosine", "bce", "bce_logits",
        "cce", "cce_logits", "hinge", "squared_hinge"])
def test_gradients(fn):
    t = RNG.uniform(0.1, 0.9, size=(3, 4))
    p = RNG.uniform(0.1, 0.9, size=(3, 4))
    p[0, 0] = t[0, 0] + 0.05    # away from kinks
    check_grad(lambda pp: fn(tf.constant(t), pp), [p], atol=1e-5, rtol=1e-3)


def test_huber_gradient():
    # huber computes in floatx (float32), as tf.keras: d/dp = clip(p - t, -delta, delta) / n
    t = RNG.uniform(size=(3, 4)).astype(np.float32)
    p = RNG.uniform(-1, 2, size=(3, 4)).astype(np.float32)
    pt = tf.constant(p)
    with tf.GradientTape() as tape:
        tape.watch(pt)
        out = tf.reduce_sum(losses.huber(t, pt, delta=0.3))
    close(tape.gradient(out, pt), np.clip(p - t, -0.3, 0.3) / 4, 1e-6)


def test_sparse_gradient_matches_softmax_minus_onehot():
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 1, 2])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, xt)
    g = tape.gradient(loss, xt).numpy()
    sm = np.exp(np_log_softmax(x))
    close(g, (sm - np.eye(4)[labels]) / 5, 1e-6)
    check_grad(lambda xx: losses.sparse_categorical_crossentropy(labels, xx, from_logits=True),
               [x.astype(np.float64)], atol=1e-5, rtol=1e-3)
    check_grad(lambda pp: losses.sparse_categorical_crossentropy(labels, pp),
               [RNG.uniform(0.1, 0.9, size=(5, 4))], atol=1e-5, rtol=1e-3)


def test_inside_tf_function():
    x = RNG.normal(size=(6, 3)).astype(np.float32)
    labels = RNG.integers(0, 3, size=6).astype(np.int32)
    w = tf.Variable(np.eye(3, dtype=np.float32))
    loss_obj = losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_obj(yb, tf.matmul(xb, w))
        return loss, tape.gradient(loss, w)

    for _ in range(2):
        loss, g = step(tf.constant(x), tf.constant(labels))
        close(loss, np_scce_logits(labels, x).mean(), 1e-5)
    sm = np.exp(np_log_softmax(x))
    close(g, x.T @ (sm - np.eye(3)[labels]) / 6, 1e-5)

    @tf.function
    def h(t, p):
        return losses.Hinge()(t, p), losses.squared_hinge(t, p)

    t = np.array([[0., 1.], [1., 0.]], np.float32)
    p = np.array([[0.3, -0.2], [0.5, 0.1]], np.float32)
    for _ in range(2):
        a, b = h(tf.constant(t), tf.constant(p))
        close(a, np_hinge(t, p).mean())
        close(b, np_squared_hinge(t, p))
    t2 = np.array([[-1., 1.], [1., -1.]], np.float32)     # already -1/1: left alone
    close(h(tf.constant(t2), tf.constant(p))[0], np_hinge(t2, p).mean())


# ---- base class, config, get -------------------------------------------------------------------------

def test_reduction_validation_and_config():
    assert losses.Reduction.all() == ("auto", "none", "sum", "sum_over_batch_size")
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        losses.MeanSquaredError(reduction="mean")
    assert losses.MeanSquaredError().get_config() == {"reduction": "auto", "name": "mean_squared_error"}
    cfg = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1).get_config()
    assert cfg == {"reduction": "auto", "name": "categorical_crossentropy", "from_logits": True,
                   "label_smoothing": 0.1, "axis": -1}
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "reduction": "auto", "name": "sparse_categorical_crossentropy", "from_logits": False}
    assert losses.Huber().get_config() == {"reduction": "auto", "name": "huber_loss", "delta": 1.0}
    h = losses.Huber.from_config(losses.Huber(delta=2.0, reduction="sum").get_config())
    assert h.reduction == "sum" and h.get_config()["delta"] == 2.0
    names = {losses.MeanAbsoluteError: "mean_absolute_error", losses.Poisson: "poisson",
             losses.LogCosh: "log_cosh", losses.KLDivergence: "kl_divergence",
             losses.CosineSimilarity: "cosine_similarity", losses.BinaryCrossentropy: "binary_crossentropy",
             losses.CategoricalHinge: "categorical_hinge", losses.SquaredHinge: "squared_hinge",
             losses.Hinge: "hinge", losses.MeanAbsolutePercentageError: "mean_absolute_percentage_error",
             losses.MeanSquaredLogarithmicError: "mean_squared_logarithmic_error"}
    for cls, name in names.items():
        assert cls().name == name


def test_get_serialize_deserialize():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert losses.get("bce") is losses.binary_crossentropy
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert losses.get(None) is None
    f = lambda t, p: t  # noqa: E731
    assert losses.get(f) is f
    with pytest.raises(ValueError, match="Unknown loss function: nope"):
        losses.get("nope")
    with pytest.raises(ValueError, match="Could not interpret loss function identifier"):
        losses.get(42)
    s = losses.serialize(losses.BinaryCrossentropy(from_logits=True))
    assert s == {"class_name": "BinaryCrossentropy",
                 "config": {"reduction": "auto", "name": "binary_crossentropy", "from_logits": True,
                            "label_smoothing": 0, "axis": -1}}
    obj = losses.get(s)
    assert isinstance(obj, losses.BinaryCrossentropy) and obj.get_config() == s["config"]
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.deserialize("mean_squared_error") is losses.mean_squared_error


def test_custom_loss_subclass():
    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.abs(tf.convert_to_tensor(y_pred) - y_true), axis=-1)

    lo = MyLoss()
    assert lo.name is None and lo.reduction == "auto"
    close(lo(np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)), 1.0)
    close(MyLoss(reduction="sum", name="x")(np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)), 2.0)
    assert losses.deserialize("MyLoss", custom_objects={"MyLoss": MyLoss}).__class__ is MyLoss
