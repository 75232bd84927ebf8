"""tf.GradientTape semantics as TensorFlow 2.x."""
import numpy as np
import pytest

from minikeras import _core, tf

C = _core.ops


def _np(x):
    return None if x is None else np.asarray(x)


def _relu(x):
    nn = getattr(tf, "nn", None)
    return nn.relu(x) if nn is not None and hasattr(nn, "relu") else C["relu"](x)


def _sum(x):
    rs = getattr(tf.math, "reduce_sum", None)
    return rs(x) if rs is not None else x      # a non-scalar target is summed anyway


# ---- what is watched ----------------------------------------------------------------

def test_trainable_variables_watched_automatically():
    v = tf.Variable(3.0)
    nt = tf.Variable(2.0, trainable=False)
    c = tf.constant(4.0)
    with tf.GradientTape() as t:
        y = v * v + nt * nt + c * c
    gv, gnt, gc = t.gradient(y, [v, nt, c])
    assert float(gv) == 6.0 and gnt is None and gc is None
    assert gv.dtype == tf.float32 and gv.shape == ()


def test_unwatched_operands_of_recorded_ops_get_none():
    v = tf.Variable(1.0)
    nt = tf.Variable(2.0, trainable=False)
    c = tf.constant(3.0)
    with tf.GradientTape() as t:
        y = v * nt * c
    g = t.gradient(y, [v, nt, c])
    assert float(g[0]) == 6.0 and g[1] is None and g[2] is None


def test_watch_constants_and_non_trainable():
    nt = tf.Variable(2.0, trainable=False)
    c = tf.constant(4.0)
    with tf.GradientTape() as t:
        t.watch(nt)
        t.watch([c])
        y = nt * nt * c
    g = t.gradient(y, {"nt": nt, "c": c})
    assert set(g) == {"nt", "c"}
    assert float(g["nt"]) == 16.0 and float(g["c"]) == 4.0


def test_watch_accessed_variables_false():
    v, w = tf.Variable(3.0), tf.Variable(5.0)
    with tf.GradientTape(watch_accessed_variables=False) as t:
        t.watch(w)
        y = v * w
    gv, gw = t.gradient(y, [v, w])
    assert gv is None and float(gw) == 3.0
    with tf.GradientTape(watch_accessed_variables=False) as t:
        y = v * v
    assert t.gradient(y, v) is None


def test_watch_of_ints_is_ignored_and_bad_watch_raises():
    i = tf.constant([1, 2])
    with tf.GradientTape() as t:
        t.watch(i)
        y = tf.cast(i, tf.float32) * 2.0
    assert t.gradient(y, i) is None
    with tf.GradientTape() as t:
        with pytest.raises((ValueError, TypeError)):
            t.watch("not a tensor")


def test_an_earlier_tape_does_not_leak_into_a_later_one():
    c = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(c)
        y = c * c
    assert float(t.gradient(y, c)) == 4.0
    with tf.GradientTape() as t2:
        z = c * c
    assert t2.gradient(z, c) is None


# ---- persistence --------------------------------------------------------------------

def test_non_persistent_second_call_raises():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = x * x
    assert float(t.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError):
        t.gradient(y, x)


def test_persistent_allows_several_calls():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        a = x * 3.0
        b = a * a
    np.testing.assert_array_equal(_np(t.gradient(a, x)), [3, 3])
    np.testing.assert_array_equal(_np(t.gradient(b, x)), [18, 36])
    np.testing.assert_array_equal(_np(t.gradient(b, a)), [6, 12])   # w.r.t. an intermediate
    np.testing.assert_array_equal(_np(t.gradient(b, x)), [18, 36])
    del t


