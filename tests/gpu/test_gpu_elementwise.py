"""GPU elementwise kernels (csrc/kernels/elementwise.cu) against the CPU kernels.

Every op the GPU registers x every dtype its infer accepts x shapes that reach every launch
path of the .cu: the vectorised fast path (flat, with a tail of n % VEC elements; a 1-element
operand; a row bias [C] of [N, C]; a channel bias [C, 1, 1] of [N, C, H, W]; misaligned
operands read element by element), the general strided path (transposed / sliced / reversed /
broadcast_to views, middle-axis broadcasts), empty and size-1 tensors, and > 1M elements.
The CPU result is the reference (same op, same inputs); float tolerances per op below."""
import time

import numpy as np
import pytest

from minikeras import _core, tf

from tests.test_elementwise import gen as cpu_gen   # the CPU tests' input domains

from .conftest import assert_close, both, has_gpu_kernel, real_cuda, run_on


def gen(rng, domain, dtype, shape):
    if domain == "bool":          # the logical ops' inputs whatever dtype the table row names
        return rng.random(shape) > 0.5
    return cpu_gen(rng, domain, dtype, shape)

C = _core.ops

FLT = ("float32", "float64", "float16")
INT = ("int32", "int64", "uint8")
NUM = FLT + INT
ALL = NUM + ("bool",)

# name -> (arity, dtypes, domains per input, floats attr, tolerance class)
# tolerance classes: "exact" (same arithmetic, at most an FMA contraction apart),
# "math" (libm vs CUDA math: a few ulp)
OPS = {
    "add": (2, NUM, ("any", "any"), (), "exact"),
    "subtract": (2, NUM, ("any", "any"), (), "exact"),
    "multiply": (2, NUM, ("any", "any"), (), "exact"),
    "divide": (2, NUM, ("any", "nonzero"), (), "exact"),
    "floordiv": (2, NUM, ("any", "nonzero"), (), "exact"),
    "mod": (2, NUM, ("any", "nonzero"), (), "exact"),
    "pow": (2, NUM, ("base", "exp"), (), "math"),
    "maximum": (2, NUM, ("grid", "grid"), (), "exact"),
    "minimum": (2, NUM, ("grid", "grid"), (), "exact"),
    "squared_difference": (2, NUM, ("any", "any"), (), "exact"),
    "less": (2, ALL, ("grid", "grid"), (), "exact"),
    "less_equal": (2, ALL, ("grid", "grid"), (), "exact"),
    "equal": (2, ALL, ("grid", "grid"), (), "exact"),
    "not_equal": (2, ALL, ("grid", "grid"), (), "exact"),
    "greater": (2, ALL, ("grid", "grid"), (), "exact"),
    "greater_equal": (2, ALL, ("grid", "grid"), (), "exact"),
    "logical_and": (2, ("bool",), ("bool", "bool"), (), "exact"),
    "logical_or": (2, ("bool",), ("bool", "bool"), (), "exact"),
    "logical_xor": (2, ("bool",), ("bool", "bool"), (), "exact"),
    "relu_grad": (2, FLT, ("any", "grid"), (), "exact"),
    "sigmoid_grad": (2, FLT, ("any", "prob"), (), "exact"),
    "tanh_grad": (2, FLT, ("any", "unit"), (), "exact"),
    "logical_not": (1, ("bool",), ("bool",), (), "exact"),
    "negative": (1, NUM, ("any",), (), "exact"),
    "abs": (1, NUM, ("any",), (), "exact"),
    "sign": (1, NUM, ("grid",), (), "exact"),
    "square": (1, NUM, ("any",), (), "exact"),
    "exp": (1, FLT, ("any",), (), "math"),
    "expm1": (1, FLT, ("any",), (), "math"),
    "log": (1, FLT, ("pos",), (), "math"),
    "log1p": (1, FLT, ("pos",), (), "math"),
    "sqrt": (1, FLT, ("pos",), (), "exact"),
    "rsqrt": (1, FLT, ("pos",), (), "exact"),
    "reciprocal": (1, FLT, ("nonzero",), (), "exact"),
    "sin": (1, FLT, ("any",), (), "math"),
    "cos": (1, FLT, ("any",), (), "math"),
    "tan": (1, FLT, ("unit",), (), "math"),
    "tanh": (1, FLT, ("any",), (), "math"),
    "sigmoid": (1, FLT, ("wide",), (), "math"),
    "relu": (1, FLT, ("any",), (), "exact"),
    "relu6": (1, FLT, ("wide",), (), "exact"),
    "leaky_relu": (1, FLT, ("any",), (0.2,), "exact"),
    "elu": (1, FLT, ("any",), (0.7,), "math"),
    "selu": (1, FLT, ("any",), (), "math"),
    "softplus": (1, FLT, ("wide",), (), "math"),
    "softsign": (1, FLT, ("any",), (), "exact"),
    "gelu": (1, FLT, ("any",), (), "math"),
    "gelu_tanh": (1, FLT, ("any",), (), "math"),
    "silu": (1, FLT, ("wide",), (), "math"),
    "hard_sigmoid": (1, FLT, ("wide",), (), "exact"),
    "erf": (1, FLT, ("any",), (), "math"),
    "floor": (1, FLT, ("any",), (), "exact"),
    "ceil": (1, FLT, ("any",), (), "exact"),
    "round": (1, FLT, ("grid",), (), "exact"),
    "is_nan": (1, FLT, ("special",), (), "exact"),
    "is_inf": (1, FLT, ("special",), (), "exact"),
    "is_finite": (1, FLT, ("special",), (), "exact"),
    "copy": (1, ALL, ("any",), (), "exact"),
    "stop_gradient": (1, ALL, ("any",), (), "exact"),
}

