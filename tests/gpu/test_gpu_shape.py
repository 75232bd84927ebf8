"""GPU kernels of the shape family (csrc/kernels/shape.cu) against the CPU kernels.

Every op x every dtype (float16 and bool included: these ops only move bytes) x dense,
strided (transpose / strided-slice views built on the same device), broadcast, empty, size-1
and large inputs.  The view ops (reshape, transpose, broadcast_to, strided_slice, split) are
views when they can be; their GPU kernels only copy for a Variable's buffer (flag T_VARIABLE)
or a reshape that cannot be a view, so those paths are tested explicitly."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine.api import shape as S

from .conftest import assert_close, both, on_both, run_on, tensors, transposed

C = _core.ops
rng = np.random.default_rng(7)

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]


def arr(shape, dtype=np.float32):
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 100, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def same(cpu, gpu, what=""):
    """data movement: bit-exact results (NaN-aware for floats)"""
    assert_close(cpu, gpu, rtol=0, atol=0, what=what)


def sliced(op, key):
    """op applied to a strided_slice view (steps, negative steps) of its first input"""
    def fn(*args, ints=(), floats=(), nout=1):
        x, *rest = tensors(args)
        v = C["strided_slice"](x, ints=S._key_ints(tuple(x.shape), key))
        return C[op](v, *rest, ints=ints, floats=floats, nout=nout)
    return fn


def as_variable(op, pre=None):
    """op applied to a Variable-flagged buffer: the view ops must copy (their GPU kernel copies)"""
    def fn(*args, ints=(), floats=(), nout=1):
        v, *rest = tensors(args)          # a fresh tensor: flagging it changes nothing else
        v._flags = v._flags | _core.T_VARIABLE
        if pre is not None:
            v = pre(v)
        return C[op](v, *rest, ints=ints, floats=floats, nout=nout)
    return fn


# ---- reshape ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape(dtype):
    a = arr((2, 3, 4), dtype)
    for shape in [(24,), (4, -1), (1, 24, 1)]:
        same(*both("reshape", a, ints=shape), f"reshape {shape}")
        same(*on_both(as_variable("reshape"), a, ints=shape), f"variable reshape {shape}")
    # a transpose cannot be reshaped as a view: the GPU copy kernel runs
    for shape in [(24,), (4, 6, 1), (2, -1)]:
        same(*on_both(transposed("reshape", (2, 0, 1)), a, ints=shape), f"reshape of transpose {shape}")
    same(*on_both(sliced("reshape", (slice(None), slice(None, None, -2))), arr((4, 6), dtype), ints=(12,)))
    same(*both("reshape", np.zeros((0, 3), dtype), ints=(3, 0)))
    same(*both("reshape", arr((), dtype), ints=(1, 1)))


def test_reshape_large():
    a = arr((1100, 1000))
    same(*on_both(transposed("reshape", (1, 0)), a, ints=(-1,)))


# ---- transpose / broadcast_to (copies only for variables) ---------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_transpose(dtype):
    a = arr((2, 3, 4), dtype)
    for perm in [(0, 1, 2), (2, 1, 0), (1, 0, 2), (2, 0, 1)]:
        same(*both("transpose", a, ints=perm), f"transpose {perm}")
        same(*on_both(as_variable("transpose"), a, ints=perm), f"variable transpose {perm}")
    same(*on_both(as_variable("transpose"), np.zeros((0, 2), dtype), ints=(1, 0)))
    same(*on_both(as_variable("transpose"), arr((1, 5, 1), dtype), ints=(2, 1, 0)))


def test_transpose_large():
    same(*on_both(as_variable("transpose"), arr((64, 130, 150)), ints=(2, 0, 1)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_to(dtype):
    a = arr((3, 1), dtype)
    for shape in [(3, 4), (2, 3, 4), (3, 1), (5, 3, 0)]:
        same(*both("broadcast_to", a, ints=shape), f"broadcast_to {shape}")
        same(*on_both(as_variable("broadcast_to"), a, ints=shape), f"variable broadcast_to {shape}")
    same(*on_both(as_variable("broadcast_to"), arr((), dtype), ints=(2, 3)))


# ---- strided_slice / strided_slice_grad ---------------------------------------------------

KEYS = [
    (slice(1, None), slice(None, None, -2)),
    (0, slice(None, None, 3)),
    (None, slice(2, 4), Ellipsis, None),
    (slice(None, None, -1), 1, slice(0, 0)),
    (Ellipsis, -1),
    (slice(3, 1, -1), None, slice(None)),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_slice(dtype):
    a = arr((5, 6, 3), dtype)
    for key in KEYS:
        ints = S._key_ints(a.shape, key)
        same(*both("strided_slice", a, ints=ints), f"strided_slice {key}")
        same(*on_both(as_variable("strided_slice"), a, ints=ints), f"variable strided_slice {key}")
        # a slice of a transposed variable: strided source, copy kernel
        ints_t = S._key_ints((3, 6, 5), key)
        same(*on_both(as_variable("strided_slice", pre=lambda v: C["transpose"](v, ints=(2, 1, 0))), a,
                      ints=ints_t), f"strided_slice of a transposed variable {key}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_slice_grad(dtype):
    x = arr((5, 6, 3), dtype)
    for key in KEYS:
        ints = S._key_ints(x.shape, key)
        dy = np.asarray(run_on("/CPU:0", "strided_slice", x, ints=ints))
        dy = arr(dy.shape, dtype)
        same(*both("strided_slice_grad", x, dy, ints=ints), f"strided_slice_grad {key}")
        # dy as a strided view (transpose of a transpose) when it has two or more axes
        if dy.ndim >= 2:
            perm = tuple(range(dy.ndim))[::-1]

            def fn(*args, ints=(), floats=(), nout=1):
                x_, dyt = tensors(args)
                return C["strided_slice_grad"](x_, C["transpose"](dyt, ints=perm), ints=ints)
            same(*on_both(fn, x, np.ascontiguousarray(dy.transpose(perm)), ints=ints),
                 f"strided_slice_grad strided dy {key}")


def test_strided_slice_large():
    a = arr((2000, 1100))
    ints = S._key_ints(a.shape, (slice(None, None, -1), slice(1, None, 2)))
    same(*on_both(as_variable("strided_slice"), a, ints=ints))
    dy = arr((2000, 550))
    same(*both("strided_slice_grad", a, dy, ints=ints))


def test_strided_slice_gradient_tape():
    a = arr((6, 7)).astype(np.float64)
    w = arr((3, 3)).astype(np.float64)
    res = []
    for dev in ("/CPU:0", "/GPU:0"):
        with tf.device(dev):
            t = tf.constant(a)
            with tf.GradientTape() as tape:
                tape.watch(t)
                y = t[1::2, ::-3]
            res.append(np.array(tape.gradient(y, t, output_gradients=tf.constant(w))))
    same(res[0], res[1])


# ---- concat / split ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_concat(dtype):
    a, b, c = arr((2, 3, 4), dtype), arr((2, 1, 4), dtype), arr((2, 0, 4), dtype)
    for axis in (1, -2):
        same(*both("concat", a, b, c, a, ints=(axis,)), f"concat axis {axis}")
    same(*both("concat", a, a, ints=(0,)))
    same(*both("concat", a, a, ints=(2,)))
    same(*both("concat", arr((3,), dtype), ints=(0,)))
    same(*both("concat", np.zeros((0, 2), dtype), np.zeros((0, 2), dtype), ints=(0,)))

    # strided inputs: transposes
    def fn(*args, ints=(), floats=(), nout=1):
        x, y = tensors(args)
        return C["concat"](C["transpose"](x, ints=(1, 0)), y, C["transpose"](x, ints=(1, 0)), ints=ints)
    same(*on_both(fn, arr((3, 2), dtype), arr((2, 5), dtype), ints=(1,)))


def test_concat_many_and_large():
    xs = [arr((3, k % 4, 2)) for k in range(40)]
    same(*both("concat", *xs, ints=(1,)))
    same(*both("concat", arr((600, 1000)), arr((500, 1000)), ints=(0,)))
    same(*both("concat", arr((1000, 600)), arr((1000, 500)), ints=(1,)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_split(dtype):
    a = arr((4, 6, 2), dtype)
    for ints, n in [((1,), 2), ((1,), 3), ((1, 1, -1, 2), 3), ((0, 0, 4), 2), ((-1, 1, 1), 2)]:
        cpu, gpu = both("split", a, ints=ints, nout=n)
        same(cpu, gpu, f"split {ints}")
        cpu, gpu = on_both(as_variable("split"), a, ints=ints, nout=n)
        same(cpu, gpu, f"variable split {ints}")
    cpu, gpu = on_both(as_variable("split", pre=lambda v: C["transpose"](v, ints=(1, 0, 2))), a,
                       ints=(1, 1, 3), nout=2)
    same(cpu, gpu, "split of a transposed variable")


# ---- pad --------------------------------------------------------------------------------

PADS = [(1, 2, 0, 1, 2, 0), (0, 0, 3, 3, 1, 1), (2, 2, 2, 2, 0, 0), (0, 0, 0, 0, 0, 0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", [0, 1, 2])
def test_pad(dtype, mode):
    a = arr((3, 4, 2), dtype)
    for p in PADS:
        if mode == 1 and any(v > n - 1 for v, n in zip(p, (3, 3, 4, 4, 2, 2))):
            continue
        if mode == 2 and any(v > n for v, n in zip(p, (3, 3, 4, 4, 2, 2))):
            continue
        value = 1.5 if dtype != np.uint8 else 7.0
        same(*both("pad", a, ints=(mode,) + p, floats=(value,)), f"pad mode {mode} {p}")
        same(*on_both(transposed("pad", (2, 1, 0)), np.ascontiguousarray(a.transpose(2, 1, 0)),
                      ints=(mode,) + p, floats=(value,)), f"pad mode {mode} {p} of a transpose")
    # constant mode on an empty input: all padding
    if mode == 0:
        same(*both("pad", np.zeros((0, 2), dtype), ints=(0, 1, 1, 0, 2), floats=(-2.0,)))
        same(*both("pad", arr((), dtype), ints=(0,), floats=(3.0,)))


def test_pad_values_and_large():
    for dtype in (np.float16, np.int32, np.int64, np.bool_, np.uint8):
        for value in (0.0, 0.5, -1.0, 3.75, 250.0):
            same(*both("pad", arr((2, 3), dtype), ints=(0, 1, 1, 2, 0), floats=(value,)), f"{dtype} {value}")
    for mode in (0, 1, 2):
        same(*both("pad", arr((1000, 1000)), ints=(mode, 3, 4, 5, 6), floats=(0.25,)), f"large mode {mode}")


# ---- tile / reverse -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_tile(dtype):
    a = arr((2, 3), dtype)
    for mult in [(1, 1), (2, 3), (0, 2), (3, 1)]:
        same(*both("tile", a, ints=mult), f"tile {mult}")
        same(*on_both(transposed("tile", (1, 0)), np.ascontiguousarray(a.T), ints=mult), f"tile {mult} of transpose")
    same(*both("tile", arr((), dtype), ints=()))
    same(*both("tile", np.zeros((0, 2), dtype), ints=(3, 2)))
    same(*on_both(sliced("tile", (slice(None, None, -1), None)), arr((4,), dtype), ints=(2, 3)))


def test_tile_large():
    same(*both("tile", arr((300, 1, 70)), ints=(2, 30, 3)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reverse(dtype):
    a = arr((3, 4, 5), dtype)
    for axes in [(), (0,), (-1,), (0, 2), (1, 0, 2)]:
        same(*both("reverse", a, ints=axes), f"reverse {axes}")
        same(*on_both(transposed("reverse", (2, 0, 1)), a, ints=axes), f"reverse {axes} of transpose")
    same(*both("reverse", np.zeros((0, 3), dtype), ints=(1,)))
    same(*both("reverse", arr((), dtype), ints=()))


def test_reverse_large():
    same(*both("reverse", arr((1200, 1000)), ints=(0, 1)))
