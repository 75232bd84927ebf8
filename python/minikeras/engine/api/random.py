"""tf.random: stateful random ops over the C generator (csrc/kernels/random.c).

One global Philox-4x32 stream: `set_seed(s)` followed by the same calls gives
the same numbers (whatever the thread count); without set_seed the stream is
seeded from the OS at import, as TF is non-deterministic then.  A call with
an op-level `seed` draws from a stream of its own keyed by (global seed, seed)
(TF's rule: repeated calls give new numbers, `set_seed` restarts them, and
without a global seed a fixed default is used so such calls are repeatable).

Generator attrs: ints = (dtype id, has_op_seed, op_seed, rank, *shape),
floats = the op's two parameters."""
import numbers

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor

C = _core.ops
_MASK64 = (1 << 64) - 1


def _to_i64(v):
    v = int(v) & _MASK64
    return v - (1 << 64) if v >= (1 << 63) else v


def _shape_list(shape, what="shape"):
    """A concrete list of non-negative ints from a list/tuple/TensorShape/tensor."""
    if hasattr(shape, "as_list") and not isinstance(shape, _core.TensorBase):
        shape = shape.as_list()
    if isinstance(shape, _core.TensorBase):
        if shape._traced:
            raise TypeError(f"{what} must be known while a graph is traced (got a traced tensor); "
                            "pass a Python list or tuple")
        shape = np.asarray(shape).reshape(-1).tolist()
    elif isinstance(shape, numbers.Integral):
        shape = [shape]
    else:
        shape = [int(np.asarray(d)) if isinstance(d, _core.TensorBase) else d for d in shape]
    out = []
    for d in shape:
        if d is None:
            raise ValueError(f"{what} must be fully defined, got {shape}")
        d = int(d)
        if d < 0:
            raise _core.InvalidArgumentError(f"{what} dimensions must be non-negative, got {shape}")
        out.append(d)
    if len(out) > _core.MAXDIM:
        raise _core.InvalidArgumentError(f"{what} has rank {len(out)}, more than {_core.MAXDIM}")
    return out


def _seed_attrs(seed):
    if seed is None:
        return (0, 0)
    return (1, _to_i64(seed))


def _scalar_param(v):
    """A Python float when v is a concrete scalar, else None (a tensor to compose with)."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, numbers.Real):
        return float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "fiu":
        return float(v)
    return None


def _gen(op, shape, dtype, seed, params):
    dtype = _dt.as_dtype(dtype)
    shape = _shape_list(shape)
    gen_dt = _dt.float32 if dtype == _dt.float16 else dtype
    out = C[op](ints=(gen_dt._id,) + _seed_attrs(seed) + (len(shape),) + tuple(shape),
                floats=tuple(float(p) for p in params))
    if gen_dt != dtype:
        out = C["cast"](out, ints=(dtype._id,))
    return out


def _check_float(dtype, fn):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"{fn}: dtype must be a floating point type (float16, float32, float64), "
                         f"got {dtype.name}")
    return dtype


def _affine(z, scale, shift, dtype):
    """z * scale + shift with tensor parameters (broadcast to z's shape, as TF)."""
    scale = convert_to_tensor(scale, dtype=dtype)
    shift = convert_to_tensor(shift, dtype=dtype)
    return C["add"](C["multiply"](z, scale), shift)


def uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """Floats in [minval, maxval) (maxval defaults to 1); ints in [minval, maxval)
    (maxval required)."""
    dtype = _dt.as_dtype(dtype)
    if dtype.is_integer:
        if dtype not in (_dt.int32, _dt.int64):
            raise ValueError(f"Invalid dtype {dtype.name} for uniform: expected a float type, "
                             "int32 or int64")
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
        lo, hi = (np.asarray(v) for v in (minval, maxval))
        if lo.ndim or hi.ndim:
            raise _core.InvalidArgumentError(
                f"minval and maxval must be scalars for integer dtypes, got shapes {lo.shape} and {hi.shape}")
        lo, hi = int(lo), int(hi)
        if lo >= hi:
            raise _core.InvalidArgumentError(f"Need minval < maxval: {lo} >= {hi}")
        return _gen("random_uniform", shape, dtype, seed, (lo, hi))
    if not dtype.is_floating:
        raise ValueError(f"Invalid dtype {dtype.name} for uniform")
    if maxval is None:
        maxval = 1
    lo, hi = _scalar_param(minval), _scalar_param(maxval)
    if lo is not None and hi is not None:
        return _gen("random_uniform", shape, dtype, seed, (lo, hi))
    u = _gen("random_uniform", shape, dtype, seed, (0.0, 1.0))
    lo_t = convert_to_tensor(minval, dtype=dtype)
    range_t = C["subtract"](convert_to_tensor(maxval, dtype=dtype), lo_t)
    return C["add"](C["multiply"](u, range_t), lo_t)


def normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    dtype = _check_float(dtype, "normal")
    m, s = _scalar_param(mean), _scalar_param(stddev)
    if m is not None and s is not None:
        return _gen("random_normal", shape, dtype, seed, (m, s))
    return _affine(_gen("random_normal", shape, dtype, seed, (0.0, 1.0)), stddev, mean, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """Normal values more than 2 standard deviations from the mean are redrawn."""
    dtype = _check_float(dtype, "truncated_normal")
    m, s = _scalar_param(mean), _scalar_param(stddev)
    if m is not None and s is not None:
        return _gen("truncated_normal", shape, dtype, seed, (m, s))
    return _affine(_gen("truncated_normal", shape, dtype, seed, (0.0, 1.0)), stddev, mean, dtype)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Samples [batch, num_samples] of class indices from unnormalised log-probabilities
    [batch, num_classes]."""
    logits = convert_to_tensor(logits)
    dtype = _dt.int64 if dtype is None else _dt.as_dtype(dtype)
    if dtype not in (_dt.int32, _dt.int64):
        raise ValueError(f"categorical: dtype must be int32 or int64, got {dtype.name}")
    if isinstance(num_samples, _core.TensorBase):
        num_samples = int(np.asarray(num_samples))
    return C["categorical"](logits, ints=(dtype._id,) + _seed_attrs(seed) + (int(num_samples),))


def shuffle(value, seed=None, name=None):
    """A random permutation of `value` along its first dimension."""
    value = convert_to_tensor(value)
    return C["random_shuffle"](value, ints=(0,) + _seed_attrs(seed))


def set_seed(seed):
    """Seed the global generator: the same calls after it give the same numbers."""
    C["random_state"](ints=(1, _to_i64(seed)))


def _get_state():
    """(seed, counter, seeded) of the global generator, to restore with _set_state."""
    return tuple(int(v) for v in np.asarray(C["random_state"](ints=(0,))))


def _set_state(state):
    seed, counter, seeded = state
    C["random_state"](ints=(2, _to_i64(seed), _to_i64(counter), int(seeded)))


def dropout_mask(shape, rate, dtype=_dt.float32, seed=None):
    """1/(1-rate) where a uniform draw is >= rate, else 0 (the mask tf.nn.dropout applies)."""
    dtype = _check_float(dtype, "dropout")
    return _gen("dropout_mask", shape, dtype, seed, (float(rate),))


__all__ = ["uniform", "normal", "truncated_normal", "categorical", "shuffle", "set_seed"]
