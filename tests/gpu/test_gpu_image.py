"""GPU image family (csrc/kernels/image.cu) against the CPU kernels (image.c): resize and
resize_grad for every method code (0..11) x antialias x input dtype over up / down / mixed /
odd / 1-pixel / batch / empty shapes, image_projective_transform for every dtype x
interpolation x fill mode ([1,8] and [N,8] transforms, empty images), the colour ops
(rgb_to_hsv, hsv_to_rgb, adjust_hsv, hsv_grad) with ties and zeros, large shapes, and
tf.GradientTape gradients of tf.image functions on both devices.

Tolerances: the tables' weights come from sinf / exp (a few ulp apart between the devices)
and both compilers contract a*b+c into FMAs where they choose, so float results agree to a
few ulp, not bit for bit; integer outputs of a bilinear transform are float results truncated,
so they may differ by 1 where the float value is within an ulp of an integer."""
import numpy as np
import pytest

from minikeras import tf
from minikeras._core import ops as C
from tests.gpu.conftest import assert_close, both, has_gpu_kernel, run_on

RNG = np.random.default_rng(1234)

METHODS = list(range(12))      # image.c RS_*: 0 bilinear, 1 nearest, 2 bicubic, 3 area, 4.. s&t kernels
NEAREST = 1
INT_DTYPES = [np.uint8, np.int32, np.int64]
FLOAT_DTYPES = [np.float32, np.float64]

# (H, W, OH, OW): up, down, mixed, odd sizes, same size, 1 pixel in / out, large ratios
SIZES = [(5, 7, 3, 4), (7, 5, 11, 13), (8, 8, 8, 8), (1, 1, 4, 5), (6, 9, 1, 1), (13, 17, 4, 3),
         (20, 30, 7, 9), (3, 4, 9, 12), (9, 16, 2, 40), (32, 24, 5, 50)]


def data(shape, dtype):
    if dtype in (np.float32, np.float64, np.float16):
        return RNG.standard_normal(shape).astype(dtype)
    if dtype == np.uint8:
        return RNG.integers(0, 256, size=shape).astype(dtype)
    if dtype == np.bool_:
        return RNG.integers(0, 2, size=shape).astype(dtype)
    return RNG.integers(-1000, 1000, size=shape).astype(dtype)


def both_t(op, *arrays, ints=(), floats=()):
    """both() with each numpy argument made a tensor of its own dtype under the device scope
    (a raw op converts every numpy argument to the first one's dtype: the float32 transforms
    of float64 / integer images must stay float32)"""
    assert has_gpu_kernel(op), f"{op} has no GPU kernel"

    def fn(*a, ints=(), floats=(), nout=1):
        return C[op](*[tf.constant(v) for v in a], ints=ints, floats=floats)

    return (run_on("/CPU:0", fn, *arrays, ints=ints, floats=floats),
            run_on("/GPU:0", fn, *arrays, ints=ints, floats=floats))


def tol(dtype):
    """(rtol, atol) of a resize result for an input dtype (integer inputs reach 255 / 1000)"""
    if dtype in INT_DTYPES:
        return 1e-5, 1e-3
    return 1e-5, 1e-5


# ---- resize ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES)
@pytest.mark.parametrize("antialias", [0, 1])
@pytest.mark.parametrize("method", METHODS)
def test_resize(method, antialias, dtype):
    rtol, atol = tol(dtype)
    for k, (H, W, OH, OW) in enumerate(SIZES):
        N, Cc = (2, 3) if k % 2 == 0 else (3, 1 + k % 5)
        x = data((N, H, W, Cc), dtype)
        cpu, gpu = both("resize", x, ints=(OH, OW, method, antialias))
        if method == NEAREST:
            assert_close(cpu, gpu, 0, 0, f"nearest {H}x{W}->{OH}x{OW}")
        else:
            assert_close(cpu, gpu, rtol, atol, f"method {method} aa {antialias} {H}x{W}->{OH}x{OW}")


@pytest.mark.parametrize("dtype", [np.bool_, np.float16, np.uint8, np.int32, np.int64,
                                   np.float32, np.float64])
def test_resize_nearest_dtypes(dtype):
    """nearest keeps the dtype: a gather of any element size"""
    for H, W, OH, OW in SIZES:
        x = data((2, H, W, 3), dtype)
        cpu, gpu = both("resize", x, ints=(OH, OW, NEAREST, 0))
        assert_close(cpu, gpu, 0, 0, f"nearest {np.dtype(dtype).name} {H}x{W}->{OH}x{OW}")


