"""assign / assign_add / assign_sub and the fused optimizer updates on the GPU
(csrc/kernels/optim.cu) against the CPU kernels: every op and variant (momentum, nesterov,
amsgrad, weight decay, centered, ...), float16/32/64 variables, scalar hyper-parameters of
several dtypes (read on the device), strided gradients, empty / scalar / size-1 / large
(> 1M elements) variables, several steps."""
import struct

import numpy as np
import pytest

from minikeras import _core
from . import conftest as G

C = G.C
rng = np.random.default_rng(7)
FLOATS = [np.float32, np.float64, np.float16]
TOL = {np.float32: (2e-5, 1e-6), np.float64: (1e-12, 1e-13), np.float16: (2e-3, 1e-3)}


def bits(x):
    """a double passed through an int attr (adabound's final_lr ratio and weight decay)"""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def as_var(x):
    v = C["copy"](x)
    v._flags = v._flags | _core.T_VARIABLE
    return v


def updater(op, nbuf, steps=1, ints=(), floats=(), iter_pos=None, transpose_grad=False):
    """fn(buffers..., grad, scalars...) for run_on: makes the first nbuf arrays variable
    buffers on the device, runs `steps` updates (the scalar at iter_pos, if any, counting
    up from its value), returns the buffers.  transpose_grad: the gradient array is given
    transposed and viewed back (a strided input)."""
    def fn(*arrays, ints_=None, **kw):
        bufs = [as_var(x) for x in arrays[:nbuf]]
        grad = arrays[nbuf]
        if transpose_grad:
            grad = C["transpose"](grad, ints=tuple(range(grad.ndim))[::-1])
        scal = list(arrays[nbuf + 1:])
        for s in range(steps):
            sc = list(scal)
            if iter_pos is not None:
                sc[iter_pos] = np.asarray(scal[iter_pos] + s, dtype=scal[iter_pos].dtype)
            C[op](*bufs, grad, *sc, ints=ints, floats=floats)
        return tuple(bufs)
    return fn


def compare(fn, arrays, dtype, what=""):
    cpu = G.run_on("/CPU:0", fn, *arrays)
    gpu = G.run_on("/GPU:0", fn, *arrays)
    rtol, atol = TOL[dtype]
    G.assert_close(cpu, gpu, rtol=rtol, atol=atol, what=what)


def pos(shape, dtype):
    return np.asarray(np.abs(rng.standard_normal(shape)) + 0.1, dtype=dtype)


def rnd(shape, dtype):
    return np.asarray(rng.standard_normal(shape), dtype=dtype)   # 0-d arrays, not numpy scalars


SHAPES = [(5, 3), (), (1,), (0,), (2, 1, 3)]


# ---- assign ------------------------------------------------------------------------

ALL_DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]


