"""The GPU plumbing (needs a GPU; skipped in CI): default placement, tf.device scopes and
copies, the caching allocator under stress and out of memory, gradients across devices,
traced functions replayed as CUDA Graphs, and the course MLP's fit on the GPU against the
CPU under the same seed."""
import numpy as np
import pytest

import minikeras as keras
from minikeras import _core, layers, tf
from minikeras.engine import device as dev

from .conftest import SIMULATED, real_cuda

C = _core.ops


def cuda():
    return dev.cuda_module()


def device_bytes_in_use():
    _core.synchronize()
    return _core._test_device_in_use() if SIMULATED else cuda().memory_info()["current"]


@real_cuda
def test_gpu_is_listed_with_details():
    gpus = tf.config.list_physical_devices("GPU")
    assert gpus and gpus[0].name == "/physical_device:GPU:0"
    d = tf.config.experimental.get_device_details(gpus[0])
    assert d["device_name"] and len(d["compute_capability"]) == 2 and d["compute_capability"][0] >= 7
    tf.config.experimental.set_memory_growth(gpus[0], True)
    assert tf.config.experimental.get_memory_growth(gpus[0]) is True


def test_ops_go_to_the_gpu_by_default_and_numpy_copies_back():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = tf.constant(x) * 2.0 + 1.0
    assert y.device == "/job:localhost/replica:0/task:0/device:GPU:0"
    np.testing.assert_array_equal(y.numpy(), x * 2 + 1)
    np.testing.assert_array_equal(np.asarray(y), x * 2 + 1)
    assert float(tf.reduce_sum(y)) == float((x * 2 + 1).sum())
    assert str(y).startswith("tf.Tensor(")


def test_cpu_scope_and_counted_copies():
    with tf.device("/GPU:0"):
        g = tf.constant(np.ones((256, 256), np.float32)) + 0.0
    assert g.device.endswith("GPU:0")
    _core.reset_copy_stats()
    with tf.device("/CPU:0"):
        c = g * 3.0
    assert c.device.endswith("CPU:0")
    s = _core.copy_stats()
    assert s["d2h_count"] == 1 and s["d2h_bytes"] == 256 * 256 * 4
    # the CPU result used on the GPU again: one host-to-device copy
    _core.reset_copy_stats()
    with tf.device("/GPU:0"):
        back = c + g
    assert back.device.endswith("GPU:0") and _core.copy_stats()["h2d_count"] == 1
    np.testing.assert_array_equal(back.numpy(), np.full((256, 256), 4.0, np.float32))


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int32", "int64", "uint8", "bool"])
def test_round_trip_every_dtype_dense_strided_and_empty(dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((33, 17)) * 50).astype(dtype)
    for shape_case in (x, x[:0], x.reshape(-1)[:1].reshape(())):
        g = C["to_device"](shape_case, ints=(_core.GPU,))
        assert g.device.endswith("GPU:0")
        np.testing.assert_array_equal(np.asarray(g), shape_case)
    with tf.device("/GPU:0"):
        t = C["transpose"](C["to_device"](x, ints=(_core.GPU,)), ints=(1, 0))   # a strided GPU view
    np.testing.assert_array_equal(np.asarray(t), x.T)
    np.testing.assert_array_equal(np.asarray(C["to_device"](t, ints=(_core.CPU,))), x.T)


def test_large_copy_64_mb():
    x = np.random.default_rng(1).standard_normal(16 << 20).astype(np.float32)
    g = C["to_device"](x, ints=(_core.GPU,))
    np.testing.assert_array_equal(g.numpy(), x)


@real_cuda
def test_allocator_reuses_blocks_and_returns_to_baseline():
    _core.synchronize()
    base = cuda().memory_info()
    for _ in range(3):
        for n in (1, 1000, 123457, 1 << 20, 3 << 20, 40 << 20):
            ts = [tf.zeros([n]) + 1.0 for _ in range(4)]
            del ts
    mid = cuda().memory_info()
    for _ in range(3):
        for n in (1, 1000, 123457, 1 << 20, 3 << 20, 40 << 20):
            ts = [tf.zeros([n]) + 1.0 for _ in range(4)]
            del ts
    after = cuda().memory_info()
    assert after["cuda_malloc_calls"] == mid["cuda_malloc_calls"], "cached blocks were not reused"
    assert after["current"] == base["current"]


def test_memory_returns_to_baseline():
    base = device_bytes_in_use()
    for n in (1, 1000, 123457, 1 << 20, 3 << 20, 40 << 20):
        ts = [tf.zeros([n]) + 1.0 for _ in range(4)]
        assert device_bytes_in_use() >= base + 4 * n * 4
        del ts
    assert device_bytes_in_use() == base