TOL = {
    ("exact", "float32"): dict(rtol=2e-6, atol=1e-7),   # FMA contraction: 1 - y * y
    ("exact", "float64"): dict(rtol=1e-14, atol=1e-15),
    ("math", "float32"): dict(rtol=2e-5, atol=1e-6),
    ("math", "float64"): dict(rtol=1e-13, atol=1e-14),
    # float16 is computed in float32 then rounded: one float32 ulp apart can round apart
    ("exact", "float16"): dict(rtol=2e-3, atol=2e-3),
    ("math", "float16"): dict(rtol=2e-3, atol=2e-3),
}


def tol(name, dtype):
    return TOL.get((OPS[name][4], dtype), dict(rtol=0, atol=0))


BIG = (1 << 21) + 3   # > 2M elements (more than one element per thread on the general path),
                      # not a multiple of any vector width

BINARY_SHAPES = [
    ((1000,), (1000,)),            # flat, whole vectors
    ((1001,), (1001,)),            # flat with a tail
    ((37, 64), (64,)),             # row bias, vector loads of the bias
    ((37, 63), (63,)),             # row bias, bias read element by element
    ((64,), (37, 64)),             # bias first
    ((2, 3, 4, 5), (3, 1, 1)),     # channel bias, inner 20: one bias value per vector
    ((2, 3, 5, 5), (3, 1, 1)),     # channel bias, inner 25
    ((3, 1), (1, 4)),              # outer sum: both operands broadcast
    ((4, 1, 5), (3, 1)),
    ((5, 1, 3), (5, 4, 3)),        # middle-axis broadcast: general path
    ((), (6, 7)), ((6, 7), ()), ((), ()), ((1,), (1,)), ((1, 1), (1,)), ((1,), (9,)),
    ((0, 3), (3,)), ((0,), (1,)), ((2, 0, 3), (1, 1, 3)),
    ((BIG,), (BIG,)),
    ((300, 1030), (1030,)),        # bigger bias add
]
UNARY_SHAPES = [(1000,), (1001,), (), (0,), (1,), (1, 1), (2, 3, 4), (0, 3), (BIG,)]

CASES = [(n, d) for n, spec in OPS.items() for d in spec[1]]
IDS = [f"{n}-{d}" for n, d in CASES]


def _check(name, dtype, cpu, gpu, what):
    assert_close(cpu, gpu, what=f"{name} {dtype} {what}", **tol(name, dtype))


@pytest.mark.parametrize("name,dtype", CASES, ids=IDS)
def test_forward(name, dtype):
    arity, _, domains, floats, _ = OPS[name]
    rng = np.random.default_rng(abs(hash((name, dtype))) % 2**32)
    shapes = BINARY_SHAPES if arity == 2 else [(s,) for s in UNARY_SHAPES]
    for shp in shapes:
        arrays = [gen(rng, dom, dtype, s) for dom, s in zip(domains, shp)]
        cpu, gpu = both(name, *arrays, floats=floats)
        _check(name, dtype, cpu, gpu, f"shapes {shp}")


# ---- strided inputs: views built on the device the op runs on ----------------------------

def transposed(a):
    """a's values with the strides of a transpose (general path)."""
    t = tf.constant(np.ascontiguousarray(a.T))
    return C["transpose"](t, ints=tuple(reversed(range(a.ndim))))