@pytest.mark.parametrize("method", METHODS)
def test_resize_float16(method):
    x = data((2, 7, 9, 3), np.float16)
    for OH, OW in [(3, 4), (14, 18), (7, 9)]:
        cpu, gpu = both("resize", x, ints=(OH, OW, method, 1))
        assert_close(cpu, gpu, 1e-3, 1e-3, f"float16 method {method}")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("antialias", [0, 1])
@pytest.mark.parametrize("method", METHODS)
def test_resize_grad(method, antialias, dtype):
    for k, (H, W, OH, OW) in enumerate(SIZES):
        N, Cc = (2, 3) if k % 2 == 0 else (3, 1 + k % 5)
        dy = data((N, OH, OW, Cc), dtype)
        cpu, gpu = both("resize_grad", dy, ints=(H, W, method, antialias))
        assert_close(cpu, gpu, 1e-5, 1e-5, f"grad method {method} aa {antialias} {H}x{W}<-{OH}x{OW}")


@pytest.mark.parametrize("method", METHODS)
def test_resize_empty(method):
    for shape in [(0, 5, 6, 3), (2, 5, 6, 0)]:
        for dtype in (np.float32, np.uint8):
            x = data(shape, dtype)
            cpu, gpu = both("resize", x, ints=(7, 3, method, 1))
            assert_close(cpu, gpu, what=f"empty {shape}")
        dy = data((shape[0], 7, 3, shape[3]), np.float32)
        cpu, gpu = both("resize_grad", dy, ints=(5, 6, method, 1))
        assert_close(cpu, gpu, what=f"empty grad {shape}")


@pytest.mark.parametrize("method,antialias", [(0, 0), (1, 0), (2, 0), (3, 0), (4, 1), (8, 1), (9, 1)])
def test_resize_large(method, antialias):
    x = data((4, 256, 240, 4), np.float32)                         # ~1M elements
    for OH, OW in [(512, 300), (100, 61)]:
        cpu, gpu = both("resize", x, ints=(OH, OW, method, antialias))
        assert_close(cpu, gpu, 1e-5, 1e-5, f"large {method} -> {OH}x{OW}")
        dy = data((4, OH, OW, 4), np.float32)
        cpu, gpu = both("resize_grad", dy, ints=(256, 240, method, antialias))
        assert_close(cpu, gpu, 1e-5, 1e-5, f"large grad {method} <- {OH}x{OW}")


def test_resize_nonfinite():
    """NaN / inf propagate through the taps that read them (no zero-weight padding taps)"""
    x = data((1, 6, 6, 2), np.float32)
    x[0, 2, 3, 0] = np.nan
    x[0, 4, 1, 1] = np.inf
    for method in METHODS:
        for OH, OW in [(3, 3), (12, 9)]:
            cpu, gpu = both("resize", x, ints=(OH, OW, method, 1))
            assert_close(cpu, gpu, 1e-5, 1e-5, f"nonfinite method {method}")


# ---- image_projective_transform ---------------------------------------------------------------

def transforms(n, exact=False):
    t = np.zeros((n, 8), np.float32)
    for k in range(n):
        if exact:     # integer translations and flips: exact arithmetic on both devices
            sx, sy = RNG.choice([-1.0, 1.0], size=2)
            t[k] = [sx, 0, RNG.integers(-4, 8), 0, sy, RNG.integers(-4, 8), 0, 0]
        else:
            a, s = RNG.uniform(-0.7, 0.7), RNG.uniform(0.5, 2.2)
            t[k] = [s * np.cos(a), -s * np.sin(a), RNG.uniform(-5, 5), s * np.sin(a), s * np.cos(a),
                    RNG.uniform(-5, 5), RNG.uniform(-0.02, 0.02), RNG.uniform(-0.02, 0.02)]
    return t


# (N, H, W, C, OH, OW, transforms rows)
TR_CASES = [(2, 6, 7, 3, 9, 5, 2), (2, 6, 7, 3, 6, 7, 1), (1, 1, 1, 2, 3, 3, 1), (3, 8, 5, 1, 8, 5, 3),
            (2, 2, 9, 4, 4, 11, 1), (1, 13, 11, 3, 7, 15, 1)]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES)
