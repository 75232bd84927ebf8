"""tf.Tensor as TensorFlow 2.x shows it: conversion and default dtypes, numpy interop,
repr/str, TensorShape, DType, Python protocols."""
import copy
import pickle

import numpy as np
import pytest

from minikeras import tf
from minikeras.tf import errors

def _shape_api():
    try:
        from minikeras.engine.api import shape  # noqa: F401
        return True
    except ImportError:
        return False


NP_DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]


# ---- numpy interop ------------------------------------------------------------------

def test_asarray_shares_memory_numpy_copies():
    t = tf.constant([1.0, 2.0, 3.0])
    a = np.asarray(t)
    assert np.shares_memory(a, np.asarray(t))
    a[0] = 5.0                                   # zero copy: visible through the tensor
    np.testing.assert_array_equal(np.asarray(t), [5.0, 2.0, 3.0])
    if _shape_api():
        assert float(t[0]) == 5.0
    b = t.numpy()                                # .numpy() is a copy
    assert not np.shares_memory(a, b)
    b[1] = 9.0
    np.testing.assert_array_equal(np.asarray(t), [5.0, 2.0, 3.0])
    assert isinstance(b, np.ndarray) and b.dtype == np.float32


@pytest.mark.parametrize("npdt", NP_DTYPES)
def test_numpy_roundtrip_every_dtype(npdt):
    rng = np.random.default_rng(0)
    for shape in [(), (0,), (1,), (3,), (2, 3), (2, 0, 4), (2, 1, 3, 1)]:
        a = (rng.uniform(-100, 100, shape) if npdt != np.uint8 else rng.integers(0, 255, shape)).astype(npdt)
        t = tf.constant(a)
        assert t.dtype.as_numpy_dtype == npdt
        assert t.dtype == npdt and t.dtype.name == np.dtype(npdt).name
        assert t.shape == shape and t.ndim == len(shape)
        n = t.numpy()
        assert n.dtype == npdt and n.shape == shape
        np.testing.assert_array_equal(n, a)
        np.testing.assert_array_equal(np.asarray(t), a)
        if shape == ():
            assert np.ndim(n) == 0 and isinstance(n, np.generic)   # TF: a numpy scalar
        # the copy does not alias the source array
        if a.size:
            a.reshape(-1)[0] = a.reshape(-1)[-1] if npdt == np.bool_ else 0
            assert np.asarray(t).reshape(-1)[0] == n.reshape(-1)[0]


def test_non_contiguous_and_byteswapped_numpy_input():
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(tf.constant(a.T).numpy(), a.T)
    np.testing.assert_array_equal(tf.constant(a[:, ::2]).numpy(), a[:, ::2])
    np.testing.assert_array_equal(tf.constant(a[::-1]).numpy(), a[::-1])
    t = tf.constant(np.array([1, 2, 300], dtype=">i4"))
    assert t.dtype == tf.int32
    np.testing.assert_array_equal(t.numpy(), [1, 2, 300])


# ---- conversion: TF's default dtypes ------------------------------------------------

@pytest.mark.parametrize("value,dtype,shape", [
    (1.0, "float32", ()), (1, "int32", ()), (True, "bool", ()), (-3, "int32", ()),
    ([1.0, 2.0], "float32", (2,)), ([1, 2], "int32", (2,)), ([True, False], "bool", (2,)),
    ([[1, 2], [3, 4]], "int32", (2, 2)), ([[1.5], [2.5]], "float32", (2, 1)),
    ([1, 2.5], "float32", (2,)), ((1, 2, 3), "int32", (3,)), ([], "float32", (0,)),
    ([[]], "float32", (1, 0)), (2**40, "int64", ()), ([1, 2**40], "int64", (2,)),
    (np.float64(1.5), "float64", ()), (np.float32(1.5), "float32", ()), (np.int64(3), "int64", ()),
    (np.array([1.0, 2.0]), "float64", (2,)), (np.array([1, 2], np.int64), "int64", (2,)),
    (np.array([1, 2], np.int32), "int32", (2,)), (np.array([1], np.uint8), "uint8", (1,)),
    (np.array([1.0], np.float16), "float16", (1,)), (np.array(True), "bool", ()),
    (np.zeros((2, 0)), "float64", (2, 0)),
])
def test_default_dtypes(value, dtype, shape):
    for fn in (tf.constant, tf.convert_to_tensor):
        t = fn(value)
        assert t.dtype.name == dtype, (value, t.dtype)
        assert t.shape == shape
        np.testing.assert_array_equal(t.numpy(), np.asarray(value).astype(dtype))