def sliced(a):
    """a's values read with stride 2 along the last axis, offset 1."""
    base = np.zeros(a.shape[:-1] + (2 * a.shape[-1] + 1,), a.dtype)
    base[..., 1::2] = a
    ints = []
    for d, n in enumerate(base.shape):
        ints += [1, n, 2] if d == a.ndim - 1 else [0, n, 1]
    return C["strided_slice"](tf.constant(base), ints=tuple(ints) + (0, 0))


def reversed_last(a):
    """a's values read backwards along the last axis (negative stride)."""
    base = np.ascontiguousarray(a[..., ::-1])
    ints = []
    for d, n in enumerate(base.shape):
        ints += [n - 1, -1, -1] if d == a.ndim - 1 else [0, n, 1]
    return C["strided_slice"](tf.constant(base), ints=tuple(ints) + (0, 0))


def offset1(a):
    """a 1-D contiguous view at element offset 1: misaligned for vector loads."""
    base = np.concatenate([np.zeros(1, a.dtype), a.reshape(-1)])
    return C["strided_slice"](tf.constant(base), ints=(1, base.size, 1, 0, 0))


def dense(a):
    return tf.constant(a)


def on_views(name, makers, floats=()):
    def fn(*arrays, ints=(), floats=floats, nout=1):
        return C[name](*[mk(a) for mk, a in zip(makers, arrays)], ints=ints, floats=floats)
    return fn


def both_fn(name, fn, *arrays, ints=(), floats=()):
    """both() for a function of numpy arrays (it builds views on the device in scope)"""
    assert has_gpu_kernel(name), f"{name} has no GPU kernel"
    return (run_on("/CPU:0", fn, *arrays, ints=ints, floats=floats),
            run_on("/GPU:0", fn, *arrays, ints=ints, floats=floats))


@pytest.mark.parametrize("name,dtype", CASES, ids=IDS)
def test_forward_strided(name, dtype):
    arity, _, domains, floats, _ = OPS[name]
    rng = np.random.default_rng(1)
    for shape in [(3, 4), (2, 5, 3), (130, 260)]:
        arrays = [gen(rng, dom, dtype, shape) for dom in domains]
        combos = [(transposed, sliced), (sliced, transposed), (reversed_last, dense), (dense, reversed_last)]
        for makers in combos:
            makers = makers[:arity]
            cpu, gpu = both_fn(name, on_views(name, makers, floats), *arrays, floats=floats)
            _check(name, dtype, cpu, gpu, f"{shape} {[m.__name__ for m in makers]}")
        if arity == 2:   # a strided operand against a broadcast row
            row = arrays[1][..., :1, :]
            cpu, gpu = both_fn(name, on_views(name, (transposed, sliced), floats), arrays[0], row, floats=floats)
            _check(name, dtype, cpu, gpu, f"{shape} row")
    # misaligned contiguous operands (fast path, element by element), with a tail
    arrays = [gen(rng, dom, dtype, (1003,)) for dom in domains]
    for makers in [(offset1, dense), (dense, offset1), (offset1, offset1)]:
        makers = makers[:arity]
        cpu, gpu = both_fn(name, on_views(name, makers, floats), *arrays, floats=floats)
        _check(name, dtype, cpu, gpu, f"offset1 {[m.__name__ for m in makers]}")


UNARY_CASES = [(n, d) for n, d in CASES if OPS[n][0] == 1]


@pytest.mark.parametrize("name,dtype", UNARY_CASES, ids=[f"{n}-{d}" for n, d in UNARY_CASES])
def test_unary_on_broadcast_view(name, dtype):
    """broadcast_to views (0 strides) as the input: fast path with a broadcast operand."""
    _, _, domains, floats, _ = OPS[name]
    rng = np.random.default_rng(5)
    for src, target in [((64,), (33, 64)), ((5, 1), (5, 12)), ((3, 1, 1), (2, 3, 4, 8)), ((1,), (1000,))]:
        a = gen(rng, domains[0], dtype, src)

        def fn(x, ints=(), floats=floats, nout=1, target=target):
            return C[name](C["broadcast_to"](tf.constant(x), ints=target), floats=floats)
        cpu, gpu = both_fn(name, fn, a, floats=floats)
        _check(name, dtype, cpu, gpu, f"broadcast_to {src}->{target}")