def test_out_of_memory_raises_and_the_allocator_recovers():
    import os
    total = int(os.environ.get("MINIKERAS_TEST_DEVICE_BYTES", str(4 << 30))) if SIMULATED \
        else cuda().memory_info()["device_total"]
    n = int(total // 4 * 2)            # two times the GPU's memory in float32
    with pytest.raises(tf.errors.ResourceExhaustedError, match=r"OOM when allocating tensor with shape\[\d+\].*GPU:0.*fill|OOM"):
        with tf.device("/GPU:0"):
            tf.fill([n], 1.0)
    with pytest.raises(tf.errors.ResourceExhaustedError):
        with tf.device("/GPU:0"):
            tf.zeros([n // 2]) + 1.0
    y = tf.constant([1.0, 2.0]) + 1.0
    np.testing.assert_array_equal(y.numpy(), [2.0, 3.0])
    big = tf.zeros([total // 16]) + 1.0    # a quarter of the memory still fits after the failures
    assert float(tf.reduce_sum(big[:10])) == 10.0


def test_gradients_cross_devices():
    with tf.device("/CPU:0"):
        w_cpu = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    with tf.device("/GPU:0"):
        w_gpu = tf.Variable(np.ones((3, 2), np.float32))
    x = np.ones((4, 2), np.float32)
    with tf.GradientTape() as tape:
        with tf.device("/GPU:0"):
            y = tf.reduce_sum(tf.matmul(tf.matmul(x, w_cpu), w_gpu) ** 2)
    gc, gg = tape.gradient(y, [w_cpu, w_gpu])
    assert gc.device.endswith("CPU:0") and gg.device.endswith("GPU:0")
    with tf.device("/CPU:0"):
        with tf.GradientTape() as tape:
            y2 = tf.reduce_sum(tf.matmul(tf.matmul(x, w_cpu), w_gpu) ** 2)
        rc, rg = tape.gradient(y2, [w_cpu, w_gpu])
    np.testing.assert_allclose(gc.numpy(), rc.numpy(), rtol=2e-3)
    np.testing.assert_allclose(gg.numpy(), rg.numpy(), rtol=2e-3)


def test_variables_update_in_place_on_the_gpu():
    v = tf.Variable(np.zeros(5, np.float32))
    assert v.device.endswith("GPU:0")
    v.assign_add(np.ones(5, np.float32))
    v.assign_sub(tf.constant(np.full(5, 0.5, np.float32)))
    np.testing.assert_array_equal(v.numpy(), np.full(5, 0.5, np.float32))


def test_traced_function_replays_as_a_cuda_graph():
    rng = np.random.default_rng(2)
    w = tf.Variable(rng.standard_normal((64, 32)).astype(np.float32))
    b = tf.Variable(rng.standard_normal(32).astype(np.float32))

    @tf.function
    def step(x):
        h = tf.nn.relu(tf.matmul(x, w) + b)
        loss = tf.reduce_mean(h * h)
        w.assign_sub(0.01 * tf.matmul(x, h, transpose_a=True))
        return loss

    xs = [rng.standard_normal((16, 64)).astype(np.float32) for _ in range(6)]
    w0, b0 = w.numpy(), b.numpy()
    got = [float(step(x)) for x in xs]
    segs = step.get_concrete_function(xs[0]).graph.cuda_segments()
    assert segs, "no run of GPU nodes was found in the traced step"
    if not SIMULATED:       # the simulated GPU cannot capture: its runs replay as launches
        assert any(state == "captured" for _, _, state in segs), segs
    # the same steps eagerly from the same start
    w.assign(w0)
    b.assign(b0)
    want = []
    for x in xs:
        h = tf.nn.relu(tf.matmul(x, w) + b)
        want.append(float(tf.reduce_mean(h * h)))
        w.assign_sub(0.01 * tf.matmul(x, h, transpose_a=True))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    # and with CUDA Graphs off
    prev = _core.set_cuda_graphs(False)
    try:
        w.assign(w0)

        @tf.function
        def step2(x):
            h = tf.nn.relu(tf.matmul(x, w) + b)
            loss = tf.reduce_mean(h * h)
            w.assign_sub(0.01 * tf.matmul(x, h, transpose_a=True))
            return loss
        np.testing.assert_allclose([float(step2(x)) for x in xs], want, rtol=1e-5)
    finally:
        _core.set_cuda_graphs(prev)


def test_dropout_inside_a_captured_step_draws_fresh_masks():
    @tf.function
    def f(x):
        return tf.nn.dropout(x, 0.5) * 1.0 + 0.0

    x = tf.ones([1000])
    masks = [f(x).numpy() for _ in range(4)]
    assert not np.array_equal(masks[2], masks[3])


def _course_mlp_history(device_name, x, y, epochs=3):
    tf.random.set_seed(7)
    keras.utils.set_random_seed(7)
    with tf.device(device_name):
        model = keras.Sequential([layers.Dense(500, activation="relu", input_shape=(784,)),
                                  layers.Dense(500, activation="relu"), layers.Dense(10)])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        h = model.fit(x, y, batch_size=1024, epochs=epochs, shuffle=False, verbose=0)
    return h.history


def test_course_mlp_fit_on_gpu_matches_the_cpu():
    (x, y), _ = keras.datasets.mnist.load_data_shipped()
    x = x.reshape(-1, 784).astype(np.float32) / 255.0
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        gpu = _course_mlp_history("/GPU:0", x, y)
        cpu = _course_mlp_history("/CPU:0", x, y)
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(True)
    np.testing.assert_allclose(gpu["loss"], cpu["loss"], rtol=2e-3)
    np.testing.assert_allclose(gpu["accuracy"], cpu["accuracy"], atol=5e-3)
    assert gpu["loss"][-1] < gpu["loss"][0]


def test_hidden_gpu_sends_ops_to_the_cpu():
    before = tf.config.get_visible_devices()
    try:
        tf.config.set_visible_devices([], "GPU")
        assert (tf.constant([1.0]) + 1.0).device.endswith("CPU:0")
        with tf.device("/GPU:0"):
            assert (tf.constant([1.0]) + 1.0).device.endswith("CPU:0")
    finally:
        tf.config.set_visible_devices(before)
    assert (tf.constant([1.0]) + 1.0).device.endswith("GPU:0")