def test_explicit_dtype_conversion():
    assert tf.constant(1.0, dtype=tf.int32).dtype == tf.int32
    assert tf.constant([1, 2], dtype=tf.float32).dtype == tf.float32
    assert tf.constant([1, 2], dtype="float64").dtype == tf.float64
    assert tf.constant(np.array([1.0, 2.0]), dtype=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor([1.0], dtype=tf.float64).dtype == tf.float64
    with pytest.raises(TypeError):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(ValueError):   # a tensor keeps its dtype under convert_to_tensor
        tf.convert_to_tensor(tf.constant(1.0), dtype=tf.float64)
    t = tf.constant(1.0)
    assert tf.convert_to_tensor(t) is t
    np.testing.assert_array_equal(tf.constant(0, shape=(2, 3)).numpy(), np.zeros((2, 3), np.int32))
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4], shape=(2, 2)).numpy(), [[1, 2], [3, 4]])
    with pytest.raises(TypeError):
        tf.constant([1, 2, 3], shape=(2, 2))


@pytest.mark.parametrize("bad", [None, 1 + 2j, [1, "a"], [[1, 2], [3]], object()])
def test_unconvertible_values_raise(bad):
    with pytest.raises((TypeError, ValueError)):
        tf.constant(bad)


def test_list_of_tensors_needs_stack_or_converts():
    if not _shape_api():
        pytest.skip("shape family (stack) not merged yet")
    t = tf.constant([tf.constant(1.0), 2.0, tf.constant(3.0)])
    assert t.dtype == tf.float32
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3])


# ---- repr / str ---------------------------------------------------------------------

def test_str_exactly_as_tf(capsys):
    print(tf.constant([[0.0002923]], dtype=tf.float16))
    assert capsys.readouterr().out == "tf.Tensor([[0.0002923]], shape=(1, 1), dtype=float16)\n"
    assert str(tf.constant(3.0)) == "tf.Tensor(3.0, shape=(), dtype=float32)"
    assert str(tf.constant([1, 2])) == "tf.Tensor([1 2], shape=(2,), dtype=int32)"
    assert str(tf.constant(True)) == "tf.Tensor(True, shape=(), dtype=bool)"
    assert str(tf.constant([[1.5, 2.0], [1.0, 2.0]])) == \
        "tf.Tensor(\n[[1.5 2. ]\n [1.  2. ]], shape=(2, 2), dtype=float32)"
    assert str(tf.constant(np.zeros((0, 3)))) == "tf.Tensor([], shape=(0, 3), dtype=float64)"


def test_repr_exactly_as_tf():
    assert repr(tf.constant(3.0)) == "<tf.Tensor: shape=(), dtype=float32, numpy=3.0>"
    assert repr(tf.constant(3)) == "<tf.Tensor: shape=(), dtype=int32, numpy=3>"
    assert repr(tf.constant(False)) == "<tf.Tensor: shape=(), dtype=bool, numpy=False>"
    assert repr(tf.constant(2.5, dtype=tf.float64)) == "<tf.Tensor: shape=(), dtype=float64, numpy=2.5>"
    assert repr(tf.constant([1.5, 2.0])) == \
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1.5, 2. ], dtype=float32)>"
    assert repr(tf.constant([1, 2], dtype=tf.int64)) == \
        "<tf.Tensor: shape=(2,), dtype=int64, numpy=array([1, 2])>"
    assert repr(tf.constant([[1, 2], [3, 4]])) == (
        "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n"
        "array([[1, 2],\n       [3, 4]], dtype=int32)>")
    assert repr(tf.Variable(1.0, name="v")) == "<tf.Variable 'v:0' shape=() dtype=float32, numpy=1.0>"


def test_numpy_of_scalar_is_numpy_scalar():
    s = tf.constant(3.0).numpy()
    assert isinstance(s, np.float32) and s == 3.0
    assert isinstance(tf.constant(3).numpy(), np.int32)
    assert type(tf.constant(3, dtype=tf.int64).numpy()) is np.int64     # not np.longlong
    assert np.asarray(tf.constant([3], dtype=tf.int64)).dtype.type is np.int64
    assert isinstance(tf.constant(True).numpy(), np.bool_)
    assert format(tf.constant(2.5), ".3f") == "2.500"
    assert f"{tf.constant(7)}" == "7" and f"{tf.constant([1, 2])}" == str(tf.constant([1, 2]))


# ---- TensorShape and DType ----------------------------------------------------------

