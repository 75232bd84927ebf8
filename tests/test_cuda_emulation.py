"""The CUDA kernels of csrc/kernels/*.cu, run on the CPU: tools/cuda_host_emu rewrites every
launch into a sequential loop over blocks and threads, stubs cuDNN / cuBLASLt / cub with naive
loops written from their documented semantics, and installs the kernels as the GPU kernels of
the simulated GPU (host memory); tests/gpu (CPU op vs GPU kernel, gradients, strided views)
then runs against them.  It checks the kernels' indexing, launch geometry and plumbing where
there is no GPU; not warp-level code, real concurrency or the libraries' own behaviour
(tools/cuda_host_emu/README.md)."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMU = os.path.join(ROOT, "tools", "cuda_host_emu")
FAMILIES = ["conv", "pool", "norm", "matmul", "optim", "random", "elementwise", "shape", "index", "image"]


def _build_module():
    spec = importlib.util.spec_from_file_location("cuda_host_emu_build", os.path.join(EMU, "build.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gpu_suite_on_the_emulated_cuda_kernels(tmp_path):
    if shutil.which("g++") is None:
        pytest.skip("g++ not found")
    build = _build_module()
    if build.cuda_include() is None:
        pytest.skip("cuda_runtime.h not found (set CUDA_HOME to a CUDA toolkit)")
    lib = build.build(str(tmp_path), FAMILIES)
    env = dict(os.environ, CUDA_EMU_LIB=lib, MINIKERAS_TEST_DEVICE_BYTES=str(2 << 30),
               PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "python"), EMU]))
    tests = [os.path.join(ROOT, "tests", "gpu", f"test_gpu_{f}.py") for f in FAMILIES]
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "cudaemu", *tests],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    out = r.stdout + r.stderr
    tail = "\n".join(out.splitlines()[-40:])
    assert r.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail, tail
    m = re.search(r"(\d+) kernel launches emulated", out)
    assert m and int(m.group(1)) > 1000, tail        # the emulated kernels did run
