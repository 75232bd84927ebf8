"""tf.function over a function with an op that has no C-graph form runs it eagerly, with
the right results on every call and no half-applied variable updates from the failed trace."""
import numpy as np
import pytest

from minikeras import tf
from minikeras.engine.function import NotTraceableError, not_traceable

calls = []


def python_side(x):
    not_traceable("test_op")
    calls.append(float(np.asarray(x).sum()))
    return x


def test_not_traceable_is_silent_when_eager():
    not_traceable("test_op")


def test_function_falls_back_to_eager_and_keeps_variables():
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        v.assign_add(1.0)           # runs during the failed trace: must be undone
        y = python_side(x * 2.0)
        return y + v

    del calls[:]
    r1 = f(tf.constant([1.0, 2.0]))
    np.testing.assert_allclose(r1.numpy(), [4.0, 6.0])
    assert float(v.numpy()) == 2.0
    r2 = f(tf.constant([3.0, 4.0]))
    np.testing.assert_allclose(r2.numpy(), [9.0, 11.0])
    assert float(v.numpy()) == 3.0
    assert calls == [6.0, 14.0]


def test_error_raised_inside_a_trace():
    from minikeras.engine.function import _Trace
    from minikeras import _core
    with pytest.raises(NotTraceableError, match="test_op"):
        with _Trace(_core.Graph()):
            not_traceable("test_op")


def test_tracing_is_per_thread():
    """While one thread traces, another thread's eager ops are neither recorded into that
    graph nor refused by not_traceable."""
    import threading
    started, release = threading.Event(), threading.Event()
    seen = {}

    @tf.function
    def traced(x):
        started.set()
        release.wait(5)
        return x * 2.0

    def other():
        started.wait(5)
        not_traceable("other thread")        # must not raise: this thread is eager
        seen["y"] = (tf.constant([1.0]) + 1.0).numpy()
        release.set()

    t = threading.Thread(target=other)
    t.start()
    r = traced(tf.constant([3.0]))
    t.join()
    np.testing.assert_allclose(r.numpy(), [6.0])
    np.testing.assert_allclose(seen["y"], [2.0])
    np.testing.assert_allclose(traced(tf.constant([4.0])).numpy(), [8.0])   # replay is clean


def test_function_with_string_argument_runs_eagerly():
    @tf.function
    def path_of(i, prefix):
        return prefix + tf.strings.as_string(i) + ".jpg"

    assert path_of(tf.constant(3), tf.constant("img/")).numpy() == b"img/3.jpg"
    assert path_of(tf.constant(42), tf.constant("x/")).numpy() == b"x/42.jpg"