@pytest.mark.parametrize("dtype", ("float32", "float64", "uint8", "int64"))
def test_grid_stride_loops(dtype):
    """enough elements that every thread of the fast (vectorised) path runs several steps"""
    rng = np.random.default_rng(8)
    n = {"float32": 9 << 20, "float64": 5 << 20, "uint8": 40 << 20, "int64": 5 << 20}[dtype] + 5
    a, b = gen(rng, "any", dtype, (n,)), gen(rng, "any", dtype, (n,))
    for name in ("add", "multiply", "greater"):
        cpu, gpu = both(name, a, b)
        assert_close(cpu, gpu, rtol=0, atol=0, what=f"{name} {dtype} n={n}")
    m = n - n % 5
    cpu, gpu = both("add", a[:m].reshape(-1, 5), b[:5])
    assert_close(cpu, gpu, rtol=0, atol=0, what=f"add bias {dtype}")


# ---- integer corner cases ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", INT)
def test_int_division_by_zero_and_signs(dtype):
    """divide / floordiv / mod: by zero gives 0, floor rules follow the divisor's sign."""
    u = dtype == "uint8"
    xs = np.array([0, 1, 2, 5, 7, 9] if u else [-7, -5, -1, 0, 1, 5, 7, 9], dtype)
    ys = np.array([0, 1, 2, 3] if u else [-3, -2, -1, 0, 1, 2, 3], dtype)
    x, y = np.meshgrid(xs, ys)
    for name in ("divide", "floordiv", "mod"):
        cpu, gpu = both(name, x, y)
        assert_close(cpu, gpu, what=f"{name} {dtype}")


@pytest.mark.parametrize("dtype", ("int32", "int64"))
def test_int_pow_negative_exponents_and_wrap(dtype):
    x, y = np.meshgrid(np.array([-3, -2, -1, 0, 1, 2, 3, 7], dtype), np.array([-3, -2, -1, 0, 1, 2, 5, 31, 40], dtype))
    cpu, gpu = both("pow", x, y)
    assert_close(cpu, gpu, what=f"pow {dtype}")


def test_uint8_wraps():
    a = np.array([0, 1, 200, 255, 128], np.uint8)
    b = np.array([255, 255, 100, 2, 128], np.uint8)
    for name in ("add", "subtract", "multiply", "squared_difference", "pow"):
        cpu, gpu = both(name, a, b % 4 if name == "pow" else b)
        assert_close(cpu, gpu, what=name)
    for name in ("negative", "abs", "sign", "square"):
        cpu, gpu = both(name, a)
        assert_close(cpu, gpu, what=name)


# ---- float corner cases ----------------------------------------------------------------------

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-30, -1e-30, 88.5, 89.0,
           -104.0, 1e30, -1e30, 3.0, -3.0, 6.0, 7.0]


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_special_values(dtype):
    """NaN / inf / signed zero / ties through every float op (CPU == GPU); sign is separate."""
    x = np.array(SPECIAL, dtype)
    for name, (arity, dts, _, floats, _) in OPS.items():
        if dtype not in dts or name == "sign":
            continue
        if arity == 1:
            cpu, gpu = both(name, x, floats=floats)
        else:
            a, b = np.meshgrid(x, x)
            cpu, gpu = both(name, a, b, floats=floats)
        _check(name, dtype, cpu, gpu, "special values")


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_sign_special(dtype):
    """TensorFlow: sign(+-inf) = +-1, sign(NaN) = NaN.  (The CPU kernel's expression gave NaN
    for +-inf when this was written: this compares with TF's values, not with the CPU.)"""
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 2.5, -3.0], dtype)
    gpu = run_on("/GPU:0", "sign", x)
    np.testing.assert_array_equal(gpu, np.array([1, -1, np.nan, 0, 0, 1, -1], dtype))


# ---- where -------------------------------------------------------------------------------------

WHERE_SHAPES = [((2, 3), (2, 3), (2, 3)), ((3, 1), (1, 4), ()), ((), (2, 2), (2, 1)),
                ((0, 2), (2,), (1,)), ((1,), (1,), (1,)), ((200, 200), (200, 1), (200,)),
                ((37, 64), (64,), (37, 64)), ((5, 1, 3), (5, 4, 3), (1,)),
                ((BIG,), (BIG,), ()), ((), (), ())]


