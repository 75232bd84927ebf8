"""tf.function: tracing once per signature, replay with the same numbers as eager,
tf.print / tf.cond / tf.while_loop at run time, Python control flow errors."""
import numpy as np
import pytest

from minikeras import _core, tf

C = _core.ops


@pytest.fixture(autouse=True)
def _eager_off():
    tf.config.run_functions_eagerly(False)
    yield
    tf.config.run_functions_eagerly(False)


def _np(x):
    return np.asarray(x)


# ---- tracing ------------------------------------------------------------------------

def test_traced_once_per_signature():
    traces = []

    @tf.function
    def f(x, k=1):
        traces.append(1)            # Python side effect: runs only while tracing
        return x * 2 + k

    assert float(f(tf.constant(1.0))) == 3.0
    assert float(f(tf.constant(2.0))) == 5.0
    assert float(f(tf.constant(-4.0))) == -7.0
    assert len(traces) == 1
    np.testing.assert_array_equal(_np(f(tf.constant([1.0, 2.0]))), [3, 5])     # new shape
    assert len(traces) == 2
    np.testing.assert_array_equal(_np(f(tf.constant([5.0, 6.0]))), [11, 13])
    assert len(traces) == 2
    np.testing.assert_array_equal(_np(f(tf.constant([1, 2]))), [3, 5])          # new dtype
    assert len(traces) == 3
    np.testing.assert_array_equal(_np(f(tf.constant([1, 2]), k=3)), [5, 7])     # new Python arg
    assert len(traces) == 4
    np.testing.assert_array_equal(_np(f(tf.constant([3, 4]), k=3)), [9, 11])
    np.testing.assert_array_equal(_np(f(np.array([3, 4], np.int32), k=3)), [9, 11])   # numpy = tensor
    assert len(traces) == 4
    assert f.experimental_get_tracing_count() == 4
    f(tf.constant([1.0, 2.0]), 2)
    f(tf.constant([1.0, 2.0]), 2)
    assert len(traces) == 5


def test_python_scalars_are_part_of_the_signature():
    traces = []

    @tf.function
    def f(x, n):
        traces.append(n)
        return x * n

    f(tf.constant(1.0), 2.0)
    f(tf.constant(1.0), 3.0)
    f(tf.constant(1.0), 2.0)
    assert traces == [2.0, 3.0]


def test_replay_sees_new_values_and_variables():
    v = tf.Variable(3.0)

    @tf.function
    def f(x):
        return x * v

    assert float(f(tf.constant(2.0))) == 6.0
    v.assign(7.0)
    assert float(f(tf.constant(2.0))) == 14.0
    assert float(f(tf.constant(1.0))) == 7.0


def test_results_are_fresh_tensors():
    @tf.function
    def f(x):
        return x + 1.0

    a = f(tf.constant([1.0]))
    b = f(tf.constant([5.0]))
    assert _np(a).tolist() == [2.0] and _np(b).tolist() == [6.0]   # b did not overwrite a
    assert not a._traced and not b._traced
    assert a.numpy().tolist() == [2.0]


# ---- traced == eager ------------------------------------------------------------------

def _arith(x, y):
    return (x * y + x / (y * y + 1.0) - tf.maximum(x, y)) ** 2 + tf.exp(-x * x) + tf.sigmoid(y)


def _mm(x, y):
    return tf.tanh(tf.matmul(x, y, transpose_b=True)) @ y


def _mixed(x, y):
    a = tf.cast(x, tf.float16) * tf.cast(y, tf.float16)
    return tf.cast(a, tf.float32) + tf.where(x > y, x, y)


@pytest.mark.parametrize("fn", [_arith, _mm, _mixed], ids=["arith", "matmul", "mixed"])
def test_same_numbers_traced_and_eager(fn):
    rng = np.random.default_rng(0)
    tfn = tf.function(fn)
    for i in range(4):
        x = tf.constant(rng.normal(size=(3, 4)).astype(np.float32))
        y = tf.constant(rng.normal(size=(3, 4)).astype(np.float32))
        np.testing.assert_array_equal(_np(tfn(x, y)), _np(fn(x, y)))


def _train_setup():
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(8, 3)).astype(np.float32))
    y = tf.constant(rng.normal(size=(8, 2)).astype(np.float32))
    w = tf.Variable(rng.normal(size=(3, 2)).astype(np.float32))
    b = tf.Variable(np.zeros(2, np.float32))
    return x, y, w, b


def _step(x, y, w, b, lr=0.1):
    with tf.GradientTape() as tape:
        p = tf.matmul(x, w) + b
        d = p - y
        loss = d * d / 16.0           # summed by the tape (non-scalar target)
    gw, gb = tape.gradient(loss, [w, b])
    w.assign_sub(lr * gw)
    b.assign_sub(lr * gb)
    return loss


