"""The elementwise family against numpy and TensorFlow 2.x semantics.

One table (OPS below) lists every op of csrc/kernels/elementwise.def with its
numpy reference, the dtypes it supports and the input domain; the tests walk
it: forward for every dtype over broadcasting / empty / size-1 / large
(threaded) / strided shapes, and gradients against central finite differences
in float64.  The TF-semantics tests at the end go through the public API."""
import math

import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.tf import errors

C = _core.ops

FLT = ("float32", "float64", "float16")
INT = ("int32", "int64", "uint8")
NUM = FLT + INT
ALL = NUM + ("bool",)

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _has(*names):
    return all(n in C for n in names)


# ---- numpy references (inputs: float64 for float dtypes, native for ints) ----------

def _int_div(x, y):            # the raw op on ints: C truncation (tf.divide goes to truediv)
    return (np.sign(x) * np.sign(y) * (np.abs(x.astype(np.int64)) // np.abs(y.astype(np.int64))))


def _floordiv(x, y):
    return np.floor(x / y) if x.dtype.kind == "f" else np.floor_divide(x, y)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

# name -> (arity, dtypes, reference, domains per input, floats attr)
# domains: any | grid (multiples of 0.5, so ties/equalities occur) | pos | nonzero | unit |
#          wide | base / exp (for pow) | bool
OPS = {
    "add": (2, NUM, np.add, ("any", "any")),
    "subtract": (2, NUM, np.subtract, ("any", "any")),
    "multiply": (2, NUM, np.multiply, ("any", "any")),
    "divide": (2, NUM, lambda x, y: x / y if x.dtype.kind == "f" else _int_div(x, y), ("any", "nonzero")),
    "floordiv": (2, NUM, _floordiv, ("any", "nonzero")),
    "mod": (2, NUM, np.mod, ("any", "nonzero")),
    "pow": (2, NUM, np.power, ("base", "exp")),
    "maximum": (2, NUM, np.maximum, ("grid", "grid")),
    "minimum": (2, NUM, np.minimum, ("grid", "grid")),
    "squared_difference": (2, NUM, lambda x, y: (x - y) * (x - y), ("any", "any")),
    "less": (2, ALL, np.less, ("grid", "grid")),
    "less_equal": (2, ALL, np.less_equal, ("grid", "grid")),
    "equal": (2, ALL, np.equal, ("grid", "grid")),
    "not_equal": (2, ALL, np.not_equal, ("grid", "grid")),
    "greater": (2, ALL, np.greater, ("grid", "grid")),
    "greater_equal": (2, ALL, np.greater_equal, ("grid", "grid")),
    "logical_and": (2, ("bool",), np.logical_and, ("bool", "bool")),
    "logical_or": (2, ("bool",), np.logical_or, ("bool", "bool")),
    "logical_xor": (2, ("bool",), np.logical_xor, ("bool", "bool")),
    "logical_not": (1, ("bool",), np.logical_not, ("bool",)),
    "negative": (1, NUM, np.negative, ("any",)),
    "abs": (1, NUM, np.abs, ("any",)),
    "sign": (1, NUM, np.sign, ("grid",)),
    "square": (1, NUM, np.square, ("any",)),
    "exp": (1, FLT, np.exp, ("any",)),
    "expm1": (1, FLT, np.expm1, ("any",)),
    "log": (1, FLT, np.log, ("pos",)),
    "log1p": (1, FLT, np.log1p, ("pos",)),
    "sqrt": (1, FLT, np.sqrt, ("pos",)),
    "rsqrt": (1, FLT, lambda x: 1 / np.sqrt(x), ("pos",)),
    "reciprocal": (1, FLT, lambda x: 1 / x, ("nonzero",)),
    "sin": (1, FLT, np.sin, ("any",)),
    "cos": (1, FLT, np.cos, ("any",)),
    "tan": (1, FLT, np.tan, ("unit",)),
    "tanh": (1, FLT, np.tanh, ("any",)),
    "sigmoid": (1, FLT, _sigmoid, ("wide",)),
    "relu": (1, FLT, lambda x: np.maximum(x, 0), ("any",)),
    "relu6": (1, FLT, lambda x: np.clip(x, 0, 6), ("wide",)),
    "leaky_relu": (1, FLT, lambda x: np.where(x > 0, x, 0.2 * x), ("any",), (0.2,)),
    "elu": (1, FLT, lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), ("any",), (0.7,)),
    "selu": (1, FLT, lambda x: np.where(x > 0, SELU_S * x, SELU_S * SELU_A * np.expm1(x)), ("any",)),
    "softplus": (1, FLT, lambda x: np.logaddexp(0, x), ("wide",)),
    "softsign": (1, FLT, lambda x: x / (1 + np.abs(x)), ("any",)),
    "gelu": (1, FLT, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), ("any",)),
    "gelu_tanh": (1, FLT, lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
                  ("any",)),
    "silu": (1, FLT, lambda x: x * _sigmoid(x), ("wide",)),
    "hard_sigmoid": (1, FLT, lambda x: np.clip(0.2 * x + 0.5, 0, 1), ("wide",)),
    "erf": (1, FLT, _erf, ("any",)),
    "floor": (1, FLT, np.floor, ("any",)),
    "ceil": (1, FLT, np.ceil, ("any",)),
    "round": (1, FLT, np.round, ("grid",)),          # half to even, as TF and numpy
    "is_nan": (1, FLT, np.isnan, ("special",)),
    "is_inf": (1, FLT, np.isinf, ("special",)),
    "is_finite": (1, FLT, np.isfinite, ("special",)),
    "relu_grad": (2, FLT, lambda dy, y: np.where(y > 0, dy, 0), ("any", "grid")),
    "sigmoid_grad": (2, FLT, lambda dy, y: dy * y * (1 - y), ("any", "prob")),
    "tanh_grad": (2, FLT, lambda dy, y: dy * (1 - y * y), ("any", "unit")),
    "copy": (1, ALL, lambda x: x.copy(), ("any",)),
    "stop_gradient": (1, ALL, lambda x: x.copy(), ("any",)),
    # where and cast have their own tests below (3 inputs / a target dtype)
}


