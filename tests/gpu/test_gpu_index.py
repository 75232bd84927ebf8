"""GPU kernels of the index family (csrc/kernels/index.cu) against the CPU kernels.

Out-of-range indices: the CPU raises; the GPU follows TensorFlow's GPU kernels (gather,
gather_nd, take_along_axis read zeros; unsorted_segment_sum, scatter_nd, scatter_along_axis
drop the entry), checked against numpy here.  Scatters add floats with atomics (order not
fixed), so float sums compare with a tolerance; everything else is exact."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine import dtypes as _dt

from .conftest import assert_close, both, on_both, real_cuda, run_on, tensors, transposed

C = _core.ops
rng = np.random.default_rng(11)

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]
NUM_DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8]
SORT_DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8]
IDX = [np.int32, np.int64]


def arr(shape, dtype=np.float32):
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 100, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def same(cpu, gpu, what=""):
    assert_close(cpu, gpu, rtol=0, atol=0, what=what)


def sums(cpu, gpu, what=""):
    """scatter results: float sums in another order"""
    assert_close(cpu, gpu, rtol=2e-3 if cpu.dtype == np.float16 else 1e-5, atol=1e-5, what=what)


def dtid(dtype):
    return _dt.as_dtype(dtype)._id


def gpu_only(op, *args, ints=(), floats=(), nout=1):
    """the GPU result alone (out-of-range indices, where the CPU raises)"""
    def fn(*a, ints=(), floats=(), nout=1):
        return C[op](*tensors(a), ints=ints, floats=floats, nout=nout)
    return run_on("/GPU:0", fn, *args, ints=ints, floats=floats, nout=nout)


def grads_both(fn, arrays, w):
    """d<fn(*arrays), w>/d arrays with GradientTape on each device"""
    res = []
    for dev in ("/CPU:0", "/GPU:0"):
        with tf.device(dev):
            ts = [tf.constant(a) for a in arrays]
            with tf.GradientTape() as tape:
                for t in ts:
                    tape.watch(t)
                y = fn(*ts)
            gs = tape.gradient(y, ts, output_gradients=tf.constant(w))
            res.append(tuple(np.array(g) for g in gs))
    return res


# ---- gather ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("itype", IDX)
def test_gather(dtype, itype):
    p = arr((4, 5, 3), dtype)
    for axis, bd, ishape in [(0, 0, (7,)), (1, 0, (2, 3)), (2, 0, ()), (-1, 0, (6,)),
                             (1, 1, (4, 2)), (2, 1, (4, 3, 2)), (2, 2, (4, 5, 2)), (0, 0, (0,))]:
        n = p.shape[axis]
        idx = rng.integers(0, n, size=ishape).astype(itype)
        same(*both("gather", p, idx, ints=(axis, bd)), f"gather axis {axis} bd {bd} {ishape}")
    same(*both("gather", np.zeros((0, 3), dtype), np.zeros((2,), itype) + 0, ints=(1, 0)))
    # a strided params view (mk_exec makes it dense: MK_OP_CONTIG)
    same(*on_both(transposed("gather", (1, 0, 2)), p, np.array([0, 3, 3], itype), ints=(1, 0)))


@real_cuda   # GPU semantics (no error from a kernel); the simulated GPU runs the CPU kernel
def test_gather_out_of_range_gpu_zeros():
    p = arr((5, 3))
    idx = np.array([0, 5, -1, 4], np.int64)
    g = gpu_only("gather", p, idx, ints=(0, 0))
    want = np.stack([p[0], np.zeros(3, np.float32), np.zeros(3, np.float32), p[4]])
    same(want, g)
    # zero_oob flag: both devices give zeros
    same(*both("gather", p, idx, ints=(0, 0, 1)))


def test_gather_large():
    p = arr((50000, 64))
    idx = rng.integers(0, 50000, size=(30000,)).astype(np.int32)
    same(*both("gather", p, idx, ints=(0, 0)))
    same(*both("gather", arr((3, 1000000), np.float16), np.array([2, 0], np.int64), ints=(0, 0)))


def test_gather_gradient():
    p = arr((6, 4)).astype(np.float64)
    idx = np.array([[1, 5], [1, 1], [0, 2]], np.int32)
    w = arr((3, 2, 4)).astype(np.float64)
    cpu, gpu = grads_both(lambda t: C["gather"](t, tf.constant(idx), ints=(0, 0)), [p], w)
    sums(cpu[0], gpu[0])


# ---- unsorted_segment_sum ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", NUM_DTYPES)
@pytest.mark.parametrize("itype", IDX)
def test_unsorted_segment_sum(dtype, itype):
    d = arr((6, 4), dtype)
    ids = np.array([0, 2, -1, 2, 4, 0], itype)
    for N in (5, 7):
        sums(*both("unsorted_segment_sum", d, ids, ints=(N,)), f"uss N={N}")
    # axis / batch_dims: the adjoint of gather with the same attributes
    d3 = arr((3, 4, 5, 2), dtype)
    ids3 = rng.integers(-1, 6, size=(3, 5)).astype(itype)
    sums(*both("unsorted_segment_sum", d3, ids3, ints=(6, 2, 1)), "uss axis 2 batch_dims 1")
    ids2 = rng.integers(0, 3, size=(3, 4)).astype(itype)
    sums(*both("unsorted_segment_sum", d3, ids2, ints=(3, 0, 0)), "uss rank-2 ids")
    sums(*both("unsorted_segment_sum", np.zeros((0, 4), dtype), np.zeros((0,), itype), ints=(3,)))
    sums(*both("unsorted_segment_sum", d, np.full((6,), -1, itype), ints=(0,)))


@real_cuda   # GPU semantics (no error from a kernel); the simulated GPU runs the CPU kernel
def test_unsorted_segment_sum_out_of_range():
    d = arr((4, 2))
    ids = np.array([0, 9, 1, 0], np.int32)
    g = gpu_only("unsorted_segment_sum", d, ids, ints=(3,))
    want = np.zeros((3, 2), np.float32)
    for k, s in enumerate(ids):
        if 0 <= s < 3:
            want[s] += d[k]
    sums(want, g)


def test_unsorted_segment_sum_large():
    big = arr((2000000,))
    ids = rng.integers(0, 100, size=(2000000,)).astype(np.int64)
    cpu, gpu = both("unsorted_segment_sum", big, ids, ints=(100,))
    assert_close(cpu, gpu, rtol=1e-4, atol=1e-3)
    bigi = arr((2000000,), np.int32)
    same(*both("unsorted_segment_sum", bigi, ids, ints=(100,)))
    bigu = arr((1500001,), np.uint8)
    same(*both("unsorted_segment_sum", bigu, ids[:1500001] % 7, ints=(7,)))   # wraps mod 256, exact


# ---- gather_nd / scatter_nd --------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("itype", IDX)
def test_gather_nd(dtype, itype):
    p = arr((4, 5, 3), dtype)
    for ishape in [(6, 1), (2, 3, 2), (3,), (5, 0), (0, 2)]:
        K = ishape[-1]
        idx = np.stack([rng.integers(0, p.shape[k], size=ishape[:-1]) for k in range(K)], -1) \
            if K else np.zeros(ishape, np.int64)
        idx = idx.astype(itype).reshape(ishape)
        same(*both("gather_nd", p, idx), f"gather_nd {ishape}")


@real_cuda   # GPU semantics (no error from a kernel); the simulated GPU runs the CPU kernel
def test_gather_nd_out_of_range():
    p = arr((3, 4))
    idx = np.array([[0, 1], [3, 0], [2, -1], [2, 3]], np.int32)
    g = gpu_only("gather_nd", p, idx)
    same(np.array([p[0, 1], 0, 0, p[2, 3]], np.float32), g)


def test_gather_nd_large():
    p = arr((1000, 1200))
    idx = rng.integers(0, 1000, size=(900, 1)).astype(np.int64)
    same(*both("gather_nd", p, idx))


@pytest.mark.parametrize("dtype", NUM_DTYPES)
@pytest.mark.parametrize("itype", IDX)
def test_scatter_nd(dtype, itype):
    idx = np.array([[0, 1], [2, 2], [0, 1], [3, 0]], itype)      # a duplicate: summed
    u = arr((4, 3), dtype)
    sums(*both("scatter_nd", idx, u, ints=(4, 3, 3)), "scatter_nd K=2")
    idx1 = np.array([[1], [1], [0]], itype)
    sums(*both("scatter_nd", idx1, arr((3, 2, 2), dtype), ints=(3, 2, 2)), "scatter_nd K=1")
    sums(*both("scatter_nd", np.zeros((0, 1), itype), np.zeros((0, 2), dtype), ints=(3, 2)))
    sums(*both("scatter_nd", idx1, arr((3, 0), dtype), ints=(3, 0)))


@real_cuda   # GPU semantics (no error from a kernel); the simulated GPU runs the CPU kernel
def test_scatter_nd_out_of_range():
    idx = np.array([[0], [5], [1], [-2]], np.int64)
    u = arr((4, 2))
    g = gpu_only("scatter_nd", idx, u, ints=(3, 2))
    want = np.zeros((3, 2), np.float32)
    want[0] += u[0]
    want[1] += u[2]
    sums(want, g)


def test_scatter_nd_large():
    idx = rng.integers(0, 500, size=(3000, 1)).astype(np.int32)
    cpu, gpu = both("scatter_nd", idx, arr((3000, 400)), ints=(500, 400))
    assert_close(cpu, gpu, rtol=1e-4, atol=1e-4)


def test_gather_nd_gradient():
    p = arr((4, 3)).astype(np.float64)
    idx = np.array([[1, 2], [1, 2], [3, 0]], np.int64)
    w = arr((3,)).astype(np.float64)
    cpu, gpu = grads_both(lambda t: C["gather_nd"](t, tf.constant(idx)), [p], w)
    sums(cpu[0], gpu[0])


# ---- take_along_axis / scatter_along_axis ---------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("itype", IDX)
def test_take_along_axis(dtype, itype):
    x = arr((3, 4, 5), dtype)
    for axis, m in [(0, 2), (1, 6), (2, 5), (-1, 1), (1, 0)]:
        ishape = list(x.shape)
        ishape[axis] = m
        idx = rng.integers(0, x.shape[axis], size=ishape).astype(itype)
        same(*both("take_along_axis", x, idx, ints=(axis,)), f"take_along_axis {axis} {m}")


@pytest.mark.parametrize("dtype", NUM_DTYPES)
@pytest.mark.parametrize("itype", IDX)
def test_scatter_along_axis(dtype, itype):
    for axis, n in [(0, 4), (1, 3), (2, 6), (-1, 2)]:
        u = arr((3, 4, 5), dtype)
        idx = rng.integers(0, n, size=u.shape).astype(itype)
        sums(*both("scatter_along_axis", u, idx, ints=(axis, n)), f"scatter_along_axis {axis} {n}")
    sums(*both("scatter_along_axis", np.zeros((2, 0), dtype), np.zeros((2, 0), itype), ints=(1, 3)))


@real_cuda   # GPU semantics (no error from a kernel); the simulated GPU runs the CPU kernel
def test_along_axis_out_of_range():
    x = arr((2, 3))
    idx = np.array([[0, 3], [-1, 2]], np.int32)
    g = gpu_only("take_along_axis", x, idx, ints=(1,))
    same(np.array([[x[0, 0], 0], [0, x[1, 2]]], np.float32), g)
    g = gpu_only("scatter_along_axis", x, np.array([[0, 3, 1], [-1, 2, 2]], np.int32), ints=(1, 3))
    want = np.array([[x[0, 0], x[0, 2], 0], [0, 0, x[1, 1] + x[1, 2]]], np.float32)
    sums(want, g)


def test_along_axis_large():
    x = arr((4, 600000))
    idx = rng.integers(0, 600000, size=(4, 300000)).astype(np.int64)
    same(*both("take_along_axis", x, idx, ints=(1,)))
    cpu, gpu = both("scatter_along_axis", x[:, :300000].copy(), idx, ints=(1, 600000))
    sums(cpu, gpu)


def test_take_along_axis_gradient():
    x = arr((3, 5)).astype(np.float64)
    idx = np.array([[0, 0, 4], [1, 2, 1], [3, 3, 3]], np.int32)
    w = arr((3, 3)).astype(np.float64)
    cpu, gpu = grads_both(lambda t: C["take_along_axis"](t, tf.constant(idx), ints=(1,)), [x], w)
    sums(cpu[0], gpu[0])


# ---- boolean_mask_grad ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_boolean_mask_grad(dtype):
    for tshape, axis, mshape in [((3, 4, 2), 0, (3, 4)), ((3, 4, 2), 1, (4,)), ((3, 4, 2), 2, (2,)),
                                 ((5,), 0, (5,)), ((2, 6), 1, (6,))]:
        mask = rng.random(mshape) > 0.4
        nnz = int(mask.sum())
        dshape = tshape[:axis] + (nnz,) + tshape[axis + len(mshape):]
        same(*both("boolean_mask_grad", arr(dshape, dtype), mask, ints=(axis,)), f"{tshape} {axis} {mshape}")
    # all false / all true masks
    same(*both("boolean_mask_grad", arr((2, 0), dtype), np.zeros((5,), bool), ints=(1,)))
    same(*both("boolean_mask_grad", arr((2, 5), dtype), np.ones((5,), bool), ints=(1,)))


def test_boolean_mask_grad_large():
    mask = rng.random(3000000) > 0.5
    same(*both("boolean_mask_grad", arr((int(mask.sum()),)), mask, ints=(0,)))
    mask = rng.random(1000) > 0.3
    same(*both("boolean_mask_grad", arr((3, int(mask.sum()), 400), np.float16), mask, ints=(1,)))


# ---- sort / top_k / in_top_k ------------------------------------------------------------------

def special(shape, dtype):
    """values with many ties; floats also with NaN, +-inf and +-0.0"""
    if np.issubdtype(dtype, np.floating):
        pool = np.array([np.nan, -np.inf, np.inf, 0.0, -0.0, 1.5, -1.5, 2.0, 1e-30, -7.0], dtype)
    elif dtype == np.uint8:
        pool = np.array([0, 1, 255, 128, 7, 7], dtype)
    else:
        info = np.iinfo(dtype)
        pool = np.array([info.min, info.max, 0, -1, 1, 5, 5, -5], dtype)
    return pool[rng.integers(0, len(pool), size=shape)]


@pytest.mark.parametrize("dtype", SORT_DTYPES)
@pytest.mark.parametrize("desc", [0, 1])
def test_sort(dtype, desc):
    for shape, axis in [((7, 9), 1), ((7, 9), 0), ((3, 4, 5), 1), ((40,), 0), ((4, 1), 1), ((0, 3), 1),
                        ((2, 0), 1), ((3, 5), -2)]:
        for x in (arr(shape, dtype), special(shape, dtype)):
            cpu, gpu = both("sort", x, ints=(axis, desc))
            same(cpu, gpu, f"sort {shape} axis {axis} desc {desc}")
    x = special((6, 5), dtype)
    same(*on_both(transposed("sort", (1, 0)), x, ints=(1, desc)), "sort of a transpose")


def test_sort_large():
    for dtype in (np.float32, np.int64, np.float64, np.uint8):
        x = special((2500000,), dtype)                     # one line: the device-wide sort
        same(*both("sort", x, ints=(0, 1)), f"sort large {dtype}")
    x = special((3000, 700), np.float32)                   # many segments
    same(*both("sort", x, ints=(1, 0)))
    same(*both("sort", x, ints=(0, 1)))                    # along a non-last axis


@pytest.mark.parametrize("dtype", SORT_DTYPES)
def test_top_k(dtype):
    for shape in [(5, 12), (30,), (2, 3, 8), (3, 1), (0, 4)]:
        n = shape[-1]
        for k in sorted({0, 1, min(3, n), n}):
            for x in (arr(shape, dtype), special(shape, dtype)):
                same(*both("top_k", x, ints=(k, 1)), f"top_k {shape} k={k}")


def test_top_k_large():
    x = special((4, 300000), np.float32)
    same(*both("top_k", x, ints=(10, 1)))
    x = arr((2000000,), np.float64)
    same(*both("top_k", x, ints=(5, 1)))
    x = special((20000, 50), np.int32)
    same(*both("top_k", x, ints=(50, 1)))


def test_sort_and_top_k_gradients():
    x = arr((4, 6)).astype(np.float64)
    w = arr((4, 6)).astype(np.float64)
    cpu, gpu = grads_both(lambda t: C["sort"](t, ints=(1, 1))[0], [x], w)
    same(cpu[0], gpu[0])
    w = arr((4, 2)).astype(np.float64)
    cpu, gpu = grads_both(lambda t: C["top_k"](t, ints=(2, 1))[0], [x], w)
    same(cpu[0], gpu[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("itype", IDX)
def test_in_top_k(dtype, itype):
    p = special((40, 9), dtype)
    t = rng.integers(-1, 10, size=(40,)).astype(itype)       # -1 and 9 are out of range: False
    for k in (-1, 0, 1, 3, 9, 12):
        same(*both("in_top_k", p, t, ints=(k,)), f"in_top_k k={k}")
    p = arr((40, 9), dtype)
    same(*both("in_top_k", p, t, ints=(2,)))
    same(*both("in_top_k", np.zeros((0, 3), dtype), np.zeros((0,), itype), ints=(1,)))
    same(*both("in_top_k", np.zeros((3, 0), dtype), np.zeros((3,), itype), ints=(1,)))
    big = arr((5000, 1000), dtype)
    same(*both("in_top_k", big, rng.integers(0, 1000, size=(5000,)).astype(itype), ints=(5,)))


# ---- one_hot ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("itype", [np.uint8, np.int32, np.int64])
def test_one_hot(dtype, itype):
    lo = 0 if itype == np.uint8 else -2
    idx = rng.integers(lo, 7, size=(3, 4)).astype(itype)    # some out of [0, 5): all-off rows
    for depth, axis in [(5, -1), (5, 0), (5, 1), (5, 2), (0, -1), (1, 1)]:
        for on, off in [(1.0, 0.0), (2.5, -1.0), (0.0, 3.0)]:
            same(*both("one_hot", idx, ints=(depth, axis, dtid(dtype)), floats=(on, off)),
                 f"one_hot depth {depth} axis {axis} on {on} off {off}")
    same(*both("one_hot", np.zeros((0,), itype), ints=(4, -1, dtid(dtype)), floats=(1.0, 0.0)))
    same(*both("one_hot", np.array(3, itype), ints=(4, -1, dtid(dtype)), floats=(1.0, 0.0)))


def test_one_hot_large():
    idx = rng.integers(0, 1000, size=(3000,)).astype(np.int64)
    same(*both("one_hot", idx, ints=(1000, -1, dtid(np.float32)), floats=(1.0, 0.0)))


# ---- creation ops (no inputs: they run on the device of the tf.device scope) --------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8])
def test_range(dtype):
    if np.issubdtype(dtype, np.floating):
        cases = [(0.0, 10.0, 1.0), (1.5, -3.0, -0.25), (0.0, 0.0, 1.0), (0.1, 1.0, 0.3)]
        for s, l, d in cases:
            same(*both("range", ints=(dtid(dtype), 0, 0, 0), floats=(s, l, d)), f"range {s} {l} {d}")
    else:
        cases = [(0, 10, 1), (20, 3, -3), (5, 5, 1), (-4, 100, 7)]
        for s, l, d in cases:
            if dtype == np.uint8 and (s < 0 or l < 0):
                continue
            same(*both("range", ints=(dtid(dtype), s, l, d), floats=(s, l, d)), f"range {s} {l} {d}")
    same(*both("range", ints=(dtid(np.int64), 0, 3000000, 1), floats=(0, 3000000, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_linspace(dtype):
    for s, e, n in [(0.0, 1.0, 11), (-3.0, 7.5, 1), (2.0, -2.0, 0), (1.0, 1e6, 1000001), (0.1, 0.7, 2)]:
        same(*both("linspace", ints=(dtid(dtype), n), floats=(s, e)), f"linspace {s} {e} {n}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_eye_and_fill(dtype):
    for rows, cols, batch in [(3, 3, ()), (2, 5, ()), (4, 1, (2,)), (0, 3, ()), (3, 2, (2, 0)), (3, 4, (2, 3))]:
        same(*both("eye", ints=(dtid(dtype), rows, cols) + batch), f"eye {rows} {cols} {batch}")
    for ival, fval, dims in [(3, 2.5, (2, 3)), (0, 0.0, (4,)), (-1, -1.25, ()), (7, 7.0, (0, 5)),
                             (300, 1e5, (1200, 1000))]:
        same(*both("fill", ints=(dtid(dtype), ival) + dims, floats=(fval,)), f"fill {ival} {fval} {dims}")
