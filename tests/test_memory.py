"""Creating and dropping many small tensors, tapes and traced calls leaves RSS flat."""
import gc
import os
import weakref

import numpy as np
import pytest

from minikeras import tf

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
PAGE = os.sysconf("SC_PAGE_SIZE")
SLACK_MB = 4.0


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def flat(loop, n, warm):
    """Run loop(warm) to reach a steady state, then loop(n); return the RSS growth in MB."""
    loop(warm)
    gc.collect()
    before = rss_mb()
    loop(n)
    gc.collect()
    return rss_mb() - before


def test_million_small_tensors():
    def loop(n):
        for _ in range(n):
            y = tf.constant(1.0) + 1.0
        return y

    assert flat(loop, 1_000_000, 50_000) < SLACK_MB


def test_ops_on_arrays_and_numpy_views():
    x = tf.constant(np.ones((16, 16), np.float32))

    def loop(n):
        for _ in range(n):
            y = tf.matmul(x * 2.0, x) - 1.0
            a = np.asarray(y)          # a zero-copy view keeps the buffer alive only while held
            b = y.numpy()
        return a, b

    assert flat(loop, 100_000, 5_000) < SLACK_MB


def test_taped_loop():
    v = tf.Variable(np.ones(8, np.float32))
    c = tf.constant(np.full(8, 0.5, np.float32))

    def loop(n):
        for _ in range(n):
            with tf.GradientTape() as t:
                y = tf.tanh(v * c + 1.0) * v
            g = t.gradient(y, v)
            v.assign_sub(0.0 * g)
        return g

    assert flat(loop, 60_000, 5_000) < SLACK_MB


def test_nested_and_persistent_tapes():
    x = tf.constant(np.linspace(-1, 1, 8).astype(np.float32))

    def loop(n):
        for _ in range(n):
            with tf.GradientTape() as t2:
                t2.watch(x)
                with tf.GradientTape(persistent=True) as t1:
                    t1.watch(x)
                    y = tf.sigmoid(x) * x
                    y2 = y * y
                g = t1.gradient(y, x)
                g2 = t1.gradient(y2, x)
            h = t2.gradient(g + g2, x)
        return h

    assert flat(loop, 10_000, 2_000) < SLACK_MB


def test_traced_function_calls():
    v = tf.Variable(np.zeros(4, np.float32))

    @tf.function
    def step(x):
        v.assign_add(x * 0.0)
        return tf.cond(tf.constant(True), lambda: x * 2.0, lambda: x)

    x = tf.constant(np.ones(4, np.float32))

    def loop(n):
        for _ in range(n):
            y = step(x)
        return y

    assert flat(loop, 100_000, 5_000) < SLACK_MB


def test_traces_are_freed():
    def loop(n):
        for i in range(n):
            f = tf.function(lambda x: x * 2.0 + 1.0)
            f(tf.constant([float(i)]))
            f(tf.constant([float(i), 1.0]))
        return f

    assert flat(loop, 3_000, 300) < SLACK_MB


def test_tensors_are_released():
    t = tf.constant(np.ones(1000, np.float32))
    r = weakref.ref(t)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = t * t
    tape.gradient(y, t)
    del t, y, tape
    gc.collect()
    assert r() is None
    v = tf.Variable(1.0)
    rv = weakref.ref(v._value)
    del v
    gc.collect()
    assert rv() is None


def test_out_of_memory_raises_and_leaves_the_process_usable(tmp_path):
    """An output the allocator cannot give raises ResourceExhaustedError naming the size
    (it used to crash in mk_exec); run in a subprocess whose address space is capped."""
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        import numpy as np
        from minikeras import _core, tf
        x = _core.from_buffer(np.zeros((1, 4, 4, 1), np.float32))
        try:
            _core.ops["resize"](x, ints=(1 << 17, 1 << 14, 0, 0))     # 8 GiB output
        except tf.errors.ResourceExhaustedError as e:
            assert "OOM when allocating tensor" in str(e), e
            print("raised")
        y = _core.ops["resize"](x, ints=(8, 8, 0, 0))                  # still usable
        print(tuple(y.shape))
    """)
    import os
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path), timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["raised", "(1,", "8,", "8,", "1)"], r.stdout