@pytest.mark.parametrize("dtype", ALL)
def test_where(dtype):
    rng = np.random.default_rng(2)
    for sc, sa, sb in WHERE_SHAPES:
        c = rng.random(sc) > 0.5
        a = gen(rng, "any", dtype, sa)
        b = gen(rng, "any", dtype, sb)
        cpu, gpu = both("where", c, a, b)
        assert_close(cpu, gpu, rtol=0, atol=0, what=f"where {dtype} {sc} {sa} {sb}")
    # strided condition and operands
    c = rng.random((30, 40)) > 0.5
    a = gen(rng, "any", dtype, (30, 40))
    b = gen(rng, "any", dtype, (30, 40))
    for makers in [(transposed, sliced, dense), (sliced, transposed, reversed_last)]:
        cpu, gpu = both_fn("where", on_views("where", makers), c, a, b)
        assert_close(cpu, gpu, rtol=0, atol=0, what=f"where {dtype} {[m.__name__ for m in makers]}")


# ---- cast, copy ----------------------------------------------------------------------------------

DT_ENUM = {"float32": 0, "float16": 1, "float64": 2, "int32": 3, "int64": 4, "uint8": 5, "bool": 6}

CAST_FLOATS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.7, 255.7, 256.0, 300.2,
               -1.0, -200.5, 1e10, -1e10, 3e9, -3e9, 9.3e18, -9.3e18, 1e20, 65504.0, 65520.0, 70000.0,
               1e-8, 6e-8, 2.0 ** 24 + 1, 123456.789]


def cast_inputs(src, rng, shape=None):
    if shape is not None:
        if src in FLT:
            return rng.uniform(-300, 300, shape).astype(src)
        return gen(rng, "any", src, shape)
    if src in FLT:
        with np.errstate(all="ignore"):
            return np.array(CAST_FLOATS, np.float64).astype(src)
    if src == "bool":
        return np.array([True, False, True, True, False])
    info = np.iinfo(src)
    vals = [0, 1, 2, 100, 127, 128, 255, info.max, info.min]
    if info.min < 0:
        vals += [-1, -128, -129, -70000, 70000, 2 ** 31 - 1 if info.bits >= 32 else 5]
    if info.bits == 64:
        vals += [2 ** 53 + 1, 2 ** 62 + 2 ** 30 + 1, -(2 ** 62) - 3, 2 ** 24 + 1]
    return np.array([v for v in vals if info.min <= v <= info.max], src)


@pytest.mark.parametrize("src", ALL)
@pytest.mark.parametrize("dst", ALL)
def test_cast(src, dst):
    """every src -> dst pair: special values (NaN, inf, out of range, ties, big ints) and shapes;
    the CPU is the reference, bit for bit."""
    rng = np.random.default_rng(3)
    ints = (DT_ENUM[dst],)
    cpu, gpu = both("cast", cast_inputs(src, rng), ints=ints)
    assert_close(cpu, gpu, rtol=0, atol=0, what=f"cast {src}->{dst} specials")
    for shape in [(), (0,), (1,), (3, 4), (1001,), (BIG,)]:
        cpu, gpu = both("cast", cast_inputs(src, rng, shape), ints=ints)
        assert_close(cpu, gpu, rtol=0, atol=0, what=f"cast {src}->{dst} {shape}")
    a = cast_inputs(src, rng, (30, 40))
    for mk in (transposed, sliced, reversed_last):
        cpu, gpu = both_fn("cast", on_views("cast", (mk,)), a, ints=ints)
        assert_close(cpu, gpu, rtol=0, atol=0, what=f"cast {src}->{dst} {mk.__name__}")


@pytest.mark.parametrize("dtype", ALL)
def test_copy_views(dtype):
    rng = np.random.default_rng(6)
    a = gen(rng, "any", dtype, (65, 130))
    for name in ("copy", "stop_gradient"):
        for mk in (dense, transposed, sliced, reversed_last):
            cpu, gpu = both_fn(name, on_views(name, (mk,)), a)
            assert_close(cpu, gpu, rtol=0, atol=0, what=f"{name} {dtype} {mk.__name__}")
        cpu, gpu = both_fn(name, on_views(name, (offset1,)), a.reshape(-1))
        assert_close(cpu, gpu, rtol=0, atol=0, what=f"{name} {dtype} offset1")

        def bcast(x, ints=(), floats=(), nout=1, name=name):
            return C[name](C["broadcast_to"](tf.constant(x), ints=(7, 65, 130)))
        cpu, gpu = both_fn(name, bcast, a)
        assert_close(cpu, gpu, rtol=0, atol=0, what=f"{name} {dtype} broadcast_to")


# ---- gradients (composed from ops that run on the GPU: relu_grad, sigmoid_grad, ...) --------------