def test_tensorshape():
    t = tf.constant(np.zeros((2, 3, 4), np.float32))
    s = t.shape
    assert isinstance(s, tf.TensorShape)
    assert s == (2, 3, 4) and s == [2, 3, 4] and s == tf.TensorShape([2, 3, 4])
    assert s != (2, 3) and not (s != [2, 3, 4]) and s != (4, 3, 2)
    assert s.as_list() == [2, 3, 4] and s.rank == 3 and s.ndims == 3 and len(s) == 3
    assert s[0] == 2 and s[-1] == 4 and s[1:] == (3, 4) and isinstance(s[1:], tf.TensorShape)
    assert list(s) == [2, 3, 4] and tuple(s) == (2, 3, 4)
    assert s.num_elements() == 24 and s.is_fully_defined()
    assert str(s) == "(2, 3, 4)" and repr(s) == "TensorShape([2, 3, 4])"
    assert str(tf.constant([1]).shape) == "(1,)" and str(tf.constant(1).shape) == "()"
    assert tf.constant(1).shape == () and tf.constant(1).shape.as_list() == []
    assert t.get_shape() == s
    u = tf.TensorShape([None, 3])
    assert u.as_list() == [None, 3] and not u.is_fully_defined() and u.num_elements() is None
    assert str(u) == "(None, 3)"
    assert tf.TensorShape(None).rank is None
    with pytest.raises(ValueError):
        tf.TensorShape(None).as_list()
    assert s + [5] == (2, 3, 4, 5) and s.concatenate((5,)) == (2, 3, 4, 5)
    assert hash(s) == hash(tf.TensorShape((2, 3, 4)))


@pytest.mark.parametrize("dt,name,flt,integer,npdt,size", [
    (tf.float32, "float32", True, False, np.float32, 4), (tf.float64, "float64", True, False, np.float64, 8),
    (tf.float16, "float16", True, False, np.float16, 2), (tf.int32, "int32", False, True, np.int32, 4),
    (tf.int64, "int64", False, True, np.int64, 8), (tf.uint8, "uint8", False, True, np.uint8, 1),
    (tf.bool, "bool", False, False, np.bool_, 1)])
def test_dtype_properties(dt, name, flt, integer, npdt, size):
    assert dt.name == name and repr(dt) == "tf." + name
    assert dt.is_floating is flt and dt.is_integer is integer
    assert dt.as_numpy_dtype is npdt and dt.size == size
    assert dt == name and dt == npdt and dt == np.dtype(npdt) and dt == tf.as_dtype(name)
    assert tf.as_dtype(npdt) is not None and tf.as_dtype(npdt) == dt
    assert dt.is_bool is (name == "bool") and dt.is_unsigned is (name == "uint8")
    assert hash(dt) == hash(tf.as_dtype(name)) and {dt: 1}[tf.as_dtype(name)] == 1
    assert pickle.loads(pickle.dumps(dt)) == dt
    if flt:
        assert dt.max == float(np.finfo(npdt).max) and dt.min == -dt.max
    elif integer:
        assert dt.max == np.iinfo(npdt).max and dt.min == np.iinfo(npdt).min
    assert tf.float32 != dt or name == "float32"
    assert tf.constant(np.zeros(1, npdt)).dtype is not None


def test_dtype_aliases_and_errors():
    assert tf.half == tf.float16 and tf.double == tf.float64
    assert tf.as_dtype(float) == tf.float32 and tf.as_dtype(int) == tf.int32 and tf.as_dtype(bool) == tf.bool
    assert tf.dtypes.float32 is tf.float32 or tf.dtypes.float32 == tf.float32
    for bad in ("float8", np.complex64, None):
        with pytest.raises(TypeError):
            tf.as_dtype(bad)
    assert (tf.float32 == "nonsense") is False


# ---- Python protocols ------------------------------------------------------------------

def test_ndim_len():
    assert tf.constant(1.0).ndim == 0
    t = tf.constant(np.zeros((4, 2)))
    assert t.ndim == 2 and len(t) == 4
    assert len(tf.constant([])) == 0
    with pytest.raises(TypeError):
        len(tf.constant(1.0))


def test_scalar_conversions():
    assert bool(tf.constant(1.0)) is True and bool(tf.constant(0.0)) is False
    assert bool(tf.constant([[True]])) is True and bool(tf.constant([0])) is False
    assert float(tf.constant(2)) == 2.0 and float(tf.constant([[2.5]])) == 2.5
    assert int(tf.constant(-2.7)) == -2 and int(tf.constant([7], dtype=tf.int64)) == 7
    assert float(tf.constant(0.5, dtype=tf.float16)) == 0.5
    assert int(tf.constant(200, dtype=tf.uint8)) == 200
    assert [10, 20, 30][tf.constant(1)] == 20 and list(range(tf.constant(3))) == [0, 1, 2]
    with pytest.raises(TypeError):
        [1, 2][tf.constant(1.0)]
    for bad in (tf.constant([1.0, 2.0]), tf.constant([]), tf.constant(np.zeros((2, 2)))):
        for conv in (bool, float, int):
            with pytest.raises(ValueError):
                conv(bad)