@pytest.mark.parametrize("interp", [0, 1])
@pytest.mark.parametrize("mode", [0, 1, 2, 3])
def test_transform(mode, interp, dtype):
    fill = 200.0 if dtype == np.uint8 else -3.5
    for N, H, W, Cc, OH, OW, Tn in TR_CASES:
        x = data((N, H, W, Cc), dtype)
        for exact in (False, True):
            t = transforms(Tn, exact)
            cpu, gpu = both_t("image_projective_transform", x, t, ints=(OH, OW, interp, mode),
                            floats=(fill,))
            what = f"{np.dtype(dtype).name} interp {interp} mode {mode} {H}x{W}->{OH}x{OW} exact {exact}"
            if interp == 1 and dtype in INT_DTYPES and not exact:
                # a float result truncated to an integer: FMA rounding can move it by 1
                assert cpu.dtype == gpu.dtype and cpu.shape == gpu.shape, what
                assert np.abs(cpu.astype(np.int64) - gpu.astype(np.int64)).max(initial=0) <= 1, what
            elif dtype in FLOAT_DTYPES and not exact:
                assert_close(cpu, gpu, 1e-4, 1e-4, what)
            else:
                assert_close(cpu, gpu, 0, 0, what)


def test_transform_projective_zero():
    """k = c0 x + c1 y + 1 == 0 on a whole row: the fill value"""
    x = data((1, 5, 5, 2), np.float32)
    t = np.array([[1, 0, 0, 0, 1, 0, 0, -0.5]], np.float32)    # k = 0 at y = 2
    for interp in (0, 1):
        cpu, gpu = both_t("image_projective_transform", x, t, ints=(5, 5, interp, 2), floats=(9.0,))
        assert_close(cpu, gpu, 1e-5, 1e-5, "k == 0")


def test_transform_empty():
    t = transforms(1)
    for shape, out in [((0, 4, 4, 3), (4, 4)), ((2, 4, 4, 0), (5, 3)), ((2, 0, 4, 3), (3, 3)),
                       ((2, 4, 0, 3), (2, 5))]:
        for dtype in (np.float32, np.uint8, np.int64):
            x = data(shape, dtype)
            cpu, gpu = both_t("image_projective_transform", x, t, ints=out + (1, 2), floats=(5.0,))
            assert_close(cpu, gpu, 0, 0, f"empty {shape} {np.dtype(dtype).name}")


def test_transform_large():
    x = data((4, 256, 256, 4), np.float32)
    for interp in (0, 1):
        cpu, gpu = both_t("image_projective_transform", x, transforms(4), ints=(256, 256, interp, 0),
                        floats=(0.0,))
        if interp == 0:
            # a round() at an exact .5 could differ after FMA rounding: allow a handful of pixels
            assert (cpu != gpu).mean() < 1e-4
        else:
            assert_close(cpu, gpu, 1e-4, 1e-4, "large bilinear")


# ---- colour ops ---------------------------------------------------------------------------

def rgb(shape, dtype):
    x = RNG.uniform(0, 1, size=shape).astype(dtype)
    flat = x.reshape(-1, 3)
    n = flat.shape[0]
    if n >= 8:     # ties: r == g, g == b, r == b, grey, black, two equal maxima
        flat[0, 1] = flat[0, 0]
        flat[1, 2] = flat[1, 1]
        flat[2, 2] = flat[2, 0]
        flat[3] = 0.5
        flat[4] = 0
        flat[5] = [0.8, 0.8, 0.1]
        flat[6] = [0.2, 0.9, 0.9]
        flat[7] = [1.0, 0.0, 1.0]
    return x