def test_gradient_inside_the_context_is_recorded_when_persistent():
    x = tf.Variable([-1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        g = t.gradient(y, x)
        z = g * x                    # = 2 x^2
    np.testing.assert_array_equal(_np(g), [-2, 4])
    np.testing.assert_array_equal(_np(t.gradient(z, x)), [-4, 8])


# ---- higher order -------------------------------------------------------------------

def _second(f, x0):
    x = tf.Variable(x0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = f(x)
        d1 = t1.gradient(y, x)
    d2 = t2.gradient(d1, x)
    return _np(d1), _np(d2)


@pytest.mark.parametrize("name,f,d1,d2", [
    ("cube", lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x),
    ("cube_mul", lambda x: x * x * x, lambda x: 3 * x ** 2, lambda x: 6 * x),
    ("tanh", tf.tanh, lambda x: 1 - np.tanh(x) ** 2, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", tf.sigmoid, lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s),
     lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    ("relu", _relu, lambda x: (x > 0).astype(float), lambda x: np.zeros_like(x)),
    ("exp", tf.exp, np.exp, np.exp),
    ("sin", C["sin"], np.cos, lambda x: -np.sin(x)),
])
def test_second_derivatives(name, f, d1, d2):
    x0 = np.array([-1.5, -0.3, 0.4, 2.0], np.float32)
    g1, g2 = _second(f, x0)
    np.testing.assert_allclose(g1, d1(x0.astype(np.float64)), rtol=1e-5, atol=1e-6)
    if g2 is None:
        assert name == "relu"
    else:
        np.testing.assert_allclose(g2, d2(x0.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_third_derivative():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = x ** 4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert (float(d1), float(d2), float(d3)) == (32.0, 48.0, 48.0)


# ---- structures, unconnected, targets ---------------------------------------------------

def test_structure_of_sources_is_kept():
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        y = a * b * c
        y2 = y * 2.0
    g = t.gradient(y, {"x": a, "rest": [b, (c,)]})
    assert isinstance(g, dict) and isinstance(g["rest"], list) and isinstance(g["rest"][1], tuple)
    assert float(g["x"]) == 6.0 and float(g["rest"][0]) == 3.0 and float(g["rest"][1][0]) == 2.0
    g = t.gradient(y, (a, b))
    assert isinstance(g, tuple) and len(g) == 2
    g = t.gradient(y, a)
    assert isinstance(g, tf.Tensor)
    g = t.gradient([y, y2], [a])       # a list of targets is summed
    assert isinstance(g, list) and float(g[0]) == 18.0


def test_unconnected_sources():
    x, u = tf.Variable([1.0, 2.0]), tf.Variable([[1.0, 2.0, 3.0]])
    with tf.GradientTape(persistent=True) as t:
        y = x * 2.0
    gx, gu = t.gradient(y, [x, u])
    assert gu is None and _np(gx).tolist() == [2, 2]
    gx, gu = t.gradient(y, [x, u], unconnected_gradients="zero")
    assert gu.shape == (1, 3) and gu.dtype == tf.float32 and _np(gu).tolist() == [[0, 0, 0]]
    UG = getattr(tf, "UnconnectedGradients", None)
    if UG is not None:
        assert _np(t.gradient(y, u, unconnected_gradients=UG.ZERO)).tolist() == [[0, 0, 0]]
    with tf.GradientTape() as t:
        z = tf.constant(3.0)
    assert t.gradient(z, x) is None


def test_non_scalar_target_is_summed():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        s = _sum(x * x)
    np.testing.assert_array_equal(_np(t.gradient(y, x)), [2, 4, 6])
    np.testing.assert_array_equal(_np(t.gradient(s, x)), [2, 4, 6])


def test_output_gradients():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        y = x * x
    np.testing.assert_array_equal(_np(t.gradient(y, x, output_gradients=tf.constant([1.0, 10.0]))), [2, 40])
    np.testing.assert_array_equal(_np(t.gradient(y, x, output_gradients=np.array([3.0, 0.0], np.float32))), [6, 0])


def test_stop_gradient_blocks():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t:
        y = tf.stop_gradient(x * x) + x * 3.0
    np.testing.assert_array_equal(_np(t.gradient(y, x)), [3, 3])
    with tf.GradientTape() as t:
        y = tf.stop_gradient(x) * 2.0
    assert t.gradient(y, x) is None


def test_stop_recording():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t:
        y = x * 2.0
        with t.stop_recording():
            z = x * x                 # not recorded: a constant for the tape
        w = y + z
    np.testing.assert_array_equal(_np(t.gradient(w, x)), [2, 2])
    t2 = tf.GradientTape()
    with pytest.raises(ValueError):
        with t2.stop_recording():
            pass


def test_reset():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        y = x * x
        t.reset()
        z = x * 3.0
    assert t.gradient(y, x) is None
    assert float(t.gradient(z, x)) == 3.0


def test_float16_gradients():
    h = tf.Variable(np.array([0.5, 1.5], np.float16))
    with tf.GradientTape() as t:
        y = tf.tanh(h) * h + h * h
    g = t.gradient(y, h)
    assert g.dtype == tf.float16
    x = np.array([0.5, 1.5])
    want = (1 - np.tanh(x) ** 2) * x + np.tanh(x) + 2 * x
    np.testing.assert_allclose(_np(g).astype(np.float64), want, rtol=3e-3)


def test_mixed_precision_cast_gradient():
    w = tf.Variable([1.0, 2.0])                        # float32 master weights
    with tf.GradientTape() as t:
        h = tf.cast(w, tf.float16)
        y = h * h * tf.constant([1.0, 3.0], dtype=tf.float16)
    g = t.gradient(y, w)
    assert g.dtype == tf.float32
    np.testing.assert_allclose(_np(g), [2.0, 12.0])


def test_variable_used_several_times_accumulates():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t:
        y = x * x * x + x + x * 2.0
    np.testing.assert_array_equal(_np(t.gradient(y, x)), [6, 15])


def test_matmul_gradients():
    rng = np.random.default_rng(0)
    a0, b0 = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    a, b = tf.Variable(a0), tf.Variable(b0)
    for ta, tb in [(False, False), (True, False), (False, True), (True, True)]:
        av = tf.constant(a0.T if ta else a0)
        bv = tf.constant(b0.T if tb else b0)
        with tf.GradientTape() as t:
            t.watch([av, bv])
            y = tf.matmul(av, bv, transpose_a=ta, transpose_b=tb)
        ga, gb = t.gradient(y, [av, bv])
        ones = np.ones((3, 2))
        np.testing.assert_allclose(_np(ga), (ones @ b0.T).T if ta else ones @ b0.T)
        np.testing.assert_allclose(_np(gb), (a0.T @ ones).T if tb else a0.T @ ones)
    with tf.GradientTape() as t:
        y = a @ b
    ga, gb = t.gradient(y, [a, b])
    np.testing.assert_allclose(_np(gb), a0.T @ np.ones((3, 2)))


def test_jacobian():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t:
        y = x * x * 3.0
    j = t.jacobian(y, x)
    np.testing.assert_array_equal(_np(j), [[6, 0], [0, 12]])
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    v = tf.constant([[1.0], [2.0]])
    with tf.GradientTape() as t:
        y = tf.matmul(w, v)
    j = t.jacobian(y, w)
    assert j.shape == (2, 1, 2, 2)
    np.testing.assert_array_equal(_np(j)[0, 0], [[1, 2], [0, 0]])
    np.testing.assert_array_equal(_np(j)[1, 0], [[0, 0], [1, 2]])
    u = tf.Variable(1.0)
    with tf.GradientTape() as t:
        y = x * 2.0
    assert t.jacobian(y, u) is None


def test_gradient_of_int_op_chain_stops():
    x = tf.Variable([1.5, 2.5])
    with tf.GradientTape() as t:
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    np.testing.assert_array_equal(_np(t.gradient(y, x)), [1, 2])


def test_many_nested_tapes_and_slot_reuse():
    x = tf.Variable(1.5)
    for _ in range(100):      # slots are reused: no "too many tapes" and no cross-talk
        with tf.GradientTape() as t:
            y = x * x
        assert float(t.gradient(y, x)) == 3.0
    tapes = [tf.GradientTape() for _ in range(10)]
    for tp in tapes:
        tp.__enter__()
    y = x * x * x
    for tp in reversed(tapes):
        tp.__exit__(None, None, None)
    for tp in tapes:
        assert float(tp.gradient(y, x)) == pytest.approx(6.75)


def test_mixed_partials():
    x, y = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            z = x * x * y + tf.math.sin(y) * x
        dzdx = inner.gradient(z, x)               # 2xy + sin y
    d2 = outer.gradient(dzdx, [x, y])             # [2y, 2x + cos y]
    assert float(dzdx) == pytest.approx(12 + np.sin(3.0), rel=1e-6)
    assert float(d2[0]) == pytest.approx(6.0)
    assert float(d2[1]) == pytest.approx(4 + np.cos(3.0), rel=1e-6)