@pytest.mark.skipif("reduce_sum" not in C, reason="bias gradient needs reduce_sum (reduce family)")
def test_sgd_steps_traced_vs_eager():
    x, y, w1, b1 = _train_setup()
    _, _, w2, b2 = _train_setup()
    traces = []

    @tf.function
    def step(x, y):
        traces.append(1)
        return _step(x, y, w2, b2)

    for _ in range(5):
        l1 = _step(x, y, w1, b1)
        l2 = step(x, y)
        np.testing.assert_allclose(_np(l2), _np(l1), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(w2.numpy(), w1.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(b2.numpy(), b1.numpy(), rtol=1e-6, atol=1e-7)
    assert len(traces) == 1
    assert not np.allclose(w1.numpy(), _train_setup()[2].numpy())     # it did train


def test_variable_updates_inside_function():
    v = tf.Variable([1.0, 2.0])
    counter = tf.Variable(0)

    @tf.function
    def upd(d):
        v.assign_add(d)
        counter.assign_add(1)
        v.assign(v * 2.0)
        return v.read_value()

    r = [upd(tf.constant([1.0, 1.0])) for _ in range(3)]
    # ((1+1)*2 = 4, (4+1)*2 = 10, 22), ((2+1)*2 = 6, 14, 30)
    np.testing.assert_array_equal(v.numpy(), [22, 30])
    assert int(counter.numpy()) == 3
    assert [t.numpy().tolist() for t in r] == [[4, 6], [10, 14], [22, 30]]


def test_gradient_through_a_function_called_under_a_tape():
    v = tf.Variable(3.0)

    @tf.function
    def f(x):
        return x * v * v

    for _ in range(3):
        with tf.GradientTape() as t:
            y = f(tf.constant(2.0))
        assert float(t.gradient(y, v)) == 12.0


# ---- tf.print / tf.cond / tf.while_loop at run time --------------------------------------

def test_tf_print_prints_at_every_call(capsys):
    @tf.function
    def f(x):
        tf.print("x is", x, "and", x * 2)
        return x + 1

    for v in (1.0, 2.5, -3.0):
        f(tf.constant(v))
    err = capsys.readouterr().err
    assert err == "x is 1 and 2\nx is 2.5 and 5\nx is -3 and -6\n"
    tf.print(tf.constant([1, 2, 3]))
    tf.print(tf.constant([[1.5, 2.0], [3.0, 4.0]]), summarize=-1)
    tf.print(tf.constant(np.arange(10)))
    assert capsys.readouterr().err == "[1 2 3]\n[[1.5 2]\n [3 4]]\n[0 1 2 ... 7 8 9]\n"


def test_cond_chooses_at_each_call():
    traces = []

    @tf.function
    def f(x):
        traces.append(1)
        return tf.cond(x > 0, lambda: x * 10.0, lambda: x - 10.0)

    assert float(f(tf.constant(1.0))) == 10.0
    assert float(f(tf.constant(-1.0))) == -11.0
    assert float(f(tf.constant(2.0))) == 20.0
    assert float(f(tf.constant(-5.0))) == -15.0
    assert len(traces) == 1


def test_cond_with_structures_and_python_pred():
    @tf.function
    def f(x, flag):
        a, b = tf.cond(x > 0, lambda: (x, x * 2.0), lambda: (-x, x * 0.0))
        c = tf.cond(flag, lambda: a + 1.0, lambda: a - 1.0)   # Python bool: decided at trace
        return {"a": a, "b": b, "c": c}

    r = f(tf.constant(3.0), True)
    assert isinstance(r, dict) and float(r["a"]) == 3.0 and float(r["b"]) == 6.0 and float(r["c"]) == 4.0
    r = f(tf.constant(-3.0), True)
    assert float(r["a"]) == 3.0 and float(r["b"]) == 0.0 and float(r["c"]) == 4.0
    r = f(tf.constant(-3.0), False)
    assert float(r["c"]) == 2.0


def test_while_loop_iterates_by_runtime_values():
    traces = []

    @tf.function
    def tri(n):
        traces.append(1)
        i, s = tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i),
                             [tf.constant(0), tf.constant(0)])
        return s

    assert [int(tri(tf.constant(k))) for k in (5, 10, 0, 1, 100)] == [10, 45, 0, 0, 4950]
    assert len(traces) == 1

    @tf.function
    def halve(x):
        return tf.while_loop(lambda v: v > 1.0, lambda v: v / 2.0, x)

    assert float(halve(tf.constant(100.0))) == 0.78125
    assert float(halve(tf.constant(3.0))) == 0.75

    @tf.function
    def capped(n):
        return tf.while_loop(lambda i: i < n, lambda i: i + 1, [tf.constant(0)], maximum_iterations=7)

    assert int(capped(tf.constant(3))[0]) == 3
    assert int(capped(tf.constant(30))[0]) == 7
    # eagerly too
    assert int(tf.while_loop(lambda i: i < 4, lambda i: i + 1, tf.constant(0))) == 4


def test_python_if_on_tensor_raises_type_error_mentioning_cond():
    @tf.function
    def bad(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match="tf.cond"):
        bad(tf.constant(1.0))

    @tf.function
    def bad_while(x):
        while x > 0:
            x = x - 1.0
        return x

    with pytest.raises(TypeError):
        bad_while(tf.constant(3.0))

    @tf.function
    def bad_numpy(x):
        return x.numpy()

    with pytest.raises((TypeError, AttributeError)):
        bad_numpy(tf.constant(3.0))

    @tf.function
    def bad_float(x):
        return float(x)

    with pytest.raises(TypeError):
        bad_float(tf.constant(3.0))