SHAPES3 = [(3,), (10, 3), (4, 5, 3), (2, 6, 7, 3), (0, 3), (2, 0, 3)]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_colour(dtype):
    for shape in SHAPES3:
        x = rgb(shape, dtype)
        cpu, gpu = both("rgb_to_hsv", x)
        assert_close(cpu, gpu, 1e-6, 1e-6, f"rgb_to_hsv {shape}")
        hsv = rgb(shape, dtype)
        cpu, gpu = both("hsv_to_rgb", hsv)
        assert_close(cpu, gpu, 1e-6, 1e-6, f"hsv_to_rgb {shape}")
        for dh, fs in [(0.0, 1.3), (0.0, 0.0), (0.0, 1.0), (0.2, 1.0), (-0.4, 0.5), (0.7, 2.0),
                       (1.5, -1.0)]:
            cpu, gpu = both("adjust_hsv", x, np.array(dh, dtype), np.array(fs, dtype))
            assert_close(cpu, gpu, 1e-5, 1e-6, f"adjust_hsv {dh} {fs} {shape}")
        dy = RNG.standard_normal(shape).astype(dtype)
        for d, inp in [(0, x), (1, hsv)]:
            cpu, gpu = both("hsv_grad", inp, dy, ints=(d,))
            assert_close(cpu, gpu, 1e-5, 1e-6, f"hsv_grad {d} {shape}")


def test_colour_outside_range():
    """values outside [0, 1] and negative hues: the formulas' branches, not only the image range"""
    for dtype in FLOAT_DTYPES:
        x = RNG.uniform(-1.5, 2.5, size=(40, 3)).astype(dtype)
        for op in ("rgb_to_hsv", "hsv_to_rgb"):
            cpu, gpu = both(op, x)
            assert_close(cpu, gpu, 1e-5, 1e-6, op)
        cpu, gpu = both("adjust_hsv", x, np.array(0.3, dtype), np.array(1.7, dtype))
        assert_close(cpu, gpu, 1e-5, 1e-6, "adjust_hsv")


def test_colour_large():
    x = rgb((400, 1000, 3), np.float32)        # 1.2M elements
    for op in ("rgb_to_hsv", "hsv_to_rgb"):
        cpu, gpu = both(op, x)
        assert_close(cpu, gpu, 1e-6, 1e-6, op)
    cpu, gpu = both("adjust_hsv", x, np.array(0.1, np.float32), np.array(1.2, np.float32))
    assert_close(cpu, gpu, 1e-5, 1e-6, "adjust_hsv")
    dy = RNG.standard_normal(x.shape).astype(np.float32)
    for d in (0, 1):
        cpu, gpu = both("hsv_grad", x, dy, ints=(d,))
        assert_close(cpu, gpu, 1e-5, 1e-6, f"hsv_grad {d}")


# ---- gradients through tf.GradientTape ------------------------------------------------------

def grads_on(device, fn, x):
    with tf.device(device):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = fn(xt)
            loss = tf.math.reduce_sum(y * y)
        return np.array(y), np.array(tape.gradient(loss, xt))


@pytest.mark.parametrize("method", ["bilinear", "nearest", "bicubic", "area", "lanczos3",
                                    "lanczos5", "gaussian", "mitchellcubic"])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_gradients(method, antialias):
    x = data((2, 9, 7, 3), np.float32)
    for size in [(4, 5), (15, 11)]:
        fn = lambda t: tf.image.resize(t, size, method=method, antialias=antialias)  # noqa: E731
        yc, gc = grads_on("/CPU:0", fn, x)
        yg, gg = grads_on("/GPU:0", fn, x)
        assert_close(yc, yg, 1e-5, 1e-5, "forward")
        assert_close(gc, gg, 1e-4, 1e-5, "gradient")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_colour_gradients(dtype):
    x = rgb((2, 5, 4, 3), dtype)
    for fn in [tf.image.rgb_to_hsv, tf.image.hsv_to_rgb,        # (adjust_hsv has no gradient)
               lambda t: tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(t) * 0.9)]:
        yc, gc = grads_on("/CPU:0", fn, x)
        yg, gg = grads_on("/GPU:0", fn, x)
        assert_close(yc, yg, 1e-5, 1e-6, "forward")
        assert_close(gc, gg, 1e-5, 1e-6, "gradient")


def test_strided_input():
    """a transposed (view) input: mk_exec makes it dense for these MK_OP_CONTIG ops"""
    x = data((2, 3, 8, 6), np.float32)

    def fn(t, ints=(), floats=(), nout=1):
        v = C["transpose"](t, ints=(0, 2, 3, 1))      # [2,8,6,3] view
        return C["resize"](v, ints=ints)

    cpu = run_on("/CPU:0", fn, x, ints=(5, 11, 2, 0))
    gpu = run_on("/GPU:0", fn, x, ints=(5, 11, 2, 0))
    assert_close(cpu, gpu, 1e-5, 1e-5, "strided resize")
