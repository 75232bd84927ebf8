"""keras.optimizers: every optimizer against a numpy transcription of tf.keras 2.5's update
formulas (keras-adabound's for AdaBound, Keras 3's for AdamW), eagerly and inside a traced
tf.function whose learning rate changes between replays; clipping, constraints, schedules,
weights, configs."""
import json
import math
import warnings

import numpy as np
import pytest

from minikeras import _core, tf
from minikeras import optimizers
from minikeras.optimizers import schedules

C = _core.ops
f32 = lambda x: float(np.float32(x))  # noqa: E731  hyper-parameters live in float32 variables
EPS = 1e-7


# ---- numpy references (one step; state holds the slots; t = step number from 1) ----------

def ref_sgd(w, g, s, lr, t, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    mo = f32(momentum)
    a = s.get("a", np.zeros_like(w)) * mo - g * lr
    s["a"] = a
    return w + (a * mo - g * lr) if nesterov else w + a


def ref_adam(w, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, wd=0.0):
    b1, b2 = f32(beta_1), f32(beta_2)
    if wd:
        w = w - w * wd * lr
    m = s.get("m", np.zeros_like(w))
    v = s.get("v", np.zeros_like(w))
    m = m + (g - m) * (1 - b1)
    v = v + (g * g - v) * (1 - b2)
    s["m"], s["v"] = m, v
    alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    if amsgrad:
        vh = np.maximum(s.get("vh", np.zeros_like(w)), v)
        s["vh"] = vh
        v = vh
    return w - m * alpha / (np.sqrt(v) + epsilon)


def ref_rmsprop(w, g, s, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    r, mo = f32(rho), f32(momentum)
    ms = s.get("ms", np.zeros_like(w))
    mg = s.get("mg", np.zeros_like(w))
    if momentum == 0:
        ms = r * ms + (1 - r) * g * g
        den = ms
        if centered:
            mg = r * mg + (1 - r) * g
            den = ms - mg * mg
        s["ms"], s["mg"] = ms, mg
        return w - lr * g / (np.sqrt(den) + epsilon)
    ms = ms + (g * g - ms) * (1 - r)
    den = ms + epsilon
    if centered:
        mg = mg + (g - mg) * (1 - r)
        den = ms - mg * mg + epsilon
    mom = s.get("mom", np.zeros_like(w)) * mo + g * lr / np.sqrt(den)
    s["ms"], s["mg"], s["mom"] = ms, mg, mom
    return w - mom


def ref_adagrad(w, g, s, lr, t, initial_accumulator_value=0.1, epsilon=1e-7):
    a = s.get("a", np.full_like(w, initial_accumulator_value)) + g * g
    s["a"] = a
    return w - g * lr / (np.sqrt(a) + epsilon)


def ref_adadelta(w, g, s, lr, t, rho=0.95, epsilon=1e-7):
    r = f32(rho)
    a = s.get("a", np.zeros_like(w)) * r + g * g * (1 - r)
    au = s.get("au", np.zeros_like(w))
    upd = np.sqrt(au + epsilon) / np.sqrt(a + epsilon) * g
    s["a"], s["au"] = a, au * r + upd * upd * (1 - r)
    return w - upd * lr


def ref_adamax(w, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    b1, b2 = f32(beta_1), f32(beta_2)
    m = s.get("m", np.zeros_like(w))
    m = m + (g - m) * (1 - b1)
    v = np.maximum(b2 * s.get("v", np.zeros_like(w)), np.abs(g))
    s["m"], s["v"] = m, v
    return w - lr / (1 - b1 ** t) * (m / (v + epsilon))


def ref_nadam(w, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0.004,
              cache=None):
    b1, b2 = f32(beta_1), f32(beta_2)
    mu_t = b1 * (1 - 0.5 * 0.96 ** (decay * t))
    mu_t1 = b1 * (1 - 0.5 * 0.96 ** (decay * (t + 1)))
    ms_new = cache["v"] * mu_t           # the optimizer-wide cache (updated once per step)
    if cache.get("t") != t:
        cache["v"], cache["t"] = ms_new, t
    else:
        ms_new = cache["v"]
    ms_next = ms_new * mu_t1
    m = b1 * s.get("m", np.zeros_like(w)) + (1 - b1) * g
    v = b2 * s.get("v", np.zeros_like(w)) + (1 - b2) * g * g
    s["m"], s["v"] = m, v
    mbar = (1 - mu_t) * g / (1 - ms_new) + mu_t1 * m / (1 - ms_next)
    return w - lr * mbar / (np.sqrt(v / (1 - b2 ** t)) + epsilon)


def ref_adabound(w, g, s, lr, t, final_lr=0.1, base_lr=None, beta_1=0.9, beta_2=0.999,
                 gamma=1e-3, epsilon=1e-7, weight_decay=0.0, amsbound=False):
    b1, b2, gm = f32(beta_1), f32(beta_2), f32(gamma)
    if weight_decay:
        g = g + weight_decay * w
    m = b1 * s.get("m", np.zeros_like(w)) + (1 - b1) * g
    v = b2 * s.get("v", np.zeros_like(w)) + (1 - b2) * g * g
    s["m"], s["v"] = m, v
    if amsbound:
        vh = np.maximum(s.get("vh", np.zeros_like(w)), v)
        s["vh"] = vh
        v = vh
    lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    fin = f32(final_lr) / base_lr * lr
    lower = fin * (1 - 1 / (gm * t + 1))
    upper = fin * (1 + 1 / (gm * t))
    step = np.clip(lr_t / (np.sqrt(v) + epsilon), lower, upper)
    return w - step * m


CASES = {
    "sgd": (lambda: optimizers.SGD(0.1), ref_sgd, {}),
    "sgd_momentum": (lambda: optimizers.SGD(0.1, momentum=0.9), ref_sgd, {"momentum": 0.9}),
    "sgd_nesterov": (lambda: optimizers.SGD(0.1, momentum=0.8, nesterov=True), ref_sgd,
                     {"momentum": 0.8, "nesterov": True}),
    "adam": (lambda: optimizers.Adam(0.01), ref_adam, {}),
    "adam_amsgrad": (lambda: optimizers.Adam(0.01, amsgrad=True), ref_adam, {"amsgrad": True}),
    "adamw": (lambda: optimizers.AdamW(0.01, weight_decay=0.05), ref_adam, {"wd": 0.05}),
    "rmsprop": (lambda: optimizers.RMSprop(0.01), ref_rmsprop, {}),
    "rmsprop_centered": (lambda: optimizers.RMSprop(0.01, centered=True), ref_rmsprop,
                         {"centered": True}),
    "rmsprop_momentum": (lambda: optimizers.RMSprop(0.01, momentum=0.5), ref_rmsprop,
                         {"momentum": 0.5}),
    "rmsprop_mom_centered": (lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5,
                                                        centered=True),
                             ref_rmsprop, {"rho": 0.8, "momentum": 0.5, "centered": True}),
    "adagrad": (lambda: optimizers.Adagrad(0.1), ref_adagrad, {}),
    "adadelta": (lambda: optimizers.Adadelta(1.0), ref_adadelta, {}),
    "adamax": (lambda: optimizers.Adamax(0.01), ref_adamax, {}),
    "nadam": (lambda: optimizers.Nadam(0.01), ref_nadam, {}),
    "adabound": (lambda: optimizers.AdaBound(learning_rate=1e-3, final_lr=0.1), ref_adabound,
                 {"base_lr": 1e-3}),
    "amsbound_wd": (lambda: optimizers.AdaBound(learning_rate=1e-2, final_lr=0.05, gamma=0.1,
                                                weight_decay=0.01, amsgrad=True),
                    ref_adabound, {"base_lr": 1e-2, "final_lr": 0.05, "gamma": 0.1,
                                   "weight_decay": 0.01, "amsbound": True}),
}

SHAPES = [(5, 7), (7,)]
LRS = [None, 0.05, 0.02, 0.2]      # learning rate set before each step (None: keep)


def _reference(name, dtype, w0s, grads, lrs, lr0):
    _, ref, kw = CASES[name]
    ws = [w.astype(np.float64) for w in w0s]
    states = [{} for _ in ws]
    cache = {"v": 1.0}
    lr = f32(lr0)
    out = []
    for t, gs in enumerate(grads, 1):
        if lrs[t - 1] is not None:
            lr = f32(lrs[t - 1])
        for i, g in enumerate(gs):
            extra = {"cache": cache} if ref is ref_nadam else {}
            ws[i] = ref(ws[i], g.astype(np.float64), states[i], lr, t, **kw, **extra)
            if dtype == np.float32:      # the variable is stored in float32 between steps
                ws[i] = ws[i].astype(np.float32).astype(np.float64)
                for k in states[i]:
                    states[i][k] = states[i][k].astype(np.float32).astype(np.float64)
        if dtype == np.float32:
            cache["v"] = f32(cache["v"])
        out.append([w.copy() for w in ws])
    return out


def _data(dtype, steps=4, seed=0):
    rng = np.random.default_rng(seed)
    w0 = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    grads = [[rng.normal(size=s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return w0, grads


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_eager_matches_reference(name, dtype):
    w0, grads = _data(dtype)
    opt = CASES[name][0]()
    lr0 = float(np.asarray(opt.learning_rate))
    vs = [tf.Variable(w, name=f"v{i}") for i, w in enumerate(w0)]
    ref = _reference(name, dtype, w0, grads, LRS, lr0)
    for t, gs in enumerate(grads):
        if LRS[t] is not None:
            opt.learning_rate = LRS[t]
        opt.apply_gradients(zip([tf.constant(g) for g in gs], vs))
        for v, r in zip(vs, ref[t]):
            assert v.dtype.as_numpy_dtype == dtype
            np.testing.assert_allclose(v.numpy(), r, **_tol(dtype), err_msg=f"step {t + 1}")
    assert int(opt.iterations.numpy()) == len(grads)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_traced_replay_sees_new_learning_rate(name, dtype):
    w0, grads = _data(dtype, seed=1)
    opt = CASES[name][0]()
    lr0 = float(np.asarray(opt.learning_rate))
    vs = [tf.Variable(w, name=f"v{i}") for i, w in enumerate(w0)]

    @tf.function
    def step(g0, g1):
        opt.apply_gradients(zip([g0, g1], vs))

    ref = _reference(name, dtype, w0, grads, LRS, lr0)
    for t, gs in enumerate(grads):
        if LRS[t] is not None:
            opt.lr = LRS[t]          # the `lr` alias
        step(*[tf.constant(g) for g in gs])
        for v, r in zip(vs, ref[t]):
            np.testing.assert_allclose(v.numpy(), r, **_tol(dtype), err_msg=f"step {t + 1}")
    assert step.experimental_get_tracing_count() == 1
    assert int(opt.iterations.numpy()) == len(grads)


# ---- weights, names, slots ---------------------------------------------------------------

def test_weights_order_and_names():
    k = tf.Variable(np.ones((2, 3), np.float32), name="dense/kernel")
    b = tf.Variable(np.zeros(3, np.float32), name="dense/bias")
    opt = optimizers.Adam()
    assert opt.weights == []
    opt.apply_gradients([(np.ones((2, 3), np.float32), k), (np.ones(3, np.float32), b)])
    assert [w.name for w in opt.weights] == [
        "Adam/iter:0", "Adam/dense/kernel/m:0", "Adam/dense/bias/m:0",
        "Adam/dense/kernel/v:0", "Adam/dense/bias/v:0"]
    assert opt.variables() == opt.weights
    assert opt.get_slot_names() == ["m", "v"]
    assert opt.get_slot(k, "m").shape == (2, 3)
    ws = opt.get_weights()
    assert ws[0] == 1 and ws[0].dtype == np.int64 and len(ws) == 5

    nadam = optimizers.Nadam()
    nadam.apply_gradients([(np.ones(3, np.float32), b)])
    assert [w.name for w in nadam.weights] == ["Nadam/iter:0", "Nadam/momentum_cache:0",
                                               "Nadam/dense/bias/m:0", "Nadam/dense/bias/v:0"]
    rms = optimizers.RMSprop(momentum=0.9, centered=True)
    rms.apply_gradients([(np.ones(3, np.float32), b)])
    assert rms.get_slot_names() == ["rms", "momentum", "mg"]
    ada = optimizers.Adagrad()
    ada.apply_gradients([(np.ones(3, np.float32), b)])
    np.testing.assert_allclose(ada.get_slot(b, "accumulator").numpy(), 1.1, rtol=1e-6)


def test_set_weights_restores_state():
    rng = np.random.default_rng(3)
    w0 = rng.normal(size=(4, 3)).astype(np.float32)
    grads = [rng.normal(size=(4, 3)).astype(np.float32) for _ in range(4)]
    v1 = tf.Variable(w0, name="a")
    o1 = optimizers.Adam(0.01)
    for g in grads[:2]:
        o1.apply_gradients([(g, v1)])
    saved_w, saved_opt = v1.numpy(), o1.get_weights()
    for g in grads[2:]:
        o1.apply_gradients([(g, v1)])

    v2 = tf.Variable(saved_w, name="a")
    o2 = optimizers.Adam(0.01)
    o2._create_all_weights([v2])
    with pytest.raises(ValueError, match="expecting 3 weights"):
        o2.set_weights(saved_opt[:2])
    with pytest.raises(ValueError, match="not compatible"):
        o2.set_weights([saved_opt[0], saved_opt[1][:2], saved_opt[2]])
    o2.set_weights(saved_opt)
    for g in grads[2:]:
        o2.apply_gradients([(g, v2)])
    np.testing.assert_array_equal(v2.numpy(), v1.numpy())
    assert int(o2.iterations.numpy()) == 4


# ---- clipping, constraints, None gradients --------------------------------------------------

def _sgd_step(opt, w, g):
    v = tf.Variable(np.array(w, np.float32))
    opt.apply_gradients([(tf.constant(np.array(g, np.float32)), v)])
    return v.numpy()


def test_clipnorm():
    w, g = np.zeros(2), np.array([3.0, 4.0])
    np.testing.assert_allclose(_sgd_step(optimizers.SGD(1.0, clipnorm=1.0), w, g), [-0.6, -0.8],
                               rtol=1e-6)
    np.testing.assert_allclose(_sgd_step(optimizers.SGD(1.0, clipnorm=10.0), w, g), -g, rtol=1e-6)
    np.testing.assert_allclose(_sgd_step(optimizers.SGD(1.0, clipnorm=1.0), w, [0, 0]), [0, 0])


def test_clipvalue():
    out = _sgd_step(optimizers.SGD(1.0, clipvalue=0.5), np.zeros(3), [-3.0, 0.2, 4.0])
    np.testing.assert_allclose(out, [0.5, -0.2, -0.5], rtol=1e-6)


def test_global_clipnorm_and_traced_clipping():
    a = tf.Variable(np.zeros(2, np.float32))
    b = tf.Variable(np.zeros(1, np.float32))
    opt = optimizers.SGD(1.0, global_clipnorm=1.0)

    @tf.function
    def step(ga, gb):
        opt.apply_gradients([(ga, a), (gb, b)])

    step(tf.constant([3.0, 0.0]), tf.constant([4.0]))
    np.testing.assert_allclose(a.numpy(), [-0.6, 0], atol=1e-7)
    np.testing.assert_allclose(b.numpy(), [-0.8], rtol=1e-6)
    step(tf.constant([0.3, 0.0]), tf.constant([0.4]))     # norm 0.5 < 1: unchanged
    np.testing.assert_allclose(a.numpy(), [-0.9, 0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b.numpy(), [-1.2], rtol=1e-6)
    with pytest.raises(ValueError, match="both `clipnorm` and `global_clipnorm`"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_constraint_applied_after_update():
    v = tf.Variable(np.array([0.5, -0.5], np.float32),
                    constraint=lambda x: tf.maximum(x, tf.constant(0.0)))
    optimizers.SGD(1.0).apply_gradients([(tf.constant([1.0, 1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [0.0, 0.0], atol=1e-7)


def test_none_gradients_are_skipped():
    a = tf.Variable(np.ones(2, np.float32), name="a")
    b = tf.Variable(np.ones(2, np.float32), name="b")
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizers.SGD(0.5).apply_gradients([(None, a), (tf.constant([1.0, 2.0]), b)])
    np.testing.assert_allclose(a.numpy(), [1, 1])
    np.testing.assert_allclose(b.numpy(), [0.5, 0.0])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizers.SGD().apply_gradients([(None, a)])


def test_minimize_with_callable_loss_and_tape():
    v = tf.Variable(np.array([1.0, -2.0], np.float32))
    opt = optimizers.SGD(0.25)
    loss = lambda: C["reduce_sum"](tf.multiply(v, v))       # noqa: E731  grad 2v
    opt.minimize(loss, [v])
    np.testing.assert_allclose(v.numpy(), [0.5, -1.0], rtol=1e-6)
    with tf.GradientTape() as tape:
        l2 = C["reduce_sum"](tf.multiply(v, v))
    opt.minimize(l2, [v], tape=tape)
    np.testing.assert_allclose(v.numpy(), [0.25, -0.5], rtol=1e-6)
    with pytest.raises(ValueError, match="`tape` is required"):
        opt.minimize(l2, [v])


# ---- dtypes, big and strided tensors, errors ------------------------------------------------

def test_float16_variables_compute_in_float32():
    w = np.array([1.0, -1.0, 0.5], np.float16)
    g = np.array([0.5, 0.25, -1.0], np.float16)
    v = tf.Variable(w)
    opt = optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant(g), v)])
    assert v.dtype.name == "float16" and opt.get_slot(v, "m").dtype.name == "float16"
    ref = ref_adam(w.astype(np.float64), g.astype(np.float64), {}, f32(0.1), 1)
    np.testing.assert_allclose(v.numpy().astype(np.float64), ref, rtol=2e-3)


def test_big_tensor_and_strided_gradient():
    rng = np.random.default_rng(5)
    w = rng.normal(size=(300, 256)).astype(np.float32)      # > MK_PAR_MIN: threaded path
    g = rng.normal(size=(256, 300)).astype(np.float32)
    v = tf.Variable(w)
    gt = tf.transpose(tf.constant(g))                        # a strided view
    opt = optimizers.RMSprop(0.01, momentum=0.9, centered=True)
    opt.apply_gradients([(gt, v)])
    ref = ref_rmsprop(w.astype(np.float64), g.T.astype(np.float64), {}, f32(0.01), 1,
                      momentum=0.9, centered=True)
    np.testing.assert_allclose(v.numpy(), ref, rtol=2e-5, atol=1e-6)
    opt2 = optimizers.Adam(0.01)
    v2 = tf.Variable(w)
    opt2.apply_gradients([(gt, v2)])
    np.testing.assert_allclose(v2.numpy(), ref_adam(w.astype(np.float64), g.T, {}, f32(0.01), 1),
                               rtol=2e-5, atol=1e-6)


def test_zero_size_variable():
    v = tf.Variable(np.zeros((0, 3), np.float32))
    optimizers.Adam().apply_gradients([(np.zeros((0, 3), np.float32), v)])
    assert v.shape == (0, 3)


def test_update_op_errors():
    v = tf.Variable(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="shape"):
        optimizers.SGD().apply_gradients([(np.ones(4, np.float32), v)])
    m = tf.Variable(np.zeros(3, np.float32))
    lr = tf.constant(0.1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"sgd_update: .*shape \[3\].*\[2\]"):
        C["sgd_update"](v._value, tf.constant([1.0, 2.0]), lr)
    with pytest.raises(tf.errors.InvalidArgumentError, match="variable's buffer"):
        C["sgd_update"](tf.constant([1.0, 2.0, 3.0]), tf.constant([1.0, 2.0, 3.0]), lr)
    with pytest.raises(tf.errors.InvalidArgumentError, match="dtype"):
        C["sgd_update"](v._value, tf.constant(np.ones(3)), lr)
    with pytest.raises(tf.errors.InvalidArgumentError, match="scalar"):
        C["sgd_update"](v._value, m._value, tf.constant([1.0, 2.0, 3.0]), tf.constant([0.1, 0.2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        iv = tf.Variable(np.ones(3, np.int32))
        C["sgd_update"](iv._value, tf.constant([1, 2, 3]), lr)
    with pytest.raises(TypeError, match="adam_update takes at least 6 tensor arguments, got 5"):
        C["adam_update"](v._value, m._value, tf.constant([1.0, 2.0, 3.0]), lr, lr)


# ---- constructor arguments, hyper-parameters, configs ----------------------------------------

def test_constructor_arguments_and_defaults():
    assert optimizers.SGD().get_config() == {"name": "SGD", "learning_rate": 0.01, "decay": 0.0,
                                             "momentum": 0.0, "nesterov": False}
    assert optimizers.Adam().get_config() == {
        "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False}
    assert optimizers.RMSprop().get_config() == {
        "name": "RMSprop", "learning_rate": 0.001, "decay": 0.0, "rho": 0.9, "momentum": 0.0,
        "epsilon": 1e-07, "centered": False}
    assert optimizers.Adagrad().get_config() == {
        "name": "Adagrad", "learning_rate": 0.001, "decay": 0.0,
        "initial_accumulator_value": 0.1, "epsilon": 1e-07}
    assert optimizers.Adadelta().get_config() == {
        "name": "Adadelta", "learning_rate": 0.001, "decay": 0.0, "rho": 0.95, "epsilon": 1e-07}
    assert optimizers.Adamax().get_config()["beta_2"] == 0.999
    assert optimizers.Nadam().get_config()["decay"] == 0.004
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004
    ab = optimizers.AdaBound(learning_rate=1e-3, final_lr=0.1)
    assert ab.get_config()["final_lr"] == 0.1 and ab.base_lr == 1e-3
    with pytest.raises(TypeError, match="Unexpected keyword argument"):
        optimizers.Adam(foo=1)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="Expected clipnorm >= 0"):
        optimizers.SGD(clipnorm=-1)
    with pytest.warns(UserWarning, match="lr"):
        opt = optimizers.Adam(lr=0.5)
    assert opt.get_config()["learning_rate"] == 0.5
    assert optimizers.SGD(0.1, clipnorm=2.0).get_config()["clipnorm"] == 2.0


def test_learning_rate_property_and_variable():
    opt = optimizers.Adam(0.01)
    lr = opt.learning_rate
    assert lr.dtype.name == "float32" and np.isclose(float(lr.numpy()), 0.01)
    assert opt.lr is lr
    opt.learning_rate = 0.5
    assert opt.lr is lr and np.isclose(float(lr.numpy()), 0.5)
    lr.assign(0.25)                       # as keras.backend.set_value / callbacks do
    assert opt.get_config()["learning_rate"] == 0.25
    assert np.isclose(float(np.asarray(opt._decayed_lr("float32"))), 0.25)
    opt.beta_1 = 0.8
    assert np.isclose(float(opt.beta_1.numpy()), 0.8)


def test_legacy_decay_argument():
    v = tf.Variable(np.zeros(1, np.float32))
    opt = optimizers.SGD(1.0, decay=0.5)
    for _ in range(3):
        opt.apply_gradients([(tf.constant([1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [-(1 + 1 / 1.5 + 1 / 2.0)], rtol=1e-6)


def test_get_serialize_deserialize():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("sgd"), optimizers.SGD)
    opt = optimizers.Adam(0.1)
    assert optimizers.get(opt) is opt
    cfg = optimizers.serialize(optimizers.SGD(0.1, momentum=0.9, nesterov=True))
    assert cfg == {"class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.1,
                                                   "decay": 0.0, "momentum": 0.9,
                                                   "nesterov": True}}
    json.dumps(cfg)
    back = optimizers.deserialize(cfg)
    assert isinstance(back, optimizers.SGD) and back.get_config() == cfg["config"]
    d = optimizers.get({"class_name": "Adam", "config": {"learning_rate": 0.5, "amsgrad": True}})
    assert d.amsgrad and d.get_config()["learning_rate"] == 0.5
    assert optimizers.Adam.from_config({"lr": 0.3}).get_config()["learning_rate"] == 0.3
    with pytest.raises(ValueError, match="Unknown optimizer: nope"):
        optimizers.get("nope")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(3)

    class MyOpt(optimizers.SGD):
        pass
    m = optimizers.deserialize({"class_name": "MyOpt", "config": {}},
                               custom_objects={"MyOpt": MyOpt})
    assert isinstance(m, MyOpt)


def test_schedule_config_roundtrip():
    s = schedules.ExponentialDecay(1e-3, decay_steps=1000, decay_rate=0.9)
    opt = optimizers.Adam(s)
    cfg = optimizers.serialize(opt)
    assert cfg["config"]["learning_rate"] == {
        "class_name": "ExponentialDecay",
        "config": {"initial_learning_rate": 1e-3, "decay_steps": 1000, "decay_rate": 0.9,
                   "staircase": False, "name": None}}
    json.dumps(cfg)
    back = optimizers.deserialize(cfg)
    assert isinstance(back.learning_rate, schedules.ExponentialDecay)
    assert back.lr.get_config() == s.get_config()


# ---- schedules -------------------------------------------------------------------------------

def _np_sched(name, step, **kw):
    if name == "exp":
        p = step / kw["decay_steps"]
        p = np.floor(p) if kw.get("staircase") else p
        return kw["initial_learning_rate"] * kw["decay_rate"] ** p
    if name == "inv":
        p = step / kw["decay_steps"]
        p = np.floor(p) if kw.get("staircase") else p
        return kw["initial_learning_rate"] / (1 + kw["decay_rate"] * p)
    if name == "poly":
        ds, s = kw["decay_steps"], step
        if kw.get("cycle"):
            ds = ds * (1.0 if s == 0 else math.ceil(s / ds))
        else:
            s = min(s, ds)
        return ((kw["initial_learning_rate"] - kw["end_learning_rate"]) *
                (1 - s / ds) ** kw["power"] + kw["end_learning_rate"])
    if name == "cos":
        s = min(step, kw["decay_steps"])
        c = 0.5 * (1 + math.cos(math.pi * s / kw["decay_steps"]))
        return kw["initial_learning_rate"] * ((1 - kw["alpha"]) * c + kw["alpha"])
    raise KeyError(name)


@pytest.mark.parametrize("step", [0, 1, 7, 10, 25, 100, 1000])
def test_schedules_match_numpy(step):
    st = tf.constant(float(step))
    cases = [
        ("exp", schedules.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=10,
                                                 decay_rate=0.5)),
        ("exp", schedules.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=10,
                                                 decay_rate=0.5, staircase=True)),
        ("inv", schedules.InverseTimeDecay, dict(initial_learning_rate=0.1, decay_steps=10,
                                                 decay_rate=0.5)),
        ("inv", schedules.InverseTimeDecay, dict(initial_learning_rate=0.1, decay_steps=10,
                                                 decay_rate=0.5, staircase=True)),
        ("poly", schedules.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=20,
                                                 end_learning_rate=0.0001, power=1.0)),
        ("poly", schedules.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=20,
                                                 end_learning_rate=0.01, power=0.5, cycle=True)),
        ("cos", schedules.CosineDecay, dict(initial_learning_rate=0.1, decay_steps=50,
                                            alpha=0.1)),
    ]
    for key, cls, kw in cases:
        got = float(np.asarray(cls(**kw)(st)))
        np.testing.assert_allclose(got, _np_sched(key, float(step), **kw), rtol=2e-6,
                                   err_msg=f"{cls.__name__} {kw}")
        assert cls(**kw).get_config()["initial_learning_rate"] == kw["initial_learning_rate"]
    # integer steps work too
    assert np.isclose(float(np.asarray(schedules.ExponentialDecay(0.1, 10, 0.5)(step))),
                      _np_sched("exp", step, initial_learning_rate=0.1, decay_steps=10,
                                decay_rate=0.5), rtol=2e-6)


def test_piecewise_constant_and_restarts():
    pc = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    for s, want in [(0, 1.0), (10, 1.0), (11, 0.5), (20, 0.5), (21, 0.1), (100, 0.1)]:
        assert float(np.asarray(pc(tf.constant(float(s))))) == pytest.approx(want)
        assert float(np.asarray(pc(tf.constant(s, dtype="int64")))) == pytest.approx(want)
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])
    assert pc.get_config() == {"boundaries": [10, 20], "values": [1.0, 0.5, 0.1], "name": None}

    def np_restarts(step, lr, first, t_mul, m_mul, alpha):
        frac = step / first
        if t_mul == 1.0:
            i = math.floor(frac)
            frac -= i
        else:
            i = math.floor(math.log(1 - frac * (1 - t_mul)) / math.log(t_mul))
            sum_r = (1 - t_mul ** i) / (1 - t_mul)
            frac = (frac - sum_r) / t_mul ** i
        c = 0.5 * m_mul ** i * (1 + math.cos(math.pi * frac))
        return lr * ((1 - alpha) * c + alpha)
    for t_mul, m_mul in [(2.0, 1.0), (1.0, 0.5), (1.5, 0.8)]:
        s = schedules.CosineDecayRestarts(0.1, 10, t_mul=t_mul, m_mul=m_mul, alpha=0.05)
        for step in [0, 3, 10, 17, 31, 55]:
            np.testing.assert_allclose(float(np.asarray(s(tf.constant(float(step))))),
                                       np_restarts(step, 0.1, 10, t_mul, m_mul, 0.05),
                                       rtol=1e-5, atol=1e-7)


def test_schedules_module_star_import():
    ns = {}
    exec("from minikeras.optimizers.schedules import *", ns)
    for n in ["ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
              "InverseTimeDecay", "CosineDecay", "LearningRateSchedule"]:
        assert n in ns
    assert "C" not in ns and "math" not in ns
    s = ns["ExponentialDecay"](initial_learning_rate=1e-3, decay_steps=1000, decay_rate=0.9)
    assert isinstance(optimizers.Adam(s).learning_rate, schedules.LearningRateSchedule)


def test_schedule_inside_traced_step():
    v = tf.Variable(np.zeros(1, np.float32))
    s = schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(s)

    @tf.function
    def step(g):
        opt.apply_gradients([(g, v)])

    total = 0.0
    for t in range(5):
        step(tf.constant([1.0]))
        total += 0.5 ** t                  # lr at step t = schedule(iterations = t)
        np.testing.assert_allclose(v.numpy(), [-total], rtol=1e-6)
    assert step.experimental_get_tracing_count() == 1


def test_custom_schedule_subclass():
    class Halve(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / (tf.cast(step, "float32") + 1.0)

        def get_config(self):
            return {}
    v = tf.Variable(np.zeros(1, np.float32))
    opt = optimizers.SGD(Halve())
    for _ in range(3):
        opt.apply_gradients([(tf.constant([1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [-(1 + 1 / 2 + 1 / 3)], rtol=1e-6)


def test_slots_created_inside_trace_are_not_reset_on_replay():
    v = tf.Variable(np.zeros(2, np.float32))
    opt = optimizers.SGD(1.0, momentum=0.5)

    @tf.function
    def step(g):
        opt.apply_gradients([(g, v)])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            step(tf.constant([1.0, 2.0]))
    # accum: -1, -1.5, -1.75 (times g); var = sum
    np.testing.assert_allclose(v.numpy(), [-4.25, -8.5], rtol=1e-6)
    np.testing.assert_allclose(opt.get_slot(v, "momentum").numpy(), [-1.75, -3.5], rtol=1e-6)


# ---- values stated in the tf.keras 2.5 docstrings ------------------------------------------

@pytest.mark.parametrize("make,start,want", [
    (lambda: optimizers.SGD(learning_rate=0.1), 1.0, [0.9]),
    (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9), 1.0, [0.9, 0.72]),   # steps 0.1, 0.18
    (lambda: optimizers.Adam(learning_rate=0.1), 10.0, [9.9]),
    (lambda: optimizers.RMSprop(learning_rate=0.1), 10.0, [9.683772]),
    (lambda: optimizers.Nadam(learning_rate=0.2), 10.0, [9.7887]),   # docstring: "9.8" (.1f)
    (lambda: optimizers.Adamax(learning_rate=0.1), 10.0, [9.9]),
])
def test_docstring_examples(make, start, want):
    opt = make()
    var = tf.Variable(start)
    loss = lambda: (var ** 2) / 2.0      # noqa: E731
    for w in want:
        opt.minimize(loss, [var])
        assert float(var.numpy()) == pytest.approx(w, abs=1e-4)


def test_tf_keras_style_subclass():
    """A user optimizer written against tf.keras 2.5's OptimizerV2 internals."""
    class PlainSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, name="PlainSGD", **kwargs):
            super().__init__(name, **kwargs)
            self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
            self._set_hyper("decay", self._initial_decay)

        def _create_slots(self, var_list):
            for v in var_list:
                self.add_slot(v, "last")

        def _resource_apply_dense(self, grad, var):
            lr = self._decayed_lr(var.dtype.base_dtype)
            self.get_slot(var, "last").assign(grad)
            return var.assign_sub(lr * grad)

        def get_config(self):
            return {**super().get_config(),
                    "learning_rate": self._serialize_hyperparameter("learning_rate")}

    class CoeffSGD(PlainSGD):
        def _prepare_local(self, var_device, var_dtype, apply_state):
            super()._prepare_local(var_device, var_dtype, apply_state)
            apply_state[(var_device, var_dtype)]["two"] = tf.constant(2.0)

        def _resource_apply_dense(self, grad, var, apply_state=None):
            coef = ((apply_state or {}).get((var.device, var.dtype.base_dtype))
                    or self._fallback_apply_state(var.device, var.dtype.base_dtype))
            return var.assign_sub(coef["lr_t"] * coef["two"] * grad)

    v = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    opt = PlainSGD(0.5)

    @tf.function
    def step(g):
        opt.apply_gradients([(g, v)])
    step(tf.constant([1.0, 1.0]))
    opt.learning_rate = 0.25
    step(tf.constant([2.0, 4.0]))
    np.testing.assert_allclose(v.numpy(), [0.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(opt.get_slot(v, "last").numpy(), [2.0, 4.0])
    assert opt.get_config() == {"name": "PlainSGD", "learning_rate": 0.25}

    v2 = tf.Variable(np.array([1.0], np.float32))
    CoeffSGD(0.5).apply_gradients([(tf.constant([0.5]), v2)])
    np.testing.assert_allclose(v2.numpy(), [0.5], rtol=1e-6)


def test_rmsprop_accepts_keras1_weights_without_iterations():
    v = tf.Variable(np.ones(2, np.float32))
    opt = optimizers.RMSprop()
    opt._create_all_weights([v])
    opt.set_weights([np.full(2, 4.0, np.float32)])
    assert int(opt.iterations.numpy()) == 0
    np.testing.assert_allclose(opt.get_slot(v, "rms").numpy(), [4.0, 4.0])
    assert optimizers.RMSProp is optimizers.RMSprop


def test_clip_helpers():
    from minikeras.engine.api.optim import clip_by_global_norm, clip_by_norm, global_norm
    a = np.array([[3.0, 4.0], [6.0, 8.0]], np.float32)
    np.testing.assert_allclose(np.asarray(clip_by_norm(a, 5.0)), a * 5 / np.sqrt(125), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(clip_by_norm(a, 5.0, axes=[1])),
                               [[3, 4], [3, 4]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(clip_by_norm(a.astype(np.float64), 100.0)), a)
    b = np.array([1.0, 2.0], np.float32)
    n = float(np.asarray(global_norm([a, None, b])))
    assert n == pytest.approx(np.sqrt(125 + 5), rel=1e-6)
    clipped, norm = clip_by_global_norm([a, None, b], 1.0)
    assert clipped[1] is None and float(np.asarray(norm)) == pytest.approx(n, rel=1e-6)
    np.testing.assert_allclose(np.asarray(clipped[2]), b / n, rtol=1e-6)
    inf = clip_by_global_norm([np.array([np.inf], np.float32)], 1.0)[0][0]
    assert np.isnan(np.asarray(inf)).all()


@pytest.mark.parametrize("make,ref,kw", [
    (lambda: optimizers.SGD(0.1, momentum=0.9, clipvalue=0.5), ref_sgd, {"momentum": 0.9}),
    (lambda: optimizers.Adagrad(0.1, clipvalue=0.5), ref_adagrad, {}),
    (lambda: optimizers.RMSprop(0.01, clipvalue=0.5), ref_rmsprop, {}),
    (lambda: optimizers.Adam(0.01, clipvalue=0.5), ref_adam, {}),
])
def test_traced_big_step_fused_chains(make, ref, kw):
    """Big variables in a traced step: clip ops + the update op may run as one fused,
    chunk-wise, threaded chain in the replayed graph."""
    rng = np.random.default_rng(7)
    w = rng.normal(size=(300, 256)).astype(np.float32)
    v = tf.Variable(w)
    opt = make()

    @tf.function
    def step(g):
        opt.apply_gradients([(g, v)])

    ws, st = w.astype(np.float64), {}
    for t in range(1, 4):
        g = rng.normal(size=w.shape).astype(np.float32)
        step(tf.constant(g))
        ws = ref(ws, np.clip(g, -0.5, 0.5).astype(np.float64), st, f32(opt._hyper_float(
            "learning_rate")), t, **kw)
        ws = ws.astype(np.float32).astype(np.float64)
        st = {k: x.astype(np.float32).astype(np.float64) for k, x in st.items()}
        np.testing.assert_allclose(v.numpy(), ws, rtol=2e-5, atol=2e-6)
