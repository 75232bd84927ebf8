"""pytest plugin: tests/gpu runs on the simulated GPU of _core (host memory) whose GPU kernels,
for the families built into CUDA_EMU_LIB (default: libemu.so next to this file), are the host
emulation of the real .cu kernels; the other ops run their CPU kernels there.

    CUDA_EMU_LIB=DIR/libemu.so PYTHONPATH=python:tools/cuda_host_emu python -m pytest -p cudaemu tests/gpu/...
"""
import ctypes
import os

import pytest

os.environ["MINIKERAS_TEST_DEVICE"] = "1"       # for tests/gpu/conftest.py

from minikeras import _core  # noqa: E402
from minikeras.engine import device as _device  # noqa: E402

# the simulated GPU first (it refuses when a real GPU backend is installed: the emulated kernels
# must never see device pointers); it gives every op the CPU kernel, which emu_install replaces
_device.use_test_device(int(os.environ.get("MINIKERAS_TEST_DEVICE_BYTES", str(4 << 30))))

LIB = os.environ.get("CUDA_EMU_LIB") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libemu.so")
lib = ctypes.CDLL(LIB)
ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api = ctypes.pythonapi.PyCapsule_GetPointer(_core._api, b"minikeras._core._api")
lib.emu_install.argtypes = [ctypes.c_void_p]
FAMILIES = lib.emu_install(_api)


def pytest_report_header(config):
    return f"cuda host emulation: {FAMILIES} kernel families from {LIB}"


def pytest_collection_modifyitems(config, items):
    for item in items:      # timings of the emulation say nothing about the GPU
        if "bandwidth" in item.name or "throughput" in item.name:
            item.add_marker(pytest.mark.skip(reason="a timing: not emulated"))


def pytest_terminal_summary(terminalreporter):
    n = ctypes.c_long.in_dll(lib, "emu_launches").value
    terminalreporter.write_line(f"cuda host emulation: {n} kernel launches emulated")
