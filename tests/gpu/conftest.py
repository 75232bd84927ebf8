"""GPU tests: every test here is marked `gpu` and skips cleanly without a GPU (CI).

`both(op, *arrays, ints=(), floats=(), nout=1)` runs one raw op of the engine on the CPU and
on the GPU from the same numpy inputs and returns the two results as numpy arrays (tuples for
several outputs), after checking that the GPU run really produced GPU tensors."""
import os

import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine import device as _device

C = _core.ops

# MINIKERAS_TEST_DEVICE=1: run these tests against the simulated GPU (host memory, the CPU
# kernels): the placement machinery and the tests' own code are checked where there is no GPU
# (tests/test_device_sim.py does so in CI); GPU-vs-CPU kernel comparisons then prove nothing.
SIMULATED = os.environ.get("MINIKERAS_TEST_DEVICE") == "1"
if SIMULATED:
    _device.use_test_device(int(os.environ.get("MINIKERAS_TEST_DEVICE_BYTES", str(4 << 30))))
real_cuda = pytest.mark.skipif(SIMULATED, reason="needs the real CUDA backend")


def has_gpu():
    return bool(tf.config.list_physical_devices("GPU"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/gpu/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gpu)
            if not has_gpu():
                item.add_marker(pytest.mark.skip(reason="no GPU (or minikeras._cuda not built)"))


def has_gpu_kernel(op):
    return _core.op_info(_core.op_names().index(op)).get("gpu", False)


def tensors(args):
    """numpy arrays -> tensors made under the current tf.device scope, each keeping its dtype
    (a raw op given numpy arrays would convert them all to the first argument's dtype)"""
    return [tf.constant(np.asarray(a)) if isinstance(a, (np.ndarray, np.generic)) else a for a in args]


def run_on(device, op, *args, ints=(), floats=(), nout=1):
    """op (a name, or fn(*args, ints=, floats=, nout=)) under tf.device(device), results as numpy"""
    with tf.device(device):
        if isinstance(op, str):
            out = C[op](*tensors(args), ints=ints, floats=floats, nout=nout)
        else:
            out = op(*args, ints=ints, floats=floats, nout=nout)
    outs = out if isinstance(out, tuple) else (out,)
    if device.upper().endswith("GPU:0"):
        for o in outs:
            assert o.device.endswith("GPU:0"), f"{op}: output on {o.device}"
    res = tuple(np.array(o) for o in outs)
    return res if isinstance(out, tuple) else res[0]


def on_both(fn, *args, ints=(), floats=(), nout=1):
    """(cpu_result, gpu_result) of fn(*args) run under each device scope"""
    return (run_on("/CPU:0", fn, *args, ints=ints, floats=floats, nout=nout),
            run_on("/GPU:0", fn, *args, ints=ints, floats=floats, nout=nout))


def both(op, *args, ints=(), floats=(), nout=1):
    """(cpu_result, gpu_result) of one op on the same inputs."""
    assert has_gpu_kernel(op), f"{op} has no GPU kernel"
    return on_both(op, *args, ints=ints, floats=floats, nout=nout)


def transposed(op, perm):
    """op applied to a transpose view of its first input (a strided input)"""
    def fn(*args, ints=(), floats=(), nout=1):
        x, *rest = tensors(args)
        return C[op](C["transpose"](x, ints=perm), *rest, ints=ints, floats=floats, nout=nout)
    return fn


def assert_close(cpu, gpu, rtol=1e-5, atol=1e-6, what=""):
    if isinstance(cpu, tuple):
        for k, (a, b) in enumerate(zip(cpu, gpu)):
            assert_close(a, b, rtol, atol, f"{what} output {k}")
        return
    assert cpu.shape == gpu.shape and cpu.dtype == gpu.dtype, (what, cpu.shape, gpu.shape, cpu.dtype, gpu.dtype)
    if cpu.dtype.kind in "fc":
        np.testing.assert_allclose(gpu.astype(np.float64), cpu.astype(np.float64), rtol=rtol, atol=atol,
                                   err_msg=what, equal_nan=True)
    else:
        np.testing.assert_array_equal(gpu, cpu, err_msg=what)