def test_table_covers_elementwise_def():
    import os
    import re
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "csrc", "kernels", "elementwise.def")) as f:
        names = set(re.findall(r'MK_OP\(\w+, "(\w+)"\)', f.read()))
    assert names - set(OPS) == {"where", "cast"}
    assert set(OPS) <= names


# ---- input generation -------------------------------------------------------------

def gen(rng, domain, dtype, shape):
    dt = np.dtype(dtype)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dt.kind in "iu":
        u = dt.kind == "u"
        if domain == "nonzero":
            v = rng.integers(1, 7, shape) * (1 if u else rng.choice([-1, 1], shape))
        elif domain == "pos":
            v = rng.integers(1, 7, shape)
        elif domain == "base":
            v = rng.integers(0 if u else -3, 6 if u else 4, shape)
        elif domain == "exp":
            v = rng.integers(0, 4, shape)
        else:
            v = rng.integers(0 if u else -6, 12 if u else 7, shape)
        return np.asarray(v).astype(dt)
    if domain in ("grid", "special"):
        v = rng.integers(-8, 9, shape) * 0.5
        if domain == "special" and v.size:
            flat = v.reshape(-1)
            flat[::3] = np.nan
            flat[1::4] = np.inf
            flat[2::5] = -np.inf
    elif domain in ("pos", "base"):
        v = rng.uniform(0.5, 3, shape)
    elif domain == "nonzero":
        v = rng.uniform(0.5, 3, shape) * rng.choice([-1, 1], shape)
    elif domain == "unit":
        v = rng.uniform(-0.95, 0.95, shape)
    elif domain == "prob":
        v = rng.uniform(0.05, 0.95, shape)
    elif domain == "wide":
        v = rng.uniform(-8, 8, shape)
    elif domain == "exp":
        v = rng.uniform(-2, 2, shape)
    else:
        v = rng.uniform(-3, 3, shape)
    return np.asarray(v).astype(dt)


def reference(name, arrays, dtype):
    """numpy result: floats computed in float64 from the (rounded) inputs, then cast."""
    _, _, fn, *_ = OPS[name]
    if dtype in FLT:
        xs = [a.astype(np.float64) for a in arrays]
    else:
        xs = arrays
    with np.errstate(all="ignore"):
        r = np.asarray(fn(*xs))
    if r.dtype == np.bool_:
        return r
    return r.astype(dtype)