# ---- composition -----------------------------------------------------------------------

def test_nested_functions():
    inner_traces, outer_traces = [], []

    @tf.function
    def inner(x):
        inner_traces.append(1)
        return x * x

    @tf.function
    def outer(x):
        outer_traces.append(1)
        return inner(x) + inner(x + 1.0)

    assert float(outer(tf.constant(3.0))) == 25.0
    assert float(outer(tf.constant(4.0))) == 41.0
    assert len(outer_traces) == 1
    assert float(inner(tf.constant(5.0))) == 25.0


def test_methods():
    class Model:
        def __init__(self, k):
            self.k = tf.Variable(k)
            self.traces = 0

        @tf.function
        def __call__(self, x):
            self.traces += 1
            return x * self.k

        @tf.function
        def update(self, d):
            self.k.assign_add(d)
            return self.k.read_value()

    m1, m2 = Model(2.0), Model(3.0)
    assert float(m1(tf.constant(1.0))) == 2.0 and float(m2(tf.constant(1.0))) == 3.0
    assert float(m1(tf.constant(4.0))) == 8.0 and float(m2(tf.constant(4.0))) == 12.0
    assert m1.traces == 1 and m2.traces == 1
    assert float(m1.update(tf.constant(1.0))) == 3.0
    assert float(m1.update(tf.constant(1.0))) == 4.0
    assert float(m1(tf.constant(1.0))) == 4.0 and float(m2(tf.constant(1.0))) == 3.0


def test_returning_structures():
    @tf.function
    def f(x):
        return {"sum": x + 1.0, "pair": (x, x * 2.0), "list": [x * 3.0, None, "tag", 7]}

    for v in (1.0, 2.0):
        r = f(tf.constant(v))
        assert set(r) == {"sum", "pair", "list"}
        assert isinstance(r["pair"], tuple) and isinstance(r["list"], list)
        assert float(r["sum"]) == v + 1 and float(r["pair"][0]) == v and float(r["pair"][1]) == 2 * v
        assert float(r["list"][0]) == 3 * v and r["list"][1:] == [None, "tag", 7]

    @tf.function
    def g(x):
        return tf.constant(5.0), x

    a, b = g(tf.constant([1.0]))
    assert float(a) == 5.0 and _np(b).tolist() == [1.0]

    @tf.function
    def h(xs):
        return [x * 2.0 for x in xs]

    assert [float(t) for t in h([tf.constant(1.0), tf.constant(2.0)])] == [2.0, 4.0]


def test_run_functions_eagerly():
    traces = []

    @tf.function
    def f(x):
        traces.append(1)
        return x.numpy() * 2       # only legal eagerly

    tf.config.run_functions_eagerly(True)
    assert tf.config.functions_run_eagerly()
    assert f(tf.constant(2.0)) == 4.0
    assert f(tf.constant(3.0)) == 6.0
    assert len(traces) == 2
    tf.config.run_functions_eagerly(False)
    assert not tf.config.functions_run_eagerly()


def test_decorator_with_arguments_and_python_function():
    @tf.function(reduce_retracing=True, jit_compile=False)
    def f(x):
        return x + 1

    assert int(f(tf.constant(1))) == 2
    assert f.python_function(3) == 4
    assert f.__name__ == "f"


def test_zero_size_and_size_one_arguments():
    @tf.function
    def f(x):
        return x * 2.0 + 1.0

    for shape in [(2, 0), (0, 3), (0,), (1,), (1, 1), ()]:
        for _ in range(2):
            r = f(tf.constant(np.ones(shape, np.float32)))
            assert r.shape == shape and np.all(np.asarray(r) == 3.0)



def test_control_flow_side_effects_happen_once():
    v = tf.Variable(0.0)

    @tf.function
    def f(x):
        return tf.cond(x > 0, lambda: v.assign_add(1.0).read_value(),
                       lambda: v.assign_sub(10.0).read_value())

    assert float(f(tf.constant(1.0))) == 1.0 and float(v.numpy()) == 1.0   # the tracing call too
    assert float(f(tf.constant(1.0))) == 2.0
    assert float(f(tf.constant(-1.0))) == -8.0
    w = tf.Variable(0.0)

    @tf.function
    def g(n):
        def body(i):
            w.assign_add(1.0)
            return i + 1
        return tf.while_loop(lambda i: i < n, body, [tf.constant(0)])

    g(tf.constant(3))
    assert float(w.numpy()) == 3.0
    g(tf.constant(2))
    assert float(w.numpy()) == 5.0


def test_gradient_through_cond_inside_function():
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.cond(x > 0, lambda: x * x, lambda: x * 3.0)
        return y, t.gradient(y, x)

    for v, want in [(2.0, (4.0, 4.0)), (-1.0, (-3.0, 3.0)), (3.0, (9.0, 6.0)), (-2.0, (-6.0, 3.0))]:
        assert tuple(float(a) for a in f(tf.constant(v))) == want