def test_hash_raises_and_ref_works():
    t = tf.constant([1.0])
    with pytest.raises(TypeError):
        hash(t)
    with pytest.raises(TypeError):
        {t: 1}
    with pytest.raises(TypeError):
        {t}
    u = tf.constant([1.0])
    d = {t.ref(): "t", u.ref(): "u"}
    assert d[t.ref()] == "t" and d[u.ref()] == "u" and len(d) == 2
    assert t.ref() == t.ref() and t.ref() != u.ref() and hash(t.ref()) == hash(t.ref())
    assert t.ref().deref() is t
    assert {t.ref(), t.ref(), u.ref()} == {u.ref(), t.ref()}
    assert t.experimental_ref().deref() is t
    v = tf.Variable(1.0)
    assert {v.ref(): 1}[v.ref()] == 1


OPERATORS = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("truediv", lambda a, b: a / b), ("floordiv", lambda a, b: a // b), ("mod", lambda a, b: a % b),
    ("pow", lambda a, b: a ** b), ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b),
    ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b), ("eq", lambda a, b: a == b),
    ("ne", lambda a, b: a != b), ("maximum", None),
]


@pytest.mark.parametrize("name,op", [o for o in OPERATORS if o[1] is not None])
@pytest.mark.parametrize("npdt", [np.float32, np.float64, np.int32])
def test_operators_with_numpy_on_either_side(name, op, npdt):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).astype(npdt)
    b = np.array([2.0, 1.0, 4.0]).astype(npdt)
    ta, tb = tf.constant(a), tf.constant(b)
    with np.errstate(all="ignore"):
        want = op(a, b)
    for r in (op(ta, b), op(a, tb), op(ta, tb)):
        assert isinstance(r, tf.Tensor), type(r)
        if name == "truediv" and npdt == np.int32:
            assert r.dtype == tf.float64
        elif want.dtype == np.bool_:
            assert r.dtype == tf.bool
        else:
            assert r.dtype == npdt
        np.testing.assert_allclose(np.asarray(r).astype(np.float64), want.astype(np.float64), rtol=1e-6)
    # numpy scalars too
    s = npdt(2)
    assert isinstance(op(ta, s), tf.Tensor) and isinstance(op(s, ta), tf.Tensor)


def test_numpy_with_float32_tensor_keeps_tensor_dtype():
    r = np.ones(2) + tf.constant([1.0, 2.0])     # float64 numpy converted to the tensor's dtype
    assert isinstance(r, tf.Tensor) and r.dtype == tf.float32
    r = np.array([[1.0, 2.0]], np.float32) @ tf.constant([[1.0], [1.0]])
    assert isinstance(r, tf.Tensor) and r.numpy().tolist() == [[3.0]]
    r = np.array([True, False]) & tf.constant([True, True])
    assert isinstance(r, tf.Tensor) and r.numpy().tolist() == [True, False]
    r = np.exp(tf.constant([0.0]))      # a numpy ufunc gives numpy, as with TF
    assert isinstance(r, np.ndarray)


def test_misc_protocols():
    t = tf.constant([1.0, 2.0])
    assert copy.copy(t) is t
    d = copy.deepcopy(t)
    assert d is not t and d.numpy().tolist() == [1.0, 2.0]
    p = pickle.loads(pickle.dumps(t))
    assert isinstance(p, tf.Tensor) and p.dtype == tf.float32 and p.numpy().tolist() == [1.0, 2.0]
    assert tf.is_tensor(t) and tf.is_tensor(tf.Variable(1.0)) and not tf.is_tensor(np.ones(1))
    assert t.device.endswith("CPU:0")
    with pytest.raises(TypeError):
        next(iter(tf.constant(1.0)))
    if _shape_api():
        assert [float(x) for x in t] == [1.0, 2.0]


def test_errors_module():
    assert issubclass(errors.InvalidArgumentError, ValueError)
    assert issubclass(errors.ResourceExhaustedError, MemoryError)
    with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])


def test_op_argument_counts_are_checked():
    """Too few tensors for a variadic op, or a negative output count, raise instead of
    reading past the argument array (found by fuzzing every op)."""
    from minikeras import _core
    with pytest.raises(TypeError, match="concat takes at least 1 tensor arguments, got 0"):
        _core.ops["concat"](ints=(0,))
    with pytest.raises(TypeError, match="at least"):
        _core.ops["sgd_update"]()
    with pytest.raises(ValueError, match="number of outputs"):
        _core.ops["split"](_core.from_buffer(np.zeros(4, np.float32)), ints=(0,), nout=-1)