def tol(dtype):
    return {"float16": dict(rtol=2e-3, atol=2e-3), "float32": dict(rtol=2e-5, atol=2e-6),
            "float64": dict(rtol=1e-12, atol=1e-13)}.get(dtype, dict(rtol=0, atol=0))


def run(name, tensors):
    floats = OPS[name][4] if len(OPS[name]) > 4 else ()
    return C[name](*tensors, floats=floats)


def check_forward(name, dtype, arrays, tensors):
    got = run(name, tensors)
    assert isinstance(got, tf.Tensor)
    want = reference(name, arrays, dtype)
    assert tuple(got.shape) == want.shape, (name, dtype, [a.shape for a in arrays])
    assert got.dtype.name == ("bool" if want.dtype == np.bool_ else dtype)
    g = np.asarray(got)
    if want.dtype == np.bool_ or dtype not in FLT:
        np.testing.assert_array_equal(g, want, err_msg=f"{name} {dtype}")
    else:
        np.testing.assert_allclose(g.astype(np.float64), want.astype(np.float64), equal_nan=True,
                                   err_msg=f"{name} {dtype} shapes {[a.shape for a in arrays]}",
                                   **tol(dtype))


BINARY_SHAPES = [((3, 1), (1, 4)), ((2, 3), (3,)), ((), (2, 3)), ((2, 3), ()), ((), ()),
                 ((0, 3), (3,)), ((0,), (1,)), ((2, 0, 3), (1, 1, 3)), ((1,), (1,)),
                 ((1, 1), (1,)), ((5,), (5,)), ((2, 3, 4), (2, 1, 4)), ((4, 1, 3), (5, 1)),
                 ((300, 128), (128,)), ((1, 40000), (40000,))]
UNARY_SHAPES = [(), (0,), (1,), (1, 1), (7,), (2, 3, 4), (0, 3), (200, 200)]

CASES = [(n, d) for n, spec in OPS.items() for d in spec[1]]