GRAD_FNS = {
    "relu": (lambda x: C["relu"](x), 1),
    "sigmoid": (lambda x: C["sigmoid"](x), 1),
    "tanh": (lambda x: C["tanh"](x), 1),
    "elu": (lambda x: C["elu"](x, floats=(0.7,)), 1),
    "selu": (lambda x: C["selu"](x), 1),
    "leaky_relu": (lambda x: C["leaky_relu"](x, floats=(0.2,)), 1),
    "softplus": (lambda x: C["softplus"](x), 1),
    "gelu": (lambda x: C["gelu"](x), 1),
    "gelu_tanh": (lambda x: C["gelu_tanh"](x), 1),
    "silu": (lambda x: C["silu"](x), 1),
    "exp_log": (lambda x: C["log"](C["exp"](x) + 1.0), 1),
    "multiply_bias": (lambda x, b: C["multiply"](x, b), 2),
    "add_bias": (lambda x, b: C["add"](x, b), 2),
    "divide": (lambda x, b: C["divide"](x, b), 2),
    "maximum": (lambda x, b: C["maximum"](x, b), 2),
    "squared_difference": (lambda x, b: C["squared_difference"](x, b), 2),
    "where": (lambda x, b: C["where"](C["greater"](x, b), x, b * 2.0), 2),
}


def _grads(device, fn, arrays, w):
    with tf.device(device):
        xs = [tf.constant(a) for a in arrays]
        wt = tf.constant(w)
        with tf.GradientTape() as tape:
            for x in xs:
                tape.watch(x)
            y = tf.reduce_sum(fn(*xs) * wt)
        gs = tape.gradient(y, xs)
    return [np.array(g) for g in gs]


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("name", list(GRAD_FNS))
def test_gradients(name, dtype):
    fn, arity = GRAD_FNS[name]
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, (64, 48)).astype(dtype)
    arrays = [x] if arity == 1 else [x, rng.uniform(0.5, 2, (48,)).astype(dtype)]
    w = rng.normal(size=(64, 48)).astype(dtype)
    cpu = _grads("/CPU:0", fn, arrays, w)
    gpu = _grads("/GPU:0", fn, arrays, w)
    t = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    for k, (a, b) in enumerate(zip(cpu, gpu)):
        assert_close(a, b, what=f"grad {name} input {k}", **t)


# ---- the target: elementwise add at >= 80% of the memory bandwidth ---------------------

def _sync():
    """a function that waits for the GPU: the backend's synchronize when there is one, else
    reading back a 1-element result (the copy to the host is ordered after every launch)"""
    try:
        from minikeras import _cuda
    except ImportError:
        _cuda = None
    for f in (getattr(_cuda, "synchronize", None), getattr(_core, "synchronize", None)):
        if callable(f):
            return f
    one = np.ones(1, np.float32)

    def readback():
        with tf.device("/GPU:0"):
            np.array(C["add"](tf.constant(one), tf.constant(one)))
    return readback


@real_cuda   # a timing of the CUDA kernel
def test_add_bandwidth_report():
    """64M float32 add: prints GB/s next to a device-to-device copy of the same bytes (the
    practical peak).  Target: add >= 80% of the card's bandwidth (H100 SXM ~3.35 TB/s,
    H200 ~4.8 TB/s), i.e. about as fast as the copy."""
    sync = _sync()
    n = 64 << 20
    with tf.device("/GPU:0"):
        a = tf.constant(np.ones(n, np.float32))
        b = tf.constant(np.full(n, 2.0, np.float32))
        for _ in range(3):
            C["add"](a, b)
            C["copy"](a)
        sync()

        def timeit(f, reps=20):
            t0 = time.perf_counter()
            for _ in range(reps):
                f()
            sync()
            return (time.perf_counter() - t0) / reps
        t_add = timeit(lambda: C["add"](a, b))
        t_copy = timeit(lambda: C["copy"](a))
        r = C["add"](a, b)
    bw_add, bw_copy = 3 * 4 * n / t_add / 1e9, 2 * 4 * n / t_copy / 1e9
    print(f"\nadd 64M float32: {t_add * 1e3:.3f} ms, {bw_add:.0f} GB/s; "
          f"copy: {t_copy * 1e3:.3f} ms, {bw_copy:.0f} GB/s; add/copy = {bw_add / bw_copy:.2f}")
    assert float(np.array(r)[12345]) == 3.0
    assert bw_add >= 0.8 * bw_copy, (bw_add, bw_copy)