def sample(shape, dtype):
    if dtype == np.bool_:
        return np.asarray(rng.integers(0, 2, size=shape), dtype=bool)
    if np.dtype(dtype).kind in "iu":
        return np.asarray(rng.integers(0, 100, size=shape), dtype=dtype)
    return rnd(shape, dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", SHAPES + [(1100, 1000)], ids=str)
def test_assign(shape, dtype):
    v, x = sample(shape, dtype), sample(shape, dtype)

    def fn(v, x, **kw):
        b = as_var(v)
        C["assign"](b, x)
        return b
    cpu, gpu = G.run_on("/CPU:0", fn, v, x), G.run_on("/GPU:0", fn, v, x)
    G.assert_close(cpu, gpu, 0, 0)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_assign_strided(dtype):
    v, x = sample((4, 3, 2), dtype), sample((2, 3, 4), dtype)

    def fn(v, x, **kw):
        b = as_var(v)
        C["assign"](b, C["transpose"](x, ints=(2, 1, 0)))
        return b
    G.assert_close(G.run_on("/CPU:0", fn, v, x), G.run_on("/GPU:0", fn, v, x), 0, 0)


@pytest.mark.parametrize("op", ["assign_add", "assign_sub"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("shape", SHAPES + [(1100, 1000)], ids=str)
def test_accumulate(op, dtype, shape):
    v, x = sample(shape, dtype), sample(shape, dtype)

    def fn(v, x, **kw):
        b = as_var(v)
        C[op](b, x)
        C[op](b, x)
        return b
    rtol, atol = TOL.get(dtype, (0, 0))
    G.assert_close(G.run_on("/CPU:0", fn, v, x), G.run_on("/GPU:0", fn, v, x), rtol, atol)


@pytest.mark.parametrize("op", ["assign_add", "assign_sub"])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8])
def test_accumulate_strided(op, dtype):
    v, x = sample((4, 6), dtype), sample((6, 4), dtype)

    def fn(v, x, **kw):
        b = as_var(v)
        C[op](b, C["transpose"](x, ints=(1, 0)))
        return b
    rtol, atol = TOL.get(dtype, (0, 0))
    G.assert_close(G.run_on("/CPU:0", fn, v, x), G.run_on("/GPU:0", fn, v, x), rtol, atol)


def test_accumulate_wraps():
    v = np.array([2**31 - 1, -2**31], np.int32)
    x = np.array([1, 1], np.int32)
    for op in ("assign_add", "assign_sub"):
        def fn(v, x, **kw):
            b = as_var(v)
            C[op](b, x)
            return b
        G.assert_close(G.run_on("/CPU:0", fn, v, x), G.run_on("/GPU:0", fn, v, x), 0, 0)


def test_accumulate_bool_refused():
    v = np.array([True, False])

    def fn(v, x, **kw):
        C["assign_add"](as_var(v), x)
    for dev in ("/CPU:0", "/GPU:0"):
        with pytest.raises(ValueError, match="cannot accumulate"):
            G.run_on(dev, fn, v, v)


# ---- optimizer updates -----------------------------------------------------------------

LR = np.array(0.01, np.float32)
IT = np.array(3, np.int64)


def slots_for(shape, dtype, kinds):
    """initial slot values: 'r' any sign, 'p' positive (second moments), 's' small"""
    out = []
    for k in kinds:
        if k == "r":
            out.append(rnd(shape, dtype))
        elif k == "p":
            out.append(pos(shape, dtype))
        else:
            out.append(np.asarray(0.1 * rnd(shape, dtype), dtype=dtype))
    return out


# op -> list of (id, slot kinds, scalars, ints, floats, iter_pos)
UPDATES = {
    "sgd_update": [
        ("plain", "", [LR], (), (), None),
        ("momentum", "r", [LR], (0,), (0.9,), None),
        ("nesterov", "r", [LR], (1,), (0.9,), None),
    ],
    "adam_update": [
        ("adam", "rp", [LR, IT], (), (0.9, 0.999, 1e-7, 0.0), 1),
        ("amsgrad", "rpp", [LR, IT], (), (0.9, 0.999, 1e-7, 0.0), 1),
        ("adamw", "rp", [LR, IT], (), (0.9, 0.999, 1e-7, 0.004), 1),
        ("adamw_ams", "rpp", [LR, IT], (), (0.9, 0.999, 1e-7, 0.004), 1),
    ],
    "rmsprop_update": [
        ("plain", "p", [LR], (0, 0), (0.9, 0.0, 1e-7), None),
        ("centered", "ps", [LR], (0, 1), (0.9, 0.0, 1e-7), None),
        ("momentum", "pr", [LR], (1, 0), (0.9, 0.5, 1e-7), None),
        ("momentum_centered", "prs", [LR], (1, 1), (0.9, 0.5, 1e-7), None),
    ],
    "adagrad_update": [("adagrad", "p", [LR], (), (1e-7,), None)],
    "adadelta_update": [("adadelta", "pp", [LR], (), (0.95, 1e-7), None)],
    "adamax_update": [("adamax", "rp", [LR, IT], (), (0.9, 0.999, 1e-7), 1)],
    "adabound_update": [
        ("adabound", "rp", [LR, IT], (bits(0.1), bits(0.0)), (0.9, 0.999, 1e-8, 1e-3), 1),
        ("amsbound", "rpp", [LR, IT], (bits(0.1), bits(0.0)), (0.9, 0.999, 1e-8, 1e-3), 1),
        ("adabound_wd", "rp", [LR, IT], (bits(0.1), bits(5e-4)), (0.9, 0.999, 1e-8, 1e-3), 1),
    ],
}
PARAMS = [(op,) + v for op, vs in UPDATES.items() for v in vs]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op,vid,kinds,scalars,ints,floats,iter_pos", PARAMS,
                         ids=[f"{p[0]}-{p[1]}" for p in PARAMS])