@pytest.mark.parametrize("name,dtype", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_forward(name, dtype):
    arity, _, _, domains, *_ = OPS[name]
    rng = np.random.default_rng(abs(hash((name, dtype))) % 2**32)
    shapes = BINARY_SHAPES if arity == 2 else [(s,) for s in UNARY_SHAPES]
    for shp in shapes:
        arrays = [gen(rng, dom, dtype, s) for dom, s in zip(domains, shp)]
        check_forward(name, dtype, arrays, [tf.constant(a) for a in arrays])
    # numpy arrays and python scalars are accepted by the raw op callables too
    if arity == 2 and dtype in ("float32", "int32", "bool"):
        a = gen(rng, domains[0], dtype, (2, 3))
        b = gen(rng, domains[1], dtype, (3,))
        check_forward(name, dtype, [a, b], [tf.constant(a), b])


# ---- strided inputs (transposed / sliced / broadcast views) --------------------------

def transposed_view(a):
    """A tensor with a's values whose strides are those of a transpose."""
    t = tf.constant(np.ascontiguousarray(a.T))
    return C["transpose"](t, ints=tuple(reversed(range(a.ndim))))


def sliced_view(a):
    """A tensor with a's values read with stride 2 along the last axis, offset 1."""
    base = np.zeros(a.shape[:-1] + (2 * a.shape[-1] + 1,), a.dtype)
    base[..., 1::2] = a
    ints = []
    for d, n in enumerate(base.shape):
        ints += [1, n, 2] if d == a.ndim - 1 else [0, n, 1]
    return C["strided_slice"](tf.constant(base), ints=tuple(ints) + (0, 0))


@pytest.mark.skipif(not _has("transpose", "strided_slice"), reason="shape family not merged yet")
@pytest.mark.parametrize("name,dtype", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_forward_strided(name, dtype):
    arity, _, _, domains, *_ = OPS[name]
    rng = np.random.default_rng(1)
    for shape in [(3, 4), (2, 5, 3), (130, 260)]:
        arrays = [gen(rng, dom, dtype, shape) for dom in domains]
        tv = transposed_view(arrays[0])
        assert tv._strides != tuple(np.ones(len(shape), int)) and not _contig(tv)
        ts = [tv] + [sliced_view(a) for a in arrays[1:]]
        check_forward(name, dtype, arrays, ts)
        if arity == 2:   # sliced first operand, transposed second, and a broadcast row
            check_forward(name, dtype, arrays, [sliced_view(arrays[0]), transposed_view(arrays[1])])
            row = arrays[1][..., :1, :]
            check_forward(name, dtype, [arrays[0], row], [tv, sliced_view(row)])


def _contig(t):
    st = 1
    for d, s in zip(reversed(t._shape), reversed(t._strides)):
        if d != 1 and s != st:
            return False
        st *= d
    return True


# ---- where, cast --------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL)
def test_where_forward(dtype):
    rng = np.random.default_rng(2)
    for sc, sa, sb in [((2, 3), (2, 3), (2, 3)), ((3, 1), (1, 4), ()), ((), (2, 2), (2, 1)),
                       ((0, 2), (2,), (1,)), ((1,), (1,), (1,)), ((200, 200), (200, 1), (200,))]:
        c = rng.random(sc) > 0.5
        a = gen(rng, "any", dtype, sa)
        b = gen(rng, "any", dtype, sb)
        got = C["where"](tf.constant(c), tf.constant(a), tf.constant(b))
        want = np.where(c, a, b)
        assert got.dtype.name == dtype and tuple(got.shape) == want.shape
        np.testing.assert_array_equal(np.asarray(got), want)
        got = tf.where(c, tf.constant(a), tf.constant(b))
        np.testing.assert_array_equal(np.asarray(got), want)
    with pytest.raises(errors.InvalidArgumentError, match="where"):
        C["where"](tf.constant([1.0]), tf.constant([1.0]), tf.constant([2.0]))
    with pytest.raises(errors.InvalidArgumentError, match="where"):
        C["where"](tf.constant([True]), tf.constant([1.0]), tf.constant([2.0], tf.float64))


@pytest.mark.parametrize("src", ALL)
def test_cast_forward(src):
    rng = np.random.default_rng(3)
    for dst in ALL:
        for shape in [(), (0,), (3, 4), (1,), (150, 250)]:
            if src in FLT:   # float -> unsigned of a negative value is undefined in C and numpy
                a = rng.uniform(0 if dst == "uint8" else -50, 50, shape).astype(src)
                a.reshape(-1)[:3] = [0.0, 0.5, 1.0][:a.size] if a.size >= 3 else a.reshape(-1)[:3]
            else:
                a = gen(rng, "any", src, shape)
            got = tf.cast(tf.constant(a), dst)
            assert got.dtype.name == dst and tuple(got.shape) == shape
            want = a.astype(dst)
            if dst in FLT:
                np.testing.assert_allclose(np.asarray(got).astype(np.float64), want.astype(np.float64),
                                           **tol(dst))
            else:
                np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{src}->{dst}")
    # truncation toward zero and x != 0 for bool, as tf.cast
    x = tf.constant([-2.7, -0.5, 0.0, 0.5, 2.7], dtype=src if src in FLT else "float32")
    np.testing.assert_array_equal(np.asarray(tf.cast(x, tf.int32)), [-2, 0, 0, 0, 2])
    np.testing.assert_array_equal(np.asarray(tf.cast(x, tf.bool)), [True, True, False, True, True])


@pytest.mark.skipif(not _has("transpose", "strided_slice"), reason="shape family not merged yet")
def test_cast_where_copy_strided():
    rng = np.random.default_rng(4)
    a = rng.uniform(-5, 5, (3, 5)).astype(np.float32)
    for view in (transposed_view, sliced_view):
        t = view(a)
        np.testing.assert_array_equal(np.asarray(tf.cast(t, tf.float64)), a.astype(np.float64))
        np.testing.assert_array_equal(np.asarray(tf.cast(t, tf.int32)), a.astype(np.int32))
        np.testing.assert_array_equal(np.asarray(tf.cast(t, tf.float16)), a.astype(np.float16))
        np.testing.assert_array_equal(np.asarray(C["copy"](t)), a)
        c = a > 0
        np.testing.assert_array_equal(np.asarray(C["where"](view(c), t, view(-a))), np.where(c, a, -a))


def test_nan_propagation():
    x = tf.constant([np.nan, 1.0, np.nan, -np.inf])
    y = tf.constant([1.0, np.nan, np.nan, 0.0])
    np.testing.assert_array_equal(np.isnan(np.asarray(tf.maximum(x, y))), [True, True, True, False])
    np.testing.assert_array_equal(np.isnan(np.asarray(tf.minimum(x, y))), [True, True, True, False])
    assert np.isnan(np.asarray(tf.sign(tf.constant(np.nan))))
    for dt in (np.float32, np.float64):     # TF: sign(+-inf) = +-1 (was NaN from 0 * inf)
        np.testing.assert_array_equal(np.asarray(tf.sign(tf.constant(np.array([np.inf, -np.inf, -0.0], dt)))),
                                      np.array([1.0, -1.0, 0.0], dt))
    np.testing.assert_array_equal(np.asarray(tf.constant([1.0, -1.0, 0.0]) / 0.0), [np.inf, -np.inf, np.nan])


# ---- dtype and shape errors ---------------------------------------------------------

@pytest.mark.parametrize("name,dtype", [(n, d) for n, s in OPS.items() for d in ALL if d not in s[1]])
def test_unsupported_dtype_raises(name, dtype):
    arity, _, _, domains, *_ = OPS[name]
    ts = [tf.constant(gen(np.random.default_rng(0), "pos", dtype, (2,))) for _ in range(arity)]
    with pytest.raises(errors.InvalidArgumentError, match=name):
        run(name, ts)


@pytest.mark.parametrize("name", [n for n, s in OPS.items() if s[0] == 2])
def test_incompatible_shapes_raise(name):
    dtype = OPS[name][1][0]
    a = tf.constant(gen(np.random.default_rng(0), "pos", dtype, (2, 3)))
    b = tf.constant(gen(np.random.default_rng(0), "pos", dtype, (4,)))
    with pytest.raises(errors.InvalidArgumentError, match=rf"{name}.*Incompatible shapes: \[2,3\] vs. \[4\]"):
        run(name, [a, b])
    if dtype == "float32":
        with pytest.raises(errors.InvalidArgumentError) as e:
            run(name, [a, tf.cast(a, tf.float64)])
        assert name in str(e.value) and "float32" in str(e.value) and "float64" in str(e.value)


def test_errors_are_value_errors():
    assert issubclass(errors.InvalidArgumentError, ValueError)
    with pytest.raises(ValueError):
        tf.exp(tf.constant([1, 2]))


# ---- gradients against finite differences (float64) -------------------------------

NONDIFF = {"less", "less_equal", "equal", "not_equal", "greater", "greater_equal", "logical_and",
           "logical_or", "logical_xor", "logical_not", "floor", "ceil", "round", "is_nan",
           "is_inf", "is_finite", "stop_gradient"}
# inputs kept away from kinks and poles so that finite differences are meaningful
GRAD_DOMAINS = {"abs": ("nonzero",), "relu": ("nonzero",), "leaky_relu": ("nonzero",),
                "elu": ("nonzero",), "selu": ("nonzero",), "sign": ("nonzero",),
                "relu6": ("r6",), "hard_sigmoid": ("hs",), "maximum": ("any", "any"),
                "minimum": ("any", "any"), "mod": ("any", "pos"), "floordiv": ("any", "pos"),
                "pow": ("pos", "any"), "relu_grad": ("any", "nonzero")}


def _grad_input(rng, dom, shape):
    if dom == "r6":
        return rng.choice([-1.0, 1.0, 3.0, 5.0, 7.0], shape) + rng.uniform(-0.4, 0.4, shape)
    if dom == "hs":
        return rng.choice([-3.5, -1.0, 1.0, 3.5], shape) + rng.uniform(-0.4, 0.4, shape)
    return gen(rng, dom, "float64", shape)


def _check_grad(fn, arrays, atol=1e-6, rtol=1e-4):
    if hasattr(tf.math, "reduce_sum"):
        from tests.gradcheck import check_grad
        return check_grad(fn, arrays, atol=atol, rtol=rtol)
    # the same check with the weights given as output_gradients (needs no reduce_sum)
    from tests.gradcheck import numeric_grad
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        out = fn(*ts)
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=tuple(out.shape))
    analytic = tape.gradient(out, ts, output_gradients=tf.constant(w))
    for k, (ga, gn) in enumerate(zip(analytic, numeric_grad(fn, arrays, w))):
        ga = np.zeros_like(gn) if ga is None else np.asarray(ga)
        np.testing.assert_allclose(ga, gn, atol=atol, rtol=rtol, err_msg=f"input {k}")


GRAD_CASES = [n for n, s in OPS.items() if n not in NONDIFF and "float64" in s[1]]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradient(name):
    arity, _, _, domains, *_ = OPS[name]
    domains = GRAD_DOMAINS.get(name, domains)
    rng = np.random.default_rng(5)
    shapes = [((2, 3),) * arity]
    if arity == 2:
        shapes += [((3, 1), (1, 4)), ((2, 3), ()), ((), (3,))]
    for shp in shapes:
        if shp != shapes[0] and not _has("reduce_sum"):
            continue   # unbroadcast needs reduce_sum (reduce family)
        arrays = [_grad_input(rng, d, s) for d, s in zip(domains, shp)]
        if name in ("maximum", "minimum") and len(shp[0]) == len(shp[1]) and shp[0] == shp[1]:
            arrays[1] = arrays[0] + rng.choice([-1, 1], shp[1]) * rng.uniform(0.2, 1, shp[1])
        if name in ("mod", "floordiv"):   # stay away from the jumps of floor(x / y)
            q = arrays[0] / arrays[1]
            arrays[0] = (np.floor(q) + 0.5) * arrays[1]
        _check_grad(lambda *ts: run(name, ts), arrays)
    if not _has("reduce_sum") and arity == 2:
        pytest.skip("broadcasting gradients need reduce_sum (reduce family not merged)")


def test_gradient_where_cast_copy():
    rng = np.random.default_rng(6)
    c = tf.constant(rng.random((2, 3)) > 0.5)
    _check_grad(lambda a, b: tf.where(c, a * a, b * 3.0), [rng.normal(size=(2, 3)), rng.normal(size=(2, 3))])
    # cast: the gradient flows back in the source dtype; int casts stop it
    x = tf.constant([1.0, 2.0, 3.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.cast(x, tf.float32) * tf.constant([1.0, 2.0, 3.0])
        z = tf.cast(tf.cast(x, tf.int32), tf.float64) * x
    g = t.gradient(y, x)
    assert g.dtype == tf.float64
    np.testing.assert_array_equal(np.asarray(g), [1, 2, 3])
    np.testing.assert_array_equal(np.asarray(t.gradient(z, x)), [1, 2, 3])   # only the direct path
    _check_grad(lambda a: C["copy"](a) * a, [rng.normal(size=(4,))])
    if _has("reduce_sum"):
        _check_grad(lambda a, b: tf.where(c, a, b), [rng.normal(size=(3,)), rng.normal(size=(2, 1))])


def test_gradient_second_order_kernels():
    """relu_grad / sigmoid_grad / tanh_grad: gradients of gradients."""
    rng = np.random.default_rng(7)
    for f in (tf.sigmoid, tf.tanh, C["relu"], lambda x: C["elu"](x, floats=(0.7,)), C["softplus"]):
        x = tf.constant(rng.uniform(-2, 2, (5,)) + 0.05)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = f(x)
            g = t1.gradient(y, x)
        h = t2.gradient(g, x)
        eps = 1e-5
        xp, xm = x.numpy() + eps, x.numpy() - eps

        def d1(v):
            vt = tf.constant(v)
            with tf.GradientTape() as t:
                t.watch(vt)
                yy = f(vt)
            return np.asarray(t.gradient(yy, vt))
        np.testing.assert_allclose(np.asarray(h), (d1(xp) - d1(xm)) / (2 * eps), rtol=1e-4, atol=1e-6)


# ---- TensorFlow semantics through the public API ------------------------------------

def test_int_truediv_gives_float64():
    for dt in (tf.int32, tf.int64):
        x, y = tf.constant([7, -7, 3], dtype=dt), tf.constant([2, 2, 4], dtype=dt)
        for r in (x / y, tf.divide(x, y), tf.truediv(x, y), tf.math.truediv(x, y), x / 2, 7 / y):
            assert r.dtype == tf.float64
        np.testing.assert_array_equal(np.asarray(x / y), [3.5, -3.5, 0.75])
    u = tf.constant([3], dtype=tf.uint8)
    assert (u / u).dtype == tf.float32 and tf.truediv(u, u).dtype == tf.float32
    f = tf.constant([1.0]) / tf.constant([4.0])
    assert f.dtype == tf.float32 and f.numpy()[0] == 0.25


def test_floordiv_mod_follow_python_signs():
    xs, ys = [-7, 7, -7, 7, 0, 6], [2, -2, -2, 2, 3, -3]
    for dt in (tf.int32, tf.int64, tf.float32, tf.float64):
        x, y = tf.constant(xs, dtype=dt), tf.constant(ys, dtype=dt)
        np.testing.assert_array_equal(np.asarray(x // y), [a // b for a, b in zip(xs, ys)])
        np.testing.assert_array_equal(np.asarray(x % y), [a % b for a, b in zip(xs, ys)])
        np.testing.assert_array_equal(np.asarray(tf.math.floordiv(x, y)), [a // b for a, b in zip(xs, ys)])
        np.testing.assert_array_equal(np.asarray(tf.math.floormod(x, y)), [a % b for a, b in zip(xs, ys)])
    np.testing.assert_allclose(np.asarray(tf.constant([-7.5, 7.5]) % 2.0), [0.5, 1.5])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8"])
def test_python_scalars_take_the_tensor_dtype(dtype):
    t = tf.constant([1, 2, 3], dtype=dtype)
    for r in (t + 1, 1 + t, t * 2, 2 * t, t - 1, 3 - t, t ** 2, t // 2, t % 2, tf.maximum(t, 2),
              tf.add(t, 1), tf.multiply(2, t)):
        assert r.dtype.name == dtype
    if dtype.startswith("float"):
        for r in (t + 1.5, 0.5 * t, t / 2.0, 2.0 / t, 2 ** t):
            assert r.dtype.name == dtype
        np.testing.assert_allclose(np.asarray(t + 0.5), [1.5, 2.5, 3.5])
    assert (t < 2).dtype == tf.bool and (2 > t).dtype == tf.bool


def test_mixed_float_dtypes_raise_naming_op_and_dtypes():
    a, b = tf.constant([1.0]), tf.constant([1.0], dtype=tf.float64)
    for fn, op in [(lambda: a + b, "add"), (lambda: a * b, "multiply"), (lambda: b - a, "subtract"),
                   (lambda: tf.maximum(a, b), "maximum"), (lambda: a < b, "less"),
                   (lambda: tf.matmul(tf.constant([[1.0]]), tf.constant([[1.0]], dtype=tf.float64)),
                    "matmul")]:
        with pytest.raises(errors.InvalidArgumentError) as e:
            fn()
        msg = str(e.value)
        assert op in msg and "float32" in msg and "float64" in msg, msg
    with pytest.raises(errors.InvalidArgumentError):
        tf.constant([1]) + tf.constant([1], dtype=tf.int64)


def test_mixed_float16_float32_raises():
    with pytest.raises(ValueError, match="float16"):
        tf.constant([1.0], dtype=tf.float16) + tf.constant([1.0])
    with pytest.raises(ValueError, match="float16"):
        tf.matmul(tf.constant([[1.0]], dtype=tf.float16), tf.constant([[1.0]]))


def test_float_scalar_with_int_tensor_raises():
    t = tf.constant([1, 2])
    for fn in (lambda: 1.5 + t, lambda: t + 1.5, lambda: t * 0.5, lambda: t / 1.5, lambda: 1.5 / t,
               lambda: tf.add(t, 1.5)):
        with pytest.raises((TypeError, ValueError)):
            fn()
    # an integral float is accepted (TF converts 2.0 to int32 2)
    np.testing.assert_array_equal(np.asarray(t + 2.0), [3, 4])


def test_comparisons_give_bool():
    a, b = tf.constant([1.0, 2.0, 3.0]), tf.constant([2.0, 2.0, 2.0])
    for r, want in [(a < b, [1, 0, 0]), (a <= b, [1, 1, 0]), (a > b, [0, 0, 1]), (a >= b, [0, 1, 1]),
                    (a == b, [0, 1, 0]), (a != b, [1, 0, 1]), (tf.equal(a, 2.0), [0, 1, 0]),
                    (tf.not_equal(a, b), [1, 0, 1]), (tf.less(a, 2), [1, 0, 0])]:
        assert r.dtype == tf.bool
        np.testing.assert_array_equal(np.asarray(r), np.array(want, bool))
    i = tf.constant([1, 5])
    assert (i == 5).dtype == tf.bool
    np.testing.assert_array_equal(np.asarray(i == 5), [False, True])


def test_eq_with_incompatible_shape_is_false():
    a = tf.constant([1.0, 2.0])
    assert (a == tf.constant([1.0, 2.0, 3.0])) is False
    assert (a != tf.constant([1.0, 2.0, 3.0])) is True
    assert (a == None) is False and (a != None) is True  # noqa: E711
    with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        a < tf.constant([1.0, 2.0, 3.0])   # noqa: B015
    with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.equal(a, tf.constant([1.0, 2.0, 3.0]))


def test_logical_operators():
    a, b = tf.constant([True, True, False, False]), tf.constant([True, False, True, False])
    np.testing.assert_array_equal(np.asarray(a & b), [1, 0, 0, 0])
    np.testing.assert_array_equal(np.asarray(a | b), [1, 1, 1, 0])
    np.testing.assert_array_equal(np.asarray(a ^ b), [0, 1, 1, 0])
    np.testing.assert_array_equal(np.asarray(~a), [0, 0, 1, 1])
    np.testing.assert_array_equal(np.asarray(tf.logical_not(b)), [0, 1, 0, 1])
    with pytest.raises(errors.InvalidArgumentError, match="logical_and"):
        tf.constant([1.0]) & tf.constant([1.0])


def test_unary_operators_and_api():
    x = tf.constant([-1.5, 0.0, 2.0])
    np.testing.assert_array_equal(np.asarray(-x), [1.5, -0.0, -2.0])
    np.testing.assert_array_equal(np.asarray(abs(x)), [1.5, 0.0, 2.0])
    assert +x is x
    np.testing.assert_allclose(np.asarray(tf.sqrt(tf.square(x))), [1.5, 0, 2])
    np.testing.assert_allclose(np.asarray(tf.exp(x)), np.exp([-1.5, 0, 2]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(tf.math.log(tf.constant([1.0, np.e]))), [0, 1], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(tf.round(tf.constant([0.5, 1.5, 2.5, -0.5]))), [0, 2, 2, -0])
    np.testing.assert_array_equal(np.asarray(tf.clip_by_value(x, -1.0, 1.0)), [-1, 0, 1])
    np.testing.assert_array_equal(np.asarray(tf.add_n([x, x, x])), [-4.5, 0, 6])
    np.testing.assert_array_equal(np.asarray(tf.math.divide_no_nan(tf.constant([1.0, 2.0]),
                                                                   tf.constant([0.0, 4.0]))), [0, 0.5])


def test_float16_computed_in_float32_then_rounded():
    a = np.array([0.1, 1 / 3, 1000.0, 0.0002923], np.float16)
    b = np.array([0.2, 3.0, 0.001, 7.0], np.float16)
    t, u = tf.constant(a), tf.constant(b)
    with np.errstate(over="ignore"):
        cases = [(t + u, a.astype(np.float32) + b.astype(np.float32)),
                 (t * u, a.astype(np.float32) * b.astype(np.float32)),
                 (t / u, a.astype(np.float32) / b.astype(np.float32)),
                 (tf.exp(t), np.exp(a.astype(np.float32)))]
        for got, want in cases:
            assert got.dtype == tf.float16
            np.testing.assert_array_equal(np.asarray(got), want.astype(np.float16))
