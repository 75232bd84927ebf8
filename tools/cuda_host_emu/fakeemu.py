"""Run the GPU tests' `both` calls against the host emulation of the .cu kernels (libemu.so)."""
import ctypes
import os
import numpy as np
import pytest
from minikeras import _core

C = _core.ops
lib = ctypes.CDLL(os.path.join(os.path.dirname(os.path.abspath(__file__)), "libemu.so"))
IDS = {}
i = 0
while True:
    try:
        IDS[_core.op_info(i)["name"]] = i
    except IndexError:
        break
    i += 1
DT = {np.dtype(np.float32): 0, np.dtype(np.float64): 2}


def emu(op, args, ints, floats, outs_like):
    args = [np.ascontiguousarray(a) for a in args]
    dtype = args[0].dtype
    outs = [np.full(o.shape, np.nan if o.dtype.kind == "f" else 0, o.dtype) for o in outs_like]
    P = ctypes.c_void_p
    ind = (P * len(args))(*[a.ctypes.data for a in args])
    inndim = (ctypes.c_int * len(args))(*[a.ndim for a in args])
    inshape = (ctypes.c_int64 * max(1, sum(a.ndim for a in args)))(*[s for a in args for s in a.shape])
    outd = (P * len(outs))(*[o.ctypes.data for o in outs])
    outndim = (ctypes.c_int * len(outs))(*[o.ndim for o in outs])
    outshape = (ctypes.c_int64 * max(1, sum(o.ndim for o in outs)))(*[s for o in outs for s in o.shape])
    iv = (ctypes.c_int64 * 32)(*ints)
    fv = (ctypes.c_double * 4)(*floats)
    err = ctypes.create_string_buffer(600)
    rc = lib.emu_call(IDS[op], len(args), ind, inndim, inshape, DT[dtype], len(outs), outd, outndim, outshape,
                      iv, len(ints), fv, len(floats), err)
    if rc != 0:
        raise RuntimeError(f"{op}: emu rc {rc}: {err.value.decode()}")
    return outs


def emu_both(op, *args, ints=(), floats=(), nout=1):
    cpu = C[op](*args, ints=ints, floats=floats, nout=nout)
    cpus = cpu if isinstance(cpu, tuple) else (cpu,)
    cpus = tuple(np.array(o) for o in cpus)
    gpu = emu(op, args, ints, floats, cpus)
    if isinstance(cpu, tuple):
        return cpus, tuple(gpu)
    return cpus[0], gpu[0]


def no_run_on(*a, **k):
    pytest.skip("run_on not emulated")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    for it in items:
        it.own_markers = [m for m in it.own_markers if m.name != "skip"]
        mod = it.module
        if hasattr(mod, "both"):
            mod.both = emu_both
        if hasattr(mod, "run_on"):
            mod.run_on = no_run_on
        if "gradient" in it.name or "second_order" in it.name or "without_tf32" in it.name:
            it.add_marker(pytest.mark.skip(reason="device scopes not emulated"))
