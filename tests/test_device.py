"""Devices on a machine without a GPU (CI): placement rules, tf.device scopes, tf.config's GPU
surface, the to_device op, and the CUDA extension's build (it must compile and load here;
it reports no GPU).  What needs a GPU is in tests/gpu/."""
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine import device as dev

C = _core.ops
HAS_GPU = bool(tf.config.list_physical_devices("GPU"))
no_gpu = pytest.mark.skipif(HAS_GPU, reason="checks the CPU-only behaviour")


def test_device_names_parse_as_tensorflow_writes_them():
    for spec in ("/CPU:0", "cpu:0", "/device:CPU:0", "CPU", "/job:localhost/replica:0/task:0/device:CPU:0",
                 "/cpu:*"):
        assert dev.parse(spec) == _core.CPU, spec
    for spec in ("/GPU:0", "gpu", "/device:GPU:0", "/job:localhost/replica:0/task:0/device:GPU:0"):
        assert dev.parse(spec) == _core.GPU, spec
    assert dev.parse(None) is None and dev.parse("") is None
    with pytest.raises(ValueError, match="TPU:0"):
        dev.parse("/TPU:0")
    with pytest.raises(TypeError):
        dev.parse(3)


def test_tensor_device_string():
    x = tf.constant([1.0, 2.0])
    with tf.device("/CPU:0"):
        y = x * 2
    assert y.device == "/job:localhost/replica:0/task:0/device:CPU:0"


@no_gpu
def test_gpu_scope_falls_back_to_the_cpu_without_a_gpu():
    with tf.device("/GPU:0"):
        y = tf.constant([1.0, 2.0]) + 1.0
        assert dev.current() == _core.CPU
    assert y.device.endswith("CPU:0")
    np.testing.assert_array_equal(y.numpy(), [2.0, 3.0])


def test_scopes_nest_restore_and_are_per_thread():
    assert _core.get_device_scope() == -1
    with tf.device("/CPU:0"):
        assert _core.get_device_scope() == _core.CPU
        with tf.device(None):
            assert _core.get_device_scope() == -1
        assert _core.get_device_scope() == _core.CPU
        seen = []
        th = threading.Thread(target=lambda: seen.append(_core.get_device_scope()))
        th.start()
        th.join()
        assert seen == [-1]
    assert _core.get_device_scope() == -1
    with pytest.raises(ZeroDivisionError):
        with tf.device("/CPU:0"):
            1 / 0
    assert _core.get_device_scope() == -1


@no_gpu
def test_config_lists_no_gpu_here():
    assert tf.config.list_physical_devices("GPU") == []
    assert [d.device_type for d in tf.config.list_physical_devices()] == ["CPU"]
    assert tf.config.list_logical_devices("CPU")[0].name == "/device:CPU:0"
    cpu = tf.config.list_physical_devices("CPU")[0]
    assert tf.config.experimental.get_device_details(cpu) == {}
    with pytest.raises(ValueError, match="non-GPU"):
        tf.config.experimental.set_memory_growth(cpu, True)
    with pytest.raises(ValueError, match="only supported for GPU"):
        tf.config.experimental.get_memory_info("GPU:0")


def test_set_visible_devices_keeps_the_cpu():
    before = tf.config.get_visible_devices()
    try:
        tf.config.set_visible_devices([], "GPU")
        assert tf.config.get_visible_devices("GPU") == []
        assert _core.get_default_device() == _core.CPU
        assert (tf.constant(1.0) + 1.0).device.endswith("CPU:0")
        with pytest.raises(ValueError, match="Unrecognized device"):
            tf.config.set_visible_devices([tf.config.PhysicalDevice("/physical_device:GPU:7", "GPU")])
    finally:
        tf.config.set_visible_devices(before)


def test_tf32_toggle():
    assert tf.config.experimental.tensor_float_32_execution_enabled() is True
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        assert tf.config.experimental.tensor_float_32_execution_enabled() is False
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(True)


def test_to_device_op_on_the_cpu():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = C["to_device"](x, ints=(_core.CPU,))
    np.testing.assert_array_equal(np.asarray(y), x)
    # a strided input is made dense first
    t = C["transpose"](x, ints=(1, 0))
    np.testing.assert_array_equal(np.asarray(C["to_device"](t, ints=(_core.CPU,))), x.T)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown device id 5"):
        C["to_device"](x, ints=(5,))
    assert set(_core.copy_stats()) >= {"h2d_count", "d2h_bytes", "d2d_count"}
    with tf.GradientTape() as tape:
        v = tf.Variable([1.0, 2.0])
        out = tf.reduce_sum(C["to_device"](v * 3.0, ints=(_core.CPU,)))
    np.testing.assert_array_equal(tape.gradient(out, v).numpy(), [3.0, 3.0])


@no_gpu
def test_to_device_gpu_without_a_gpu_is_an_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="no GPU is installed"):
        C["to_device"](np.ones(3, np.float32), ints=(_core.GPU,))


def test_op_info_reports_kernels_per_device():
    info = _core.op_info(_core.op_names().index("add"))
    assert info["cpu"] is True and "gpu" in info


def test_tf_data_runs_on_the_cpu():
    seen = []

    def fn(x):
        seen.append(_core.get_device_scope())
        return x + 1

    ds = tf.data.Dataset.range(4).map(fn)
    assert [int(v) for v in ds] == [1, 2, 3, 4]
    assert seen and all(s == _core.CPU for s in seen)
    assert _core.get_device_scope() == -1


def _nvcc():
    return shutil.which("nvcc") or (os.path.exists("/usr/local/cuda/bin/nvcc") and os.environ.get("MINIKERAS_CUDA") != "0")


@pytest.mark.skipif(not _nvcc(), reason="no CUDA toolkit here: minikeras._cuda is not built")
def test_cuda_extension_is_built_and_loads_without_a_gpu():
    """CI has nvcc but no GPU: the extension must compile, link and import (a build break or an
    undefined symbol fails here), report no GPU, and leave the core on the CPU."""
    code = ("import minikeras._cuda as c, json; v = c.versions(); "
            "print(json.dumps([c.device_count(), v['cudnn'], v['cublaslt'], v['compiled_ops']]))")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.dirname(__file__)), "python"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    import json
    count, cudnn, cublaslt, nops = json.loads(r.stdout.strip().splitlines()[-1])
    assert cudnn >= 9000 and cublaslt > 0
    assert nops == len(_core.op_names())
    if not HAS_GPU:
        assert count == 0


def test_import_does_not_load_cuda_libraries():
    code = ("import minikeras, minikeras as keras; from minikeras import tf; "
            "x = tf.constant([1.0]) + 1.0; "
            "import sys; maps = open('/proc/self/maps').read(); "
            "print('minikeras._cuda' in sys.modules, 'libcublas' in maps, 'libcudnn' in maps)")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.dirname(__file__)), "python"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    if not HAS_GPU:
        assert r.stdout.split() == ["False", "False", "False"]