def test_update(op, vid, kinds, scalars, ints, floats, iter_pos, shape, dtype):
    bufs = [rnd(shape, dtype)] + slots_for(shape, dtype, kinds)
    grad = rnd(shape, dtype)
    fn = updater(op, len(bufs), steps=3, ints=ints, floats=floats, iter_pos=iter_pos)
    compare(fn, bufs + [grad] + scalars, dtype, f"{op} {vid}")


@pytest.mark.parametrize("op,vid,kinds,scalars,ints,floats,iter_pos", PARAMS,
                         ids=[f"{p[0]}-{p[1]}" for p in PARAMS])
def test_update_strided_grad(op, vid, kinds, scalars, ints, floats, iter_pos):
    shape, dtype = (4, 6), np.float32
    bufs = [rnd(shape, dtype)] + slots_for(shape, dtype, kinds)
    grad_t = rnd(shape[::-1], dtype)
    fn = updater(op, len(bufs), ints=ints, floats=floats, iter_pos=iter_pos, transpose_grad=True)
    compare(fn, bufs + [grad_t] + scalars, dtype, f"{op} {vid} strided grad")


@pytest.mark.parametrize("op,vid,kinds,scalars,ints,floats,iter_pos",
                         [p for p in PARAMS if p[1] in ("momentum", "adam", "centered", "adagrad")],
                         ids=[f"{p[0]}-{p[1]}" for p in PARAMS if p[1] in ("momentum", "adam", "centered", "adagrad")])
def test_update_large(op, vid, kinds, scalars, ints, floats, iter_pos):
    shape, dtype = (1100, 1000), np.float32
    bufs = [rnd(shape, dtype)] + slots_for(shape, dtype, kinds)
    fn = updater(op, len(bufs), ints=ints, floats=floats, iter_pos=iter_pos)
    compare(fn, bufs + [rnd(shape, dtype)] + scalars, dtype, f"{op} {vid} large")


@pytest.mark.parametrize("lr", [np.array(0.01, np.float64), np.array(0.01, np.float16),
                                np.array(1, np.int32), np.array(1, np.int64), np.array(1, np.uint8)],
                         ids=lambda a: str(a.dtype))
def test_update_scalar_dtypes(lr):
    """lr / iteration tensors of any numeric dtype are read on the device like the CPU reads them"""
    shape, dtype = (5, 3), np.float32
    bufs = [rnd(shape, dtype)] + slots_for(shape, dtype, "rp")
    it = np.array(2, lr.dtype) if lr.dtype != np.float16 else np.array(2, np.float16)
    fn = updater("adam_update", 3, steps=2, floats=(0.9, 0.999, 1e-7, 0.0), iter_pos=1)
    compare(fn, bufs + [rnd(shape, dtype), lr, it], dtype, f"adam lr {lr.dtype}")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5, 3), (), (0,), (1100, 1000)], ids=str)
def test_nadam(dtype, shape):
    """nadam_cache_update then nadam_update, three steps, as minikeras.optimizers.Nadam runs them"""
    b1, b2, eps, decay = 0.9, 0.999, 1e-7, 0.004
    var, m, v, g = rnd(shape, dtype), rnd(shape, dtype), pos(shape, dtype), rnd(shape, dtype)
    mcache = np.array(1.0, dtype)

    def fn(var, m, v, g, mc, lr, it, **kw):
        bufs = [as_var(var), as_var(m), as_var(v)]
        cache = as_var(mc)
        for s in range(3):
            itv = np.asarray(it + s, it.dtype)
            C["nadam_cache_update"](cache, itv, floats=(b1, decay))
            C["nadam_update"](*bufs, g, lr, itv, cache, floats=(b1, b2, eps, decay))
        return tuple(bufs) + (cache,)
    compare(fn, [var, m, v, g, mcache, LR, IT], dtype, "nadam")
